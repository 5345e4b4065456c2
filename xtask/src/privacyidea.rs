//! A private, throwaway privacyIDEA server for the tests of the privacyIDEA provider.
//!
//! privacyIDEA (PyPI, pinned) and gunicorn live in a virtual environment under
//! `$CARGO_TARGET_DIR/tools/privacyidea-<version>`, made once and reused. Each run gets a fresh
//! directory `$TMPDIR/recovery-desk-test-pi-<pid>` with `pi.cfg`, an SQLite database, the
//! encryption and audit keys, and a passwd-style users file that the tests append their people
//! to. `pi-manage` creates the keys, tables and two local admins; gunicorn serves it on a free
//! port on 127.0.0.1; `privacyidea_seed.py` then adds the resolver, realm and policies over
//! REST, JWTs of 10 seconds (so the tests see the service sign in again) and an API client. [`PrivacyIdea`] stops the server and deletes its directory when dropped, so also
//! when the tests fail. Directories left by a killed xtask are removed by the next start.

use std::env;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{self, Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::postgres::Cluster;
use crate::test_servers::{abandoned_dirs, free_port};
use crate::{cargo, display, run_command};

/// The privacyIDEA release the tests run against (the newest 3.14.x on PyPI).
const VERSION: &str = "3.14";
const GUNICORN_VERSION: &str = "27.0.1";
const DIR_PREFIX: &str = "recovery-desk-test-pi-";
/// The realm, the service's admin, and the relying party the tests use.
const REALM: &str = "staff";
const SERVICE_ADMIN: &str = "recoverydesk";
const RP_ID: &str = "recovery.example.org";
const SEED: &str = include_str!("privacyidea_seed.py");
/// How long gunicorn may take to answer after its start.
const START_LIMIT: Duration = Duration::from_secs(90);

/// `cargo xtask privacyidea`: the provider's tests alone, against a fresh server, on SQLite and
/// on a private PostgreSQL cluster like `cargo xtask test`.
pub fn run_tests(args: &[String]) -> Result<()> {
    let cluster = Cluster::start().context("cannot start the test PostgreSQL cluster")?;
    let server = PrivacyIdea::start(&crate::target_dir())?;
    let mut cmd = cargo();
    cmd.env("RECOVERY_TEST_POSTGRES_URL", cluster.url())
        .envs(server.env())
        .args(["test", "-p", "recovery-server", "--test", "api"]);
    if args.is_empty() {
        cmd.arg("privacyidea");
    } else {
        cmd.args(args);
    }
    let result = run_command(&mut cmd);
    server.stop()?;
    cluster.stop()?;
    result
}

pub struct PrivacyIdea {
    child: Option<Child>,
    dir: PathBuf,
    address: SocketAddr,
    password: String,
}

impl PrivacyIdea {
    /// Installs (once), sets up, starts and seeds a fresh server.
    pub fn start(target: &Path) -> Result<PrivacyIdea> {
        let started = Instant::now();
        let target = env::current_dir()?.join(target);
        let venv = install(&target.join("tools"))?;
        remove_stale_servers();
        let dir = env::temp_dir().join(format!("{DIR_PREFIX}{}", process::id()));
        if dir.exists() {
            fs::remove_dir_all(&dir)
                .with_context(|| format!("cannot remove the old {}", dir.display()))?;
        }
        fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let address = SocketAddr::from(([127, 0, 0, 1], free_port()?));
        // From here on, dropping `server` stops gunicorn (if any) and removes `dir`.
        let mut server = PrivacyIdea {
            child: None,
            dir,
            address,
            password: random_hex()?,
        };
        server.set_up(&venv)?;
        server.serve(&venv)?;
        server.seed(&venv)?;
        eprintln!(
            "privacyIDEA {VERSION} on {} (ready in {:.0}s; data in {})",
            server.url(),
            started.elapsed().as_secs_f64(),
            server.dir.display()
        );
        Ok(server)
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// What the tests read: where the server is, the service's admin, the realm, and the
    /// users file they add their people to.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("RECOVERY_TEST_PRIVACYIDEA_URL", self.url()),
            ("RECOVERY_TEST_PRIVACYIDEA_ADMIN", SERVICE_ADMIN.to_owned()),
            (
                "RECOVERY_TEST_PRIVACYIDEA_PASSWORD_FILE",
                self.password_file().display().to_string(),
            ),
            ("RECOVERY_TEST_PRIVACYIDEA_REALM", REALM.to_owned()),
            ("RECOVERY_TEST_PRIVACYIDEA_RP_ID", RP_ID.to_owned()),
            (
                "RECOVERY_TEST_PRIVACYIDEA_API_KEY_FILE",
                self.dir.join("api.key").display().to_string(),
            ),
            (
                "RECOVERY_TEST_PRIVACYIDEA_USERS",
                self.users_file().display().to_string(),
            ),
        ]
    }

    /// `privacyIDEA 3.14 on http://127.0.0.1:PORT`
    pub fn description(&self) -> String {
        format!("privacyIDEA {VERSION} on {}", self.url())
    }

    /// Stops the server and removes its directory, reporting failures.
    pub fn stop(mut self) -> Result<()> {
        self.shutdown()
    }

    /// The service admin's password, in a file so that it stays out of printed commands.
    fn password_file(&self) -> PathBuf {
        self.dir.join("admin.password")
    }

    fn users_file(&self) -> PathBuf {
        self.dir.join("users")
    }

    fn config_file(&self) -> PathBuf {
        self.dir.join("pi.cfg")
    }

    fn set_up(&self, venv: &Path) -> Result<()> {
        let path = |name: &str| self.dir.join(name).display().to_string();
        let config = format!(
            "SQLALCHEMY_DATABASE_URI = 'sqlite:///{}'\nSECRET_KEY = '{}'\nPI_PEPPER = '{}'\n\
             PI_ENCFILE = '{}'\nPI_AUDIT_KEY_PRIVATE = '{}'\nPI_AUDIT_KEY_PUBLIC = '{}'\n\
             PI_LOGFILE = '{}'\nPI_LOGLEVEL = 30\n",
            path("pi.sqlite"),
            random_hex()?,
            random_hex()?,
            path("encKey"),
            path("private.pem"),
            path("public.pem"),
            path("privacyidea.log"),
        );
        fs::write(self.config_file(), config).context("cannot write pi.cfg")?;
        fs::write(self.users_file(), "").context("cannot write the users file")?;
        fs::write(self.password_file(), &self.password).context("cannot write the password")?;
        let manage = |args: &[&str], shown: &str| {
            run_labelled(
                Command::new(venv.join("bin/pi-manage"))
                    .args(args)
                    .env("PRIVACYIDEA_CONFIGFILE", self.config_file())
                    .current_dir(&self.dir),
                &format!("pi-manage {shown}"),
            )
        };
        manage(&["setup", "create_enckey"], "setup create_enckey")?;
        manage(&["setup", "create_audit_keys"], "setup create_audit_keys")?;
        manage(&["setup", "create_tables"], "setup create_tables")?;
        manage(
            &["admin", "add", "admin", "-p", &self.password],
            "admin add admin -p …",
        )?;
        let service = format!("admin add {SERVICE_ADMIN} -p …");
        manage(
            &["admin", "add", SERVICE_ADMIN, "-p", &self.password],
            &service,
        )
    }

    fn serve(&mut self, venv: &Path) -> Result<()> {
        let log = self.dir.join("gunicorn.log");
        let output =
            File::create(&log).with_context(|| format!("cannot create {}", log.display()))?;
        let app = format!(
            "privacyidea.app:create_app(config_name='production', config_file='{}', silent=True)",
            self.config_file().display()
        );
        let mut cmd = Command::new(venv.join("bin/gunicorn"));
        cmd.arg("--bind")
            .arg(self.address.to_string())
            .args(["--workers", "1", "--threads", "4", "--timeout", "60"])
            .arg("--pid")
            .arg(self.dir.join("gunicorn.pid"))
            .arg(app)
            .env("PRIVACYIDEA_CONFIGFILE", self.config_file())
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(output.try_clone()?)
            .stderr(output);
        eprintln!("$ {}", display(&cmd));
        self.child = Some(cmd.spawn().context("cannot start gunicorn")?);
        let started = Instant::now();
        loop {
            if answers(self.address) {
                return Ok(());
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                let text = fs::read_to_string(&log).unwrap_or_default();
                bail!("privacyIDEA exited at start ({status}); its log:\n{text}");
            }
            if started.elapsed() > START_LIMIT {
                bail!(
                    "privacyIDEA did not answer within {}s",
                    START_LIMIT.as_secs()
                );
            }
            sleep(Duration::from_millis(250));
        }
    }

    fn seed(&self, venv: &Path) -> Result<()> {
        let script = self.dir.join("seed.py");
        fs::write(&script, SEED).context("cannot write seed.py")?;
        run_labelled(
            Command::new(venv.join("bin/python"))
                .arg(&script)
                .args([&self.url(), "admin", &self.password, REALM])
                .arg(self.users_file())
                .args([SERVICE_ADMIN, RP_ID])
                .arg(self.dir.join("api.key")),
            "python seed.py (resolver, realm, policies)",
        )
        .context("cannot seed privacyIDEA")
    }

    fn shutdown(&mut self) -> Result<()> {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .stderr(Stdio::null())
                .status();
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(10) {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                sleep(Duration::from_millis(100));
            }
            if !matches!(child.try_wait(), Ok(Some(_))) {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        if self.dir.exists() {
            fs::remove_dir_all(&self.dir)
                .with_context(|| format!("cannot remove {}", self.dir.display()))?;
        }
        Ok(())
    }
}

impl Drop for PrivacyIdea {
    fn drop(&mut self) {
        if let Err(err) = self.shutdown() {
            eprintln!("warning: stopping the test privacyIDEA: {err:#}");
        }
    }
}

/// The virtual environment with the pinned privacyIDEA and gunicorn, installed when missing.
fn install(tools: &Path) -> Result<PathBuf> {
    let venv = tools.join(format!("privacyidea-{VERSION}"));
    if installed(&venv) {
        return Ok(venv);
    }
    if venv.exists() {
        fs::remove_dir_all(&venv)
            .with_context(|| format!("cannot remove the broken {}", venv.display()))?;
    }
    fs::create_dir_all(tools).with_context(|| format!("cannot create {}", tools.display()))?;
    let python = env::var_os("PYTHON").unwrap_or_else(|| "python3".into());
    run_command(Command::new(&python).args(["-m", "venv"]).arg(&venv)).context(
        "cannot make a Python virtual environment for privacyIDEA (on Debian or Ubuntu: \
         apt-get install python3-venv; or set PYTHON to a Python 3.10+ with venv)",
    )?;
    let started = Instant::now();
    run_command(
        Command::new(venv.join("bin/pip"))
            .args(["install", "--disable-pip-version-check", "--quiet"])
            .args(["--timeout", "60", "--retries", "3"])
            .arg(format!("privacyidea=={VERSION}"))
            .arg(format!("gunicorn=={GUNICORN_VERSION}")),
    )?;
    if !installed(&venv) {
        bail!("privacyIDEA {VERSION} does not import after installing it");
    }
    eprintln!(
        "Installed privacyIDEA {VERSION} in {} ({:.0}s)",
        venv.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(venv)
}

fn installed(venv: &Path) -> bool {
    venv.join("bin/gunicorn").is_file()
        && Command::new(venv.join("bin/python"))
            .args([
                "-c",
                "import importlib.metadata as m; print(m.version('privacyidea'))",
            ])
            .stderr(Stdio::null())
            .output()
            .is_ok_and(|o| {
                o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == VERSION
            })
}

/// Whether something answers HTTP on the address (privacyIDEA's start page redirects).
fn answers(address: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_secs(2)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let request = format!("GET / HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    let mut answer = String::new();
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_to_string(&mut answer).is_ok()
        && answer.starts_with("HTTP/1.")
}

/// Runs a command whose arguments hold this run's admin password: shows `shown` instead,
/// and its output only when it fails.
fn run_labelled(cmd: &mut Command, shown: &str) -> Result<()> {
    eprintln!("$ {shown}");
    let output = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot start `{shown}`"))?;
    if !output.status.success() {
        bail!(
            "`{shown}` failed ({})\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// 32 hex digits from the OS's random source, for passwords and keys of this run.
fn random_hex() -> Result<String> {
    let mut bytes = [0u8; 16];
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .context("cannot read /dev/urandom")?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Stops and removes servers whose xtask no longer runs (Linux only: `/proc` tells).
fn remove_stale_servers() {
    for dir in abandoned_dirs(DIR_PREFIX) {
        // Only a gunicorn serving this very directory: a pid may have been reused.
        if let Ok(server) = fs::read_to_string(dir.join("gunicorn.pid")) {
            let cmdline = fs::read(Path::new("/proc").join(server.trim()).join("cmdline"))
                .map(|c| String::from_utf8_lossy(&c).into_owned())
                .unwrap_or_default();
            if cmdline.contains("gunicorn") && cmdline.contains(&*dir.to_string_lossy()) {
                let _ = Command::new("kill")
                    .args(["-TERM", server.trim()])
                    .stderr(Stdio::null())
                    .status();
            }
        }
        if fs::remove_dir_all(&dir).is_ok() {
            eprintln!("Removed the stale test privacyIDEA {}", dir.display());
        }
    }
}
