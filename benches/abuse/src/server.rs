//! One `recovery-server` process under test: a private folder, a clean environment, a free port
//! on 127.0.0.1, and SIGKILL when dropped, whatever happened to the measurement.

use std::{
    fs::{self, OpenOptions},
    net::{IpAddr, Ipv4Addr, SocketAddr},
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

use crate::api::{Api, Credentials};

/// How long a server may take to print its address and answer `/healthz`.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long an admin command (`directory import`, `audit export`) may take.
const CLI_TIMEOUT: Duration = Duration::from_secs(180);
/// Nothing listens on the discard port: e-mail, calls and texts of a non-demo service fail
/// there instead of leaving the machine. Sign-in, all those services are used for, sends none.
const NOWHERE_SMTP: &str = "smtp://127.0.0.1:9";
const NOWHERE_HTTP: &str = "http://127.0.0.1:9";

/// How the server runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `serve --demo`: a fresh database of its own (under our `TMPDIR`) with the demo people,
    /// every message in the outbox (`GET /v1/demo/outbox`).
    Demo,
    /// `serve` on `recovery.db` in the folder, so that it survives a restart and the admin
    /// commands reach it; delivery goes nowhere (see [`NOWHERE_SMTP`]).
    Service,
}

/// A `recovery-server` binary and what its processes get added to their environment (for a
/// setting only that binary knows; the configuration refuses unknown keys).
#[derive(Debug, Clone)]
pub struct Binary {
    pub path: PathBuf,
    pub env: Vec<(String, String)>,
}

/// A folder for one measurement of one binary: the database, `TMPDIR` and the server's log.
/// Removed when dropped.
pub struct Workspace {
    dir: tempfile::TempDir,
    binary: Binary,
}

impl Workspace {
    pub fn new(binary: &Binary, name: &str) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix(&format!("abuse-bench-{name}-"))
            .tempdir()
            .context("cannot make a temporary folder")?;
        fs::create_dir_all(dir.path().join("tmp"))?;
        Ok(Self {
            dir,
            binary: binary.clone(),
        })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn log(&self) -> PathBuf {
        self.path().join("server.log")
    }

    /// The database of [`Mode::Service`].
    fn service_database_url(&self) -> String {
        format!("sqlite://{}", self.path().join("recovery.db").display())
    }

