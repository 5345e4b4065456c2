//! A private, throwaway PostgreSQL cluster for the tests.
//!
//! The cluster lives in `$TMPDIR/recovery-desk-test-pg-<pid>`, listens on a free port on
//! 127.0.0.1 only, has the superuser `recovery` with trust authentication, and trades durability
//! for speed (fsync off). [`Cluster`] stops it and deletes its directory when dropped, so also
//! when the tests fail or xtask panics. Clusters left behind by a killed xtask are removed by the
//! next start.
//!
//! PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user (through
//! `runuser`), and missing server binaries are installed with apt-get.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{self, Command};

use anyhow::{bail, Context, Result};

use crate::test_servers::{abandoned_dirs, free_port, run_quiet};
use crate::{quote, system_packages};

/// The superuser that `initdb` creates.
const SUPERUSER: &str = "recovery";
/// The OS user that runs the server when xtask runs as root.
const OS_USER: &str = "postgres";
const DIR_PREFIX: &str = "recovery-desk-test-pg-";
/// Where Debian and Ubuntu put the server binaries, one directory per major version.
const DEBIAN_LIB: &str = "/usr/lib/postgresql";

pub struct Cluster {
    bin: Bin,
    dir: PathBuf,
    port: u16,
    major: String,
    stopped: bool,
}

/// The server binaries, and whether to run them as the `postgres` user.
struct Bin {
    dir: PathBuf,
    as_postgres: bool,
}

impl Cluster {
    /// Creates and starts a fresh cluster, installing PostgreSQL first if needed (as root).
    pub fn start() -> Result<Cluster> {
        let bin = Bin::find()?;
        remove_stale_clusters(&bin);

        let dir = env::temp_dir().join(format!("{DIR_PREFIX}{}", process::id()));
        if dir.exists() {
            fs::remove_dir_all(&dir)
                .with_context(|| format!("cannot remove the old {}", dir.display()))?;
        }
        fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        // From here on, dropping `cluster` stops the server (if any) and removes `dir`.
        let mut cluster = Cluster {
            bin,
            dir,
            port: 0,
            major: String::new(),
            stopped: false,
        };
        cluster.init()?;
        cluster.start_server()?;
        eprintln!(
            "PostgreSQL {} on 127.0.0.1:{} (data in {})",
            cluster.major,
            cluster.port,
            cluster.dir.display()
        );
        Ok(cluster)
    }

    /// `postgres://recovery@127.0.0.1:PORT/postgres`
    pub fn url(&self) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/postgres", self.port)
    }

    /// `PostgreSQL 15 on 127.0.0.1:PORT`
    pub fn description(&self) -> String {
        format!("PostgreSQL {} on 127.0.0.1:{}", self.major, self.port)
    }

    /// Stops the server and removes its directory, reporting failures (dropping does the same
    /// but can only print them).
    pub fn stop(mut self) -> Result<()> {
        self.shutdown()
    }

    fn init(&mut self) -> Result<()> {
        if self.bin.as_postgres {
            ensure_postgres_user()?;
            run_quiet(
                Command::new("chown")
                    .arg("-R")
                    .arg(format!("{OS_USER}:"))
                    .arg(&self.dir),
            )?;
        }
        let result = run_quiet(
            self.bin
                .command("initdb", &self.dir)
                .arg("-D")
                .arg(&self.dir)
                .args(["-U", SUPERUSER, "--auth=trust", "--no-sync"])
                .args(["-E", "UTF8", "--locale=C"]),
        );
        if result.is_err() && self.bin.as_postgres {
            return result.with_context(|| {
                format!(
                    "initdb failed; note that the `{OS_USER}` user must be able to reach {} \
                     (point TMPDIR at a directory such as /tmp if it cannot)",
                    self.dir.display()
                )
            });
        }
        result?;
        let version = self.dir.join("PG_VERSION");
        self.major = fs::read_to_string(&version)
            .with_context(|| format!("cannot read {}", version.display()))?
            .trim()
            .to_owned();
        Ok(())
    }

    fn start_server(&mut self) -> Result<()> {
        let log = self.dir.join("server.log");
        const ATTEMPTS: u32 = 3;
        for attempt in 1..=ATTEMPTS {
            // Another process may take the port between here and the server's bind; then retry.
            self.port = free_port()?;
            let options = format!(
                "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off \
                 -c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
                self.port,
                quote(&self.dir.to_string_lossy()),
            );
            let result = run_quiet(
                self.bin
                    .command("pg_ctl", &self.dir)
                    .arg("-D")
                    .arg(&self.dir)
                    .arg("-l")
                    .arg(&log)
                    .args(["-w", "-t", "60", "-o", &options, "start"]),
            );
            let Err(err) = result else {
                return Ok(());
            };
            let log_text = fs::read_to_string(&log).unwrap_or_default();
            if attempt < ATTEMPTS && log_text.contains("could not bind") {
                eprintln!("Port {} was taken; trying another one", self.port);
                continue;
            }
            eprintln!(
                "--- {} ---\n{}--- end of server log ---",
                log.display(),
                log_text
            );
            return Err(err.context("PostgreSQL did not start; its server log is above"));
        }
        bail!("PostgreSQL did not start after {ATTEMPTS} attempts")
    }

    fn shutdown(&mut self) -> Result<()> {
        if self.stopped {
            return Ok(());
        }
        self.stopped = true;
        let stopped = if self.dir.join("postmaster.pid").exists() {
            let fast = self.bin.stop(&self.dir, "fast");
            if fast.is_err() {
                // Stop it anyway, so that no server outlives its deleted directory.
                let _ = self.bin.stop(&self.dir, "immediate");
            }
            fast
        } else {
            Ok(())
        };
        let removed = if self.dir.exists() {
            fs::remove_dir_all(&self.dir)
                .with_context(|| format!("cannot remove {}", self.dir.display()))
        } else {
            Ok(())
        };
        stopped.and(removed)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Err(err) = self.shutdown() {
            eprintln!("warning: stopping the test PostgreSQL cluster: {err:#}");
        }
    }
}

