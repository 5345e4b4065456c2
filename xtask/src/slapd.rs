//! A private, throwaway OpenLDAP `slapd` for the LDAP directory tests.
//!
//! Built from `xtask/ldap/` (see its README) in `$TMPDIR/recovery-desk-test-ldap-<pid>`: a test
//! CA and a server certificate for 127.0.0.1 made with `openssl`, a `cn=config` loaded with
//! `slapadd -n0`, the people with `slapadd -n1`. The server runs as the current user, in the
//! foreground as our child, on two free loopback ports: `ldap://` (StartTLS) and `ldaps://`.
//! [`Slapd`] stops it and deletes the directory when dropped, so also when the tests fail;
//! directories left by a killed xtask are removed (and their server stopped) by the next start.
//!
//! Installing the Debian package may start the distribution's own daemon on port 389 (with a
//! debconf-made database): that one is never used or touched here.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{self, Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::test_servers::{abandoned_dirs, free_port, run_quiet};
use crate::{display, system_packages};

const DIR_PREFIX: &str = "recovery-desk-test-ldap-";
pub const BASE_DN: &str = "dc=example,dc=org";
pub const SERVICE_DN: &str = "cn=recovery-desk,ou=services,dc=example,dc=org";
/// The service account's password in this throwaway directory only.
const SERVICE_PASSWORD: &str = "recovery-desk-test-service";

const PACKAGES: &[system_packages::Requirement] = &[
    ("/usr/sbin/slapd", "slapd"),
    ("/usr/sbin/slapadd", "slapd"),
    ("/usr/sbin/slappasswd", "slapd"),
    ("ldapwhoami", "ldap-utils"),
    ("openssl", "openssl"),
];

pub struct Slapd {
    dir: PathBuf,
    child: Option<Child>,
    ldap_port: u16,
    ldaps_port: u16,
}

impl Slapd {
    /// Installs slapd if needed (as root), builds the directory and starts the server.
    pub fn start() -> Result<Slapd> {
        let started = Instant::now();
        system_packages::ensure(PACKAGES)?;
        remove_stale_servers();
        let dir = env::temp_dir().join(format!("{DIR_PREFIX}{}", process::id()));
        if dir.exists() {
            fs::remove_dir_all(&dir)
                .with_context(|| format!("cannot remove the old {}", dir.display()))?;
        }
        fs::create_dir_all(dir.join("config"))
            .and_then(|()| fs::create_dir_all(dir.join("data")))
            .with_context(|| format!("cannot create {}", dir.display()))?;
        // From here on, dropping `slapd` stops the server (if any) and removes `dir`.
        let mut slapd = Slapd {
            dir,
            child: None,
            ldap_port: 0,
            ldaps_port: 0,
        };
        slapd.make_certificates()?;
        slapd.load()?;
        slapd.serve()?;
        eprintln!(
            "OpenLDAP slapd on ldap://127.0.0.1:{} (StartTLS) and ldaps://127.0.0.1:{}, ready in \
             {:.1}s (in {})",
            slapd.ldap_port,
            slapd.ldaps_port,
            started.elapsed().as_secs_f64(),
            slapd.dir.display()
        );
        Ok(slapd)
    }