    /// The database a demo server made for itself under our `TMPDIR`.
    pub fn demo_database_url(&self) -> Result<String> {
        let tmp = self.path().join("tmp");
        for entry in fs::read_dir(&tmp)? {
            let path = entry?.path();
            let is_demo = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("recovery-desk-demo-"));
            if is_demo && path.join("demo.db").exists() {
                return Ok(format!("sqlite://{}", path.join("demo.db").display()));
            }
        }
        bail!("the demo server made no database under {}", tmp.display())
    }

    /// The environment every process of this workspace gets, and nothing else of ours.
    fn command(&self, mode: Mode, env: &[(&str, String)]) -> Command {
        let mut cmd = Command::new(&self.binary.path);
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.path())
            .env("TMPDIR", self.path().join("tmp"))
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null());
        if mode == Mode::Service {
            cmd.env("RECOVERY_DATABASE_URL", self.service_database_url())
                .env("RECOVERY_NOTIFY__KIND", "smtp")
                .env("RECOVERY_NOTIFY__URL", NOWHERE_SMTP)
                .env("RECOVERY_NOTIFY__FROM", "Recovery Desk <bench@example.org>")
                .env("RECOVERY_TELEPHONY__KIND", "voice_api")
                .env("RECOVERY_TELEPHONY__BASE_URL", NOWHERE_HTTP)
                .env("RECOVERY_TELEPHONY__ACCOUNT_SID", "ACbench")
                .env("RECOVERY_TELEPHONY__AUTH_TOKEN", "bench")
                // Quoted, or the configuration reads it as a number.
                .env("RECOVERY_TELEPHONY__FROM", "\"+12015550100\"");
        }
        for (key, value) in env {
            cmd.env(key, value);
        }
        for (key, value) in &self.binary.env {
            cmd.env(key, value);
        }
        cmd
    }

    /// Starts `serve` and waits until it answers `/healthz`.
    pub async fn start(&self, mode: Mode, env: &[(&str, String)]) -> Result<Server> {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log())
            .context("cannot open the server's log")?;
        let mut cmd = self.command(mode, env);
        cmd.arg("serve").args(["--listen", "127.0.0.1:0"]);
        if mode == Mode::Demo {
            cmd.arg("--demo");
        }
        cmd.stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .kill_on_drop(true);
        let mut child = cmd
            .spawn()
            .with_context(|| format!("cannot start {}", self.binary.path.display()))?;
        let pid = child.id().context("the server exited at once")?;
        let stdout = child.stdout.take().context("no stdout pipe")?;
        let mut server = Server {
            child,
            pid,
            address: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        };
        let mut lines = BufReader::new(stdout).lines();
        let deadline = Instant::now() + START_TIMEOUT;
        let address = loop {
            let line = tokio::time::timeout_at(deadline.into(), lines.next_line()).await;
            match line {
                Ok(Ok(Some(line))) => {
                    if let Some(address) = api_address(&line) {
                        break address;
                    }
                }
                Ok(Ok(None)) | Ok(Err(_)) => {
                    bail!("the server exited at start; {}", self.log_tail())
                }
                Err(_) => bail!(
                    "the server printed no address within {} s; {}",
                    START_TIMEOUT.as_secs(),
                    self.log_tail()
                ),
            }
        };
        // Only ever loopback, whatever the binary printed.
        if address.ip() != IpAddr::V4(Ipv4Addr::LOCALHOST) {
            bail!("the server listens on {address}, not on 127.0.0.1");
        }
        server.address = address;
        // Keep reading, so that the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let api = Api::new(address)?;
        while !api.healthy().await {
            if Instant::now() > deadline {
                bail!("/healthz did not answer 200; {}", self.log_tail());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(server)
    }

    /// Runs an admin command (`directory import …`, `audit export`) on the database `url`;
    /// `env` as for [`Self::start`]. Returns its standard output.
    pub async fn admin(&self, url: &str, env: &[(&str, String)], args: &[&str]) -> Result<String> {
        let mut cmd = self.command(Mode::Service, env);
        cmd.env("RECOVERY_DATABASE_URL", url)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let output = tokio::time::timeout(CLI_TIMEOUT, cmd.output())
            .await
            .with_context(|| format!("`recovery-server {}` took too long", args.join(" ")))?
            .with_context(|| format!("cannot run `recovery-server {}`", args.join(" ")))?;
        if !output.status.success() {
            bail!(
                "`recovery-server {}` failed ({}): {}",
                args.join(" "),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// `directory import` of these people into the [`Mode::Service`] database (passwords
    /// hashed with the cost that `env` configures).
    pub async fn import(&self, people: &[Credentials], env: &[(&str, String)]) -> Result<()> {
        let file = self.path().join("people.csv");
        fs::write(&file, people_csv(people))?;
        let file = file.to_string_lossy().into_owned();
        self.admin(
            &self.service_database_url(),
            env,
            &["directory", "import", &file],
        )
        .await?;
        Ok(())
    }

    /// The last lines of the server's log, for an error message.
    fn log_tail(&self) -> String {
        let text = fs::read_to_string(self.log()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(15)..].join("\n");
        if tail.is_empty() {
            "its log is empty".to_owned()
        } else {
            format!("its log ends:\n{tail}")
        }
    }
}

/// A running server; SIGKILLed when dropped.
pub struct Server {
    child: Child,
    pid: u32,
    address: SocketAddr,
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn api(&self) -> Result<Api> {
        Api::new(self.address)
    }

    /// Still running?
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGKILL, as a crash or an out-of-memory killer would, and reap it.
    pub async fn kill(mut self) -> Result<()> {
        self.child.kill().await.context("cannot kill the server")
    }
}

/// The directory import's CSV (`crates/recovery-server/src/directory/csv_import.rs`).
fn people_csv(people: &[Credentials]) -> String {
    let mut csv = String::from(
        "username,display_name,notification_emails,phone_numbers,date_of_birth,password,recovery_pin\n",
    );
    for p in people {
        csv.push_str(&format!(
            "{0},{0},{0}@example.org,,{1},{2},{3}\n",
            p.username, p.date_of_birth, p.password, p.pin
        ));
    }
    csv
}

/// `… listening on http://127.0.0.1:PORT …` (both `serve` and `serve --demo` print it), but
/// not a line about an admin or metrics listener.
fn api_address(line: &str) -> Option<SocketAddr> {
    let lower = line.to_ascii_lowercase();
    if !lower.contains("listening on") || lower.contains("admin") || lower.contains("metrics") {
        return None;
    }
    let rest = &line[line.find("http://")? + "http://".len()..];
    let end = rest
        .find(|c: char| c.is_whitespace() || c == '/')
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_start_lines() {
        let demo = "Recovery Desk service listening on http://127.0.0.1:40001 (demo: try user ada)";
        let plain = "Recovery Desk service listening on http://127.0.0.1:40002";
        assert_eq!(
            api_address(demo),
            Some(SocketAddr::from(([127, 0, 0, 1], 40001)))
        );
        assert_eq!(
            api_address(plain),
            Some(SocketAddr::from(([127, 0, 0, 1], 40002)))
        );
        assert_eq!(api_address("starting"), None);
        assert_eq!(
            api_address("admin listening on http://127.0.0.1:9000"),
            None
        );
    }
}
