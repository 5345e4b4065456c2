//! The `tauri-driver` process of one test: started on free ports with the test's own HOME and
//! XDG folders, waited for until it is ready, and stopped (with whatever it left running).

use std::fs;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::suite::Suite;
use crate::wait::POLL;

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// Starts `tauri-driver` for the app, its HOME, XDG and temporary folders inside `dir`
/// (`home/`, `runtime/`, `tmp/`), `env` added, its output in `log`; returns it with its URL
/// once it answers as ready.
pub(crate) async fn start(
    suite: &Suite,
    dir: &Path,
    env: &[(String, String)],
    log: &Path,
) -> Result<(Driver, String)> {
    let home = dir.join("home");
    let runtime = dir.join("runtime");
    let log_file = fs::File::create(log)?;

    let port = free_port()?;
    let native_port = loop {
        let p = free_port()?;
        if p != port {
            break p;
        }
    };
    let mut cmd = Command::new(&suite.driver);
    cmd.args([
        "--port",
        &port.to_string(),
        "--native-port",
        &native_port.to_string(),
    ]);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("RECOVERY_DESK_")
            || key == "LC_ALL"
            || key == "LC_MESSAGES"
        {
            cmd.env_remove(key);
        }
    }
    cmd.env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("XDG_STATE_HOME", home.join(".local/state"))
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("TMPDIR", dir.join("tmp"))
        .env("LANG", "C.UTF-8")
        // Not WEBKIT_DISABLE_COMPOSITING_MODE: with WebKitGTK 2.50 under Xvfb it makes the
        // second WebDriver screenshot after a page change hang; without it the window draws.
        .env_remove("WEBKIT_DISABLE_COMPOSITING_MODE")
        .env("NO_AT_BRIDGE", "1")
        .env("RECOVERY_DESK_LOG", "info")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(log_file.try_clone()?)
        .stderr(log_file);
    let driver = cmd
        .spawn()
        .with_context(|| format!("starting {}", suite.driver.display()))?;

    // Held from here, so that an early error still stops it.
    let mut driver = Driver(Some(driver));
    let url = format!("http://127.0.0.1:{port}");
    wait_for_status(&url, &mut driver, log).await?;
    Ok((driver, url))
}

/// The app outlives its driver when the session was not closed (a timeout, a panic): stop
/// the processes whose command line names this test's own folder.
pub(crate) fn stop_leftovers(dir: &Path) {
    let needle = dir.display().to_string();
    let Ok(entries) = fs::read_dir("/proc") else {
        return;
    };
    let me = std::process::id().to_string();
    for entry in entries.flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if pid == me || !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(cmdline) = fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(&needle) {
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
        }
    }
}

/// The running `tauri-driver`; dropping it stops it.
pub(crate) struct Driver(Option<Child>);

impl Driver {
    /// SIGTERM (tauri-driver then stops WebKitWebDriver; SIGKILL would leave it behind), then
    /// SIGKILL after 10 s. Once: later calls do nothing.
    pub(crate) fn stop(&mut self) {
        let Some(mut child) = self.0.take() else {
            return;
        };
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn wait_for_status(url: &str, driver: &mut Driver, log: &Path) -> Result<()> {
    let http = reqwest::Client::new();
    let start = Instant::now();
    loop {
        if let Some(child) = driver.0.as_mut() {
            if let Some(status) = child.try_wait()? {
                bail!("tauri-driver exited ({status}):\n{}", tail(log));
            }
        }
        if let Ok(resp) = http.get(format!("{url}/status")).send().await {
            if resp.status().is_success() {
                let body: Value = resp.json().await.unwrap_or(Value::Null);
                if body["value"]["ready"] == Value::Bool(true) {
                    return Ok(());
                }
            }
        }
        if start.elapsed() > Duration::from_secs(30) {
            bail!(
                "tauri-driver's /status was not ready in 30 s:\n{}",
                tail(log)
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

pub(crate) fn tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}