impl Bin {
    /// Finds the server binaries, installing them first if they are missing.
    fn find() -> Result<Bin> {
        let dir = match find_bindir() {
            Some(dir) => dir,
            None => {
                system_packages::ensure(&[
                    ("/usr/lib/postgresql/*/bin/initdb", "postgresql"),
                    ("/usr/lib/postgresql/*/bin/pg_ctl", "postgresql"),
                ])?;
                find_bindir().context(
                    "cannot find the PostgreSQL server binaries (initdb, pg_ctl) with \
                     `pg_config --bindir` or in /usr/lib/postgresql/*/bin",
                )?
            }
        };
        let as_postgres = system_packages::is_root()?;
        Ok(Bin { dir, as_postgres })
    }

    /// A command that runs one of the binaries, as `postgres` when we are root.
    fn command(&self, program: &str, cwd: &Path) -> Command {
        let program = self.dir.join(program);
        let mut cmd = if self.as_postgres {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", OS_USER, "--"]).arg(program);
            cmd
        } else {
            Command::new(program)
        };
        // The server's user may not be allowed into the current directory.
        cmd.current_dir(cwd);
        cmd
    }

    fn stop(&self, data_dir: &Path, mode: &str) -> Result<()> {
        run_quiet(
            self.command("pg_ctl", data_dir)
                .arg("-D")
                .arg(data_dir)
                .args(["-m", mode, "-w", "-t", "60", "stop"]),
        )
    }
}

/// `pg_config --bindir` if it names a directory with `initdb` and `pg_ctl`, else the
/// highest-numbered `/usr/lib/postgresql/*/bin` that has both.
fn find_bindir() -> Option<PathBuf> {
    let has_server = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();

    if let Ok(output) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        if output.status.success() && has_server(&dir) {
            return Some(dir);
        }
    }

    fs::read_dir(DEBIAN_LIB)
        .ok()?
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let version = entry
                .file_name()
                .to_str()?
                .split('.')
                .map(|part| part.parse::<u32>().ok())
                .collect::<Option<Vec<u32>>>()?;
            let bin = entry.path().join("bin");
            has_server(&bin).then_some((version, bin))
        })
        .max()
        .map(|(_, bin)| bin)
}

/// Creates the `postgres` user if it does not exist (the Debian package normally creates it).
fn ensure_postgres_user() -> Result<()> {
    let exists = |database: &str| {
        Command::new("getent")
            .args([database, OS_USER])
            .output()
            .is_ok_and(|output| output.status.success())
    };
    if exists("passwd") {
        return Ok(());
    }
    let mut cmd = Command::new("useradd");
    cmd.args(["--system", "--no-create-home"]);
    if exists("group") {
        cmd.args(["-g", OS_USER]);
    }
    eprintln!("Creating the `{OS_USER}` user to run the test PostgreSQL server");
    run_quiet(cmd.arg(OS_USER))
}

/// Stops and removes clusters whose xtask no longer runs (it was killed, e.g. by Ctrl-C: the
/// server runs in its own session, so it outlives xtask). Only on Linux, where `/proc` tells.
fn remove_stale_clusters(bin: &Bin) {
    for dir in abandoned_dirs(DIR_PREFIX) {
        if dir.join("postmaster.pid").exists() {
            let _ = bin.stop(&dir, "immediate");
        }
        if fs::remove_dir_all(&dir).is_ok() {
            eprintln!("Removed the stale test cluster {}", dir.display());
        }
    }
}
