//! `cargo xtask api-fuzz` (and a step of `cargo xtask test`): schemathesis against a real
//! `recovery-server serve --demo`, with every check on.
//!
//! Schemathesis (PyPI, pinned) lives in a virtual environment under the target directory,
//! made once and reused. The server listens on a free loopback port; xtask signs the demo user
//! `ada` in first (so fuzzed sign-ins cannot lock her out before the token exists) and gives
//! schemathesis the session token. The run is bounded in examples and in wall time; any server
//! error, undocumented status, or answer that does not match the document fails it. The
//! server is stopped afterwards, whatever happened.

use std::env;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::{cargo, display, run_command};

/// The schemathesis release the checks are pinned to.
const SCHEMATHESIS_VERSION: &str = "4.32.5";
/// Test cases per operation and phase.
const MAX_EXAMPLES: &str = "40";
/// Schemathesis is stopped, and the step fails, past this.
const RUN_LIMIT: Duration = Duration::from_secs(240);
/// Schemathesis' configuration. `positive_data_acceptance` also accepts `410` and `422` from
/// schema-valid requests: the document cannot say which activation codes are live (`410
/// activation_invalid`) nor which strings are phone numbers, matching codes or verified
/// WebAuthn answers (`422`). Each operation documents those answers, and
/// `status_code_conformance` still fails any status it does not list.
const CONFIG: &str = r#"[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "410", "422", "429", "5xx"]
"#;
/// How long the freshly started server may take to answer `/healthz`.
const START_LIMIT: Duration = Duration::from_secs(60);

pub fn run() -> Result<()> {
    let mut build = cargo();
    build.args(["build", "-p", "recovery-server"]);
    if Path::new("Cargo.lock").exists() {
        build.arg("--locked");
    }
    run_command(&mut build)?;
    let target = target_dir()?;
    let server_binary = target.join("debug/recovery-server");
    if !server_binary.is_file() {
        bail!("{} is missing after the build", server_binary.display());
    }
    let schemathesis = schemathesis(&target.join("tools"))?;
    let work = target.join("api-fuzz");
    fs::create_dir_all(&work).with_context(|| format!("cannot create {}", work.display()))?;

    let server = Server::start(&server_binary, &work)?;
    let result = fuzz(&schemathesis, &server, &work);
    let log = server.stop();
    if result.is_err() {
        eprintln!(
            "--- server log ({}) ---\n{log}",
            work.join("server.log").display()
        );
    }
    result
}

fn fuzz(schemathesis: &Path, server: &Server, work: &Path) -> Result<()> {
    let token = server.sign_in_ada()?;
    let config = work.join("schemathesis.toml");
    fs::write(&config, CONFIG).with_context(|| format!("cannot write {}", config.display()))?;
    let mut cmd = Command::new(schemathesis);
    cmd.arg("--config-file")
        .arg(&config)
        .arg("run")
        .arg(format!("http://{}/v1/openapi.json", server.address))
        .args(["--checks", "all"])
        .args(["--max-examples", MAX_EXAMPLES])
        .args(["--workers", "2"])
        .args(["--request-timeout", "10"])
        .args(["--suppress-health-check", "too_slow"])
        .args(["--report", "junit"])
        .arg("--report-dir")
        .arg(work.join("report"))
        // `DELETE /v1/recovery/sessions/current` would end the session every other operation
        // runs in; a second run below covers it.
        .args(["--exclude-operation-id", "end_current"])
        .env("NO_COLOR", "1")
        .env("SCHEMATHESIS_HOOKS", "")
        // Its cache (`.schemathesis/`) goes with the report, not into the workspace.
        .current_dir(work)
        .stdin(Stdio::null());
    let auth = format!("Authorization: Bearer {token}");
    eprintln!("$ {} -H 'Authorization: Bearer …'", display(&cmd));
    run_bounded(cmd.args(["-H", &auth]))?;

    let mut last = Command::new(schemathesis);
    last.arg("--config-file")
        .arg(&config)
        .arg("run")
        .arg(format!("http://{}/v1/openapi.json", server.address))
        .args(["--checks", "all"])
        .args(["--max-examples", MAX_EXAMPLES])
        .args(["--include-operation-id", "end_current"])
        .env("NO_COLOR", "1")
        .current_dir(work)
        .stdin(Stdio::null());
    eprintln!("$ {} -H 'Authorization: Bearer …'", display(&last));
    run_bounded(last.args(["-H", &auth]))
}

/// Runs schemathesis, killing it past [`RUN_LIMIT`].
fn run_bounded(cmd: &mut Command) -> Result<()> {
    let started = Instant::now();
    let mut child = cmd.spawn().context("cannot start schemathesis")?;
    loop {
        if let Some(status) = child.try_wait()? {
            if !status.success() {
                bail!("schemathesis found problems ({status}); see its report above");
            }
            eprintln!(
                "schemathesis: passed in {:.0}s",
                started.elapsed().as_secs_f64()
            );
            return Ok(());
        }
        if started.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "schemathesis ran longer than {}s and was stopped",
                RUN_LIMIT.as_secs()
            );
        }
        sleep(Duration::from_millis(200));
    }
}

