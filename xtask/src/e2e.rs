//! The end-to-end suite: the built app driven over WebDriver (tauri-driver) under Xvfb.
//!
//! Builds the UI, the app (debug, with the UI embedded) and the admin CLI, installs
//! `tauri-driver` 2.x into `target/tools` when it is missing, starts Xvfb on a free display
//! and runs `tests/e2e` (the `recovery-desk-e2e` crate, whose tests are `#[ignore]`d so that a
//! plain `cargo test` skips them) one test at a time. Each test launches its own app, with its
//! own embedded demo service and its own HOME. A failing test leaves its screenshot, page and
//! app log in `target/e2e-failures/<test>/`.

use std::env;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::{cargo, run_command, system_packages, ui};

/// tauri-driver's major version: it must match Tauri 2.
const TAURI_DRIVER_VERSION: &str = "^2";

/// Runs the suite (or the tests whose names contain `filter`); with `screenshots`, every screen
/// is saved there as PNG (`<dir>/<locale>/<nn>-<screen>.png`).
pub fn run(screenshots: Option<&Path>, filter: Option<&str>) -> Result<()> {
    system_packages::ensure(system_packages::DESKTOP_TESTS)?;
    ui::build()?;
    run_command(cargo().args(["build", "-p", "recovery-desk", "-p", "recovery-server"]))?;

    let root = env::current_dir()?;
    let target = target_dir(&root);
    let app = target.join("debug/recovery-desk");
    let server = target.join("debug/recovery-server");
    for binary in [&app, &server] {
        if !binary.is_file() {
            bail!("{} is missing after the build", binary.display());
        }
    }
    let driver = tauri_driver(&root)?;

    // A filtered run adds the pictures its tests take and keeps the others.
    let screenshots = match (screenshots, filter) {
        (Some(dir), None) => Some(prepare_screenshots(&root.join(dir))?),
        (Some(dir), Some(_)) => Some(root.join(dir)),
        (None, _) => None,
    };

    let display = Xvfb::start()?;
    eprintln!("Xvfb on {}", display.name);

    let mut cmd = cargo();
    cmd.args(["test", "-p", "recovery-desk-e2e", "--test", "flows"])
        .args(["--", "--ignored", "--test-threads=1", "--nocapture"])
        .args(filter)
        .env("DISPLAY", &display.name)
        .env("RECOVERY_DESK_E2E_APP", &app)
        .env("RECOVERY_DESK_E2E_SERVER", &server)
        .env("RECOVERY_DESK_E2E_DRIVER", &driver)
        .env_remove("WAYLAND_DISPLAY");
    if let Some(dir) = &screenshots {
        cmd.env("RECOVERY_DESK_E2E_SCREENSHOTS", dir);
    }
    // No D-Bus session: the app needs none (no single-instance plugin; the keyring only for a
    // configured service, and the demo service is embedded), and under `dbus-run-session`
    // WebKitGTK starts the accessibility bus and WebDriver commands then hang.
    cmd.env_remove("DBUS_SESSION_BUS_ADDRESS");
    let started = Instant::now();
    let result = run_command(&mut cmd);
    let elapsed = started.elapsed();
    drop(display);
    eprintln!(
        "end-to-end suite: {} in {:.0}s{}",
        if result.is_ok() { "passed" } else { "FAILED" },
        elapsed.as_secs_f64(),
        if result.is_err() {
            " (screenshots, pages and app logs of the failures in target/e2e-failures/)"
        } else {
            ""
        }
    );
    if let (Ok(()), Some(dir)) = (&result, &screenshots) {
        eprintln!("screenshots in {}", dir.display());
    }
    result
}

/// The service's own pages in a real browser: headless Chromium driven by chromedriver, with
/// WebDriver's virtual authenticator as the security key, registers a key on the enrolment
/// page (`crates/recovery-server/tests/api/enrolment_browser.rs`, ignored in a plain
/// `cargo test`).
pub fn browser() -> Result<()> {
    system_packages::ensure(system_packages::BROWSER_TESTS)?;
    run_command(cargo().args([
        "test",
        "-p",
        "recovery-server",
        "--test",
        "api",
        "enrolment_browser",
        "--",
        "--ignored",
        "--nocapture",
    ]))
}