    /// What the tests read to find the server (`tests/api/ldap_directory.rs`).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "RECOVERY_TEST_LDAP_URL",
                format!("ldap://127.0.0.1:{}", self.ldap_port),
            ),
            (
                "RECOVERY_TEST_LDAPS_URL",
                format!("ldaps://127.0.0.1:{}", self.ldaps_port),
            ),
            ("RECOVERY_TEST_LDAP_CA", self.ca().display().to_string()),
            ("RECOVERY_TEST_LDAP_BASE_DN", BASE_DN.to_owned()),
            ("RECOVERY_TEST_LDAP_BIND_DN", SERVICE_DN.to_owned()),
            (
                "RECOVERY_TEST_LDAP_BIND_PASSWORD",
                SERVICE_PASSWORD.to_owned(),
            ),
        ]
    }

    pub fn description(&self) -> String {
        format!("OpenLDAP on 127.0.0.1:{}", self.ldap_port)
    }

    /// Stops the server and removes its directory, reporting failures (dropping does the same
    /// but can only print them).
    pub fn stop(mut self) -> Result<()> {
        self.shutdown()
    }

    fn ca(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// A CA, and a certificate it signs for 127.0.0.1 and localhost (P-256: quick to make).
    fn make_certificates(&self) -> Result<()> {
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        let extensions = self.dir.join("server.ext");
        fs::write(
            &extensions,
            "subjectAltName=IP:127.0.0.1,DNS:localhost\n\
             basicConstraints=critical,CA:FALSE\n\
             keyUsage=critical,digitalSignature,keyEncipherment\n\
             extendedKeyUsage=serverAuth\n",
        )?;
        run_quiet(
            Command::new("openssl")
                .current_dir(&self.dir)
                .args(["req", "-x509", "-days", "2"])
                .args(ec)
                .args(["-keyout", "ca.key", "-out", "ca.pem"])
                .args(["-subj", "/CN=Recovery Desk test CA"])
                .args(["-addext", "basicConstraints=critical,CA:TRUE"])
                .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"]),
        )?;
        run_quiet(
            Command::new("openssl")
                .current_dir(&self.dir)
                .args(["req", "-new"])
                .args(ec)
                .args(["-keyout", "server.key", "-out", "server.csr"])
                .args(["-subj", "/CN=localhost"]),
        )?;
        run_quiet(
            Command::new("openssl")
                .current_dir(&self.dir)
                .args(["x509", "-req", "-days", "2", "-in", "server.csr"])
                .args(["-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial"])
                .args(["-out", "server.pem", "-extfile", "server.ext"]),
        )?;
        Ok(())
    }

    /// `cn=config` and the entries, from `xtask/ldap/`.
    fn load(&self) -> Result<()> {
        let source = Path::new("xtask/ldap");
        let read = |name: &str| {
            fs::read_to_string(source.join(name))
                .with_context(|| format!("cannot read xtask/ldap/{name}"))
        };
        fs::write(self.dir.join("schema.ldif"), read("schema.ldif")?)?;
        let dir = self.dir.display().to_string();
        let config = read("config.ldif")?
            .replace("@DIR@", &dir)
            .replace("@CA@", &format!("{dir}/ca.pem"))
            .replace("@CERT@", &format!("{dir}/server.pem"))
            .replace("@KEY@", &format!("{dir}/server.key"))
            .replace("@SCHEMA_DIR@", &schema_dir()?.display().to_string())
            .replace("@MODULE_DIR@", &module_dir()?.display().to_string())
            .replace("@SERVICE_DN@", SERVICE_DN);
        fs::write(self.dir.join("config.ldif"), config)?;
        let seed =
            hash_passwords(&read("seed.ldif")?.replace("@SERVICE_PASSWORD@", SERVICE_PASSWORD))?;
        fs::write(self.dir.join("seed.ldif"), seed)?;
        for (database, ldif) in [("0", "config.ldif"), ("1", "seed.ldif")] {
            run_quiet(
                Command::new("/usr/sbin/slapadd")
                    .current_dir(&self.dir)
                    .args(["-n", database, "-F", "config", "-l", ldif]),
            )?;
        }
        Ok(())
    }

    fn serve(&mut self) -> Result<()> {
        const ATTEMPTS: u32 = 3;
        for attempt in 1..=ATTEMPTS {
            // Another process may take a port between here and slapd's bind; then retry.
            self.ldap_port = free_port()?;
            self.ldaps_port = free_port()?;
            let log = fs::File::create(self.dir.join("slapd.log"))?;
            let urls = format!(
                "ldap://127.0.0.1:{}/ ldaps://127.0.0.1:{}/",
                self.ldap_port, self.ldaps_port
            );
            // `-d 0`: stay in the foreground, as our child, logging nothing but errors.
            let child = Command::new("/usr/sbin/slapd")
                .current_dir(&self.dir)
                .args(["-h", &urls, "-F", "config", "-d", "0"])
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log)
                .spawn()
                .context("cannot start /usr/sbin/slapd")?;
            self.child = Some(child);
            match self.wait_until_ready() {
                Ok(()) => return Ok(()),
                Err(err) => {
                    self.kill();
                    let log = fs::read_to_string(self.dir.join("slapd.log")).unwrap_or_default();
                    if attempt < ATTEMPTS && log.contains("Address already in use") {
                        eprintln!("A port for slapd was taken; trying others");
                        continue;
                    }
                    eprintln!("--- slapd's log ---\n{log}--- end of slapd's log ---");
                    return Err(err.context("slapd did not start; its log is above"));
                }
            }
        }
        bail!("slapd did not start after {ATTEMPTS} attempts")
    }

    /// Ready once the service account can bind over StartTLS with the test CA: that checks
    /// the listener, TLS and the loaded entries at once.
    fn wait_until_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(15);
        let mut check = Command::new("ldapwhoami");
        check
            .env("LDAPTLS_CACERT", self.ca())
            .args(["-x", "-ZZ", "-o", "nettimeout=2"])
            .arg("-H")
            .arg(format!("ldap://127.0.0.1:{}", self.ldap_port))
            .args(["-D", SERVICE_DN, "-w", SERVICE_PASSWORD]);
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Some(status) = child.try_wait()? {
                    bail!("slapd exited ({status})");
                }
            }
            let output = check.output().context("cannot run ldapwhoami")?;
            if output.status.success() {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "slapd did not answer `{}` within 15 s: {}",
                    display(&check),
                    String::from_utf8_lossy(&output.stderr).trim()
                );
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGTERM, then SIGKILL after 5 s.
    fn kill(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(child.try_wait(), Ok(Some(_))) {
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    fn shutdown(&mut self) -> Result<()> {
        self.kill();
        if self.dir.exists() {
            fs::remove_dir_all(&self.dir)
                .with_context(|| format!("cannot remove {}", self.dir.display()))?;
        }
        Ok(())
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        if let Err(err) = self.shutdown() {
            eprintln!("warning: stopping the test slapd: {err:#}");
        }
    }
}

/// Replaces each `{SSHA:password}` with `slappasswd`'s salted hash of it.
fn hash_passwords(ldif: &str) -> Result<String> {
    let mut out = String::with_capacity(ldif.len());
    let mut rest = ldif;
    while let Some(start) = rest.find("{SSHA:") {
        let end = rest[start..]
            .find('}')
            .map(|end| start + end)
            .context("an unclosed {SSHA:…} in xtask/ldap/seed.ldif")?;
        let password = &rest[start + "{SSHA:".len()..end];
        let output = Command::new("/usr/sbin/slappasswd")
            .args(["-h", "{SSHA}", "-s", password])
            .output()
            .context("cannot run slappasswd")?;
        if !output.status.success() {
            bail!("slappasswd failed ({})", output.status);
        }
        out.push_str(&rest[..start]);
        out.push_str(String::from_utf8_lossy(&output.stdout).trim());
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Debian's place first, then other distributions'.
fn schema_dir() -> Result<PathBuf> {
    ["/etc/ldap/schema", "/etc/openldap/schema"]
        .into_iter()
        .map(PathBuf::from)
        .find(|dir| dir.join("inetorgperson.ldif").is_file())
        .context("cannot find OpenLDAP's schema LDIF files (inetorgperson.ldif)")
}

fn module_dir() -> Result<PathBuf> {
    [
        "/usr/lib/ldap",
        "/usr/lib64/openldap",
        "/usr/libexec/openldap",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|dir| dir.join("back_mdb.so").exists())
    .context("cannot find OpenLDAP's back_mdb module")
}

/// Stops the servers and removes the directories of xtasks that no longer run (killed, e.g.
/// by Ctrl-C). Only on Linux, where `/proc` tells.
fn remove_stale_servers() {
    for dir in abandoned_dirs(DIR_PREFIX) {
        let server = fs::read_to_string(dir.join("slapd.pid")).unwrap_or_default();
        let server = server.trim();
        let is_slapd = fs::read(Path::new("/proc").join(server).join("cmdline"))
            .is_ok_and(|cmdline| String::from_utf8_lossy(&cmdline).contains("slapd"));
        if !server.is_empty() && is_slapd {
            let _ = Command::new("kill").args(["-TERM", server]).status();
        }
        if fs::remove_dir_all(&dir).is_ok() {
            eprintln!("Removed the stale test directory {}", dir.display());
        }
    }
}