/// The `schemathesis` program of the pinned release, installing it in a virtual environment
/// under `tools` when it is missing.
fn schemathesis(tools: &Path) -> Result<PathBuf> {
    let venv = tools.join(format!("schemathesis-{SCHEMATHESIS_VERSION}"));
    let program = venv.join("bin/schemathesis");
    if reports_version(&program) {
        return Ok(program);
    }
    if venv.exists() {
        fs::remove_dir_all(&venv)
            .with_context(|| format!("cannot remove the broken {}", venv.display()))?;
    }
    fs::create_dir_all(tools).with_context(|| format!("cannot create {}", tools.display()))?;
    let python = env::var_os("PYTHON").unwrap_or_else(|| "python3".into());
    run_command(Command::new(&python).args(["-m", "venv"]).arg(&venv)).context(
        "cannot make a Python virtual environment for schemathesis (on Debian or Ubuntu: \
         apt-get install python3-venv; or set PYTHON to a Python 3.9+ with venv)",
    )?;
    run_command(
        Command::new(venv.join("bin/pip"))
            .args(["install", "--disable-pip-version-check", "--quiet"])
            .args(["--timeout", "60", "--retries", "3"])
            .arg(format!("schemathesis=={SCHEMATHESIS_VERSION}")),
    )?;
    if !reports_version(&program) {
        bail!("{} does not run after installing it", program.display());
    }
    Ok(program)
}

fn reports_version(program: &Path) -> bool {
    Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|output| {
            output.status.success()
                && String::from_utf8_lossy(&output.stdout).contains(SCHEMATHESIS_VERSION)
        })
}

/// `CARGO_TARGET_DIR`, or `target/` in the workspace (xtask runs from the workspace root).
fn target_dir() -> Result<PathBuf> {
    let root = env::current_dir()?;
    Ok(match env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    })
}

/// `recovery-server serve --demo` on a free loopback port; stopped when dropped.
struct Server {
    child: Option<Child>,
    address: SocketAddr,
    log: PathBuf,
}

impl Server {
    fn start(binary: &Path, work: &Path) -> Result<Self> {
        let address = {
            let listener =
                TcpListener::bind("127.0.0.1:0").context("cannot find a free TCP port")?;
            listener.local_addr()?
        };
        let log = work.join("server.log");
        let output =
            File::create(&log).with_context(|| format!("cannot create {}", log.display()))?;
        let mut cmd = Command::new(binary);
        cmd.args(["serve", "--demo", "--listen", &address.to_string()])
            // No configuration file, the demo's defaults, but: no admin listener (its fixed
            // port may be taken), cheap password hashing, and a client throttle loose enough
            // for the fuzzer's sign-ins to reach verification instead of a 429.
            .env_remove("RECOVERY_CONFIG")
            .env("RECOVERY_HTTP__ADMIN_LISTEN", "off")
            .env("RECOVERY_PASSWORD_HASH__MEMORY_KIB", "1024")
            .env("RECOVERY_PASSWORD_HASH__ITERATIONS", "1")
            .env("RECOVERY_THROTTLE__CLIENT_FAILURES", "100000")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(output.try_clone()?)
            .stderr(output);
        eprintln!("$ {}", display(&cmd));
        let child = cmd.spawn().context("cannot start recovery-server")?;
        let mut server = Server {
            child: Some(child),
            address,
            log,
        };
        server.wait_until_healthy()?;
        Ok(server)
    }

    fn wait_until_healthy(&mut self) -> Result<()> {
        let started = Instant::now();
        loop {
            if let Ok((200, _)) = request(self.address, "GET", "/healthz", None) {
                return Ok(());
            }
            if let Some(child) = self.child.as_mut() {
                if let Some(status) = child.try_wait()? {
                    bail!("recovery-server exited at start ({status})");
                }
            }
            if started.elapsed() > START_LIMIT {
                bail!(
                    "recovery-server did not answer /healthz within {}s",
                    START_LIMIT.as_secs()
                );
            }
            sleep(Duration::from_millis(200));
        }
    }

    /// A session token for the demo user `ada`.
    fn sign_in_ada(&self) -> Result<String> {
        let body = r#"{"username":"ada","password":"correct-horse-battery","date_of_birth":"1985-12-10","pin":"246810"}"#;
        let (status, answer) = request(self.address, "POST", "/v1/recovery/sessions", Some(body))?;
        if status != 201 {
            bail!("signing ada in answered {status}: {answer}");
        }
        answer
            .split_once(r#""token":""#)
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(token, _)| token.to_owned())
            .filter(|token| !token.is_empty())
            .context("the sign-in answer has no token")
    }

    /// Stops the server (SIGTERM, then SIGKILL) and returns its log.
    fn stop(mut self) -> String {
        self.terminate();
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn terminate(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // SIGTERM lets the demo service remove its temporary database.
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .stderr(Stdio::null())
            .status();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// One HTTP/1.1 request over a fresh connection: the status and the body.
fn request(
    address: SocketAddr,
    method: &str,
    path: &str,
    json: Option<&str>,
) -> Result<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let body = json.unwrap_or_default();
    let content_type = if json.is_some() {
        "Content-Type: application/json\r\n"
    } else {
        ""
    };
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n{content_type}\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .context("not an HTTP answer")?;
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    Ok((status, body.to_owned()))
}