/// `CARGO_TARGET_DIR`, or `target/` in the workspace.
fn target_dir(root: &Path) -> PathBuf {
    match env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}

/// `tauri-driver` from PATH, else from `target/tools`, installing it there when missing.
fn tauri_driver(root: &Path) -> Result<PathBuf> {
    if let Some(found) = find_on_path("tauri-driver") {
        return Ok(found);
    }
    let tools = target_dir(root).join("tools");
    let installed = tools.join("bin/tauri-driver");
    if !installed.is_file() {
        run_command(
            cargo()
                .args([
                    "install",
                    "tauri-driver",
                    "--version",
                    TAURI_DRIVER_VERSION,
                    "--locked",
                    "--root",
                ])
                .arg(&tools),
        )?;
    }
    if !installed.is_file() {
        bail!("{} is missing after `cargo install`", installed.display());
    }
    Ok(installed)
}

/// Makes `dir/en` and `dir/es` and removes their old PNG files, so that the suite writes
/// each screen once.
fn prepare_screenshots(dir: &Path) -> Result<PathBuf> {
    for locale in ["en", "es"] {
        let sub = dir.join(locale);
        fs::create_dir_all(&sub).with_context(|| format!("cannot create {}", sub.display()))?;
        for entry in fs::read_dir(&sub)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "png") {
                fs::remove_file(&path)
                    .with_context(|| format!("cannot remove {}", path.display()))?;
            }
        }
    }
    Ok(dir.to_path_buf())
}

fn find_on_path(command: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path)
        .map(|dir| dir.join(command))
        .find(|candidate| candidate.is_file())
}

fn on_path(command: &str) -> bool {
    find_on_path(command).is_some()
}

/// A private X server, stopped (SIGTERM) when dropped, whether the suite passed or not.
struct Xvfb {
    name: String,
    child: Option<Child>,
}

impl Xvfb {
    fn start() -> Result<Self> {
        let number = (90..200)
            .find(|n| {
                !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                    && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
            })
            .context("no free X display number between :90 and :199")?;
        let name = format!(":{number}");
        // Xvfb's chatter goes to a file: a pipe nobody reads could fill up and stall it.
        let log_path = env::temp_dir().join(format!("recovery-desk-xvfb-{number}.log"));
        let log = fs::File::create(&log_path)
            .with_context(|| format!("cannot create {}", log_path.display()))?;
        let child = Command::new("Xvfb")
            .args([
                name.as_str(),
                "-screen",
                "0",
                "1280x1024x24",
                "-nolisten",
                "tcp",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context("cannot start Xvfb")?;
        let mut xvfb = Self {
            name,
            child: Some(child),
        };
        let socket = PathBuf::from(format!("/tmp/.X11-unix/X{number}"));
        let started = Instant::now();
        loop {
            if socket.exists() && xvfb.answers() {
                return Ok(xvfb);
            }
            if let Some(child) = xvfb.child.as_mut() {
                if let Some(status) = child.try_wait()? {
                    xvfb.child = None;
                    let err = fs::read_to_string(&log_path).unwrap_or_default();
                    bail!("Xvfb {} exited at start ({status}): {err}", xvfb.name);
                }
            }
            if started.elapsed() > Duration::from_secs(20) {
                bail!("Xvfb {} did not come up in 20 s", xvfb.name);
            }
            sleep(Duration::from_millis(100));
        }
    }

    /// Whether the display accepts clients (`xdpyinfo` when installed, else the socket).
    fn answers(&self) -> bool {
        if !on_path("xdpyinfo") {
            return true;
        }
        Command::new("xdpyinfo")
            .env("DISPLAY", &self.name)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(OsString::from(child.id().to_string()))
            .status();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}
