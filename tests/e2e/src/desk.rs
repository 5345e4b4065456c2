//! One test's app: [`Desk::launch`] starts it fresh (its own folders, driver and WebDriver
//! session), [`Desk::finish`] ends it and, when the test failed, keeps the evidence.

use std::fs;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use fantoccini::{Client, ClientBuilder};
use serde_json::json;

use crate::driver::{self, stop_leftovers, tail, Driver};
use crate::suite::Suite;

/// How to launch the app.
#[derive(Debug, Default, Clone)]
pub struct Launch {
    /// `--kiosk`.
    pub kiosk: bool,
    /// `--help-desk`: the agent console instead of the person's journey.
    pub help_desk: bool,
    /// Extra environment for the app (passed through tauri-driver and WebKitWebDriver).
    pub env: Vec<(String, String)>,
}

/// A running app, its driver, and its private folders.
pub struct Desk {
    pub name: String,
    pub client: Client,
    driver: Driver,
    /// Per test: `home/` (HOME and XDG folders), `tmp/`, `demo/` (the demo database).
    dir: tempfile::TempDir,
    log: PathBuf,
    /// The language the screenshots are filed under.
    pub locale: String,
    pub(crate) suite: &'static Suite,
}

impl Desk {
    /// Starts a fresh app for the test `name`.
    pub async fn launch(name: &str, launch: Launch) -> Result<Self> {
        let suite = Suite::get()?;
        let failures = suite.failures(name);
        if failures.exists() {
            fs::remove_dir_all(&failures)
                .with_context(|| format!("removing {}", failures.display()))?;
        }
        let dir = tempfile::Builder::new()
            .prefix(&format!("recovery-desk-e2e-{name}-"))
            .tempdir()
            .context("making the test's folder")?;
        let runtime = dir.path().join("runtime");
        for sub in [
            "home",
            "home/.config",
            "home/.local/share",
            "home/.cache",
            "home/.local/state",
            "tmp",
            "demo",
            "runtime",
        ] {
            fs::create_dir_all(dir.path().join(sub))?;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&runtime, fs::Permissions::from_mode(0o700))?;
        }
        let log = dir.path().join("app.log");
        let (driver, url) = driver::start(suite, dir.path(), &launch.env, &log).await?;

        let mut args = vec![
            "--demo-data-dir".to_owned(),
            dir.path().join("demo").display().to_string(),
        ];
        if launch.kiosk {
            args.push("--kiosk".to_owned());
        }
        if launch.help_desk {
            args.push("--help-desk".to_owned());
        }
        let mut caps = serde_json::Map::new();
        caps.insert(
            "tauri:options".to_owned(),
            json!({ "application": suite.app, "args": args }),
        );
        let mut builder = ClientBuilder::native();
        builder.capabilities(caps);
        let connect = builder.connect(&url);
        let client = match tokio::time::timeout(Duration::from_secs(90), connect).await {
            Ok(Ok(client)) => client,
            Ok(Err(e)) => {
                let hint = if launch.kiosk && e.to_string().contains("browsing context") {
                    "\n(app bug: the kiosk window is built with .incognito(true), and wry's \
                     ephemeral web context never allows automation, so WebDriver cannot reach \
                     it: see src-tauri/src/window.rs)"
                } else {
                    ""
                };
                bail!(
                    "the WebDriver session did not start: {e}{hint}\n--- app.log ---\n{}",
                    tail(&log)
                )
            }
            Err(_) => bail!(
                "the WebDriver session did not start in 90 s (did the app exit?)\n--- app.log ---\n{}",
                tail(&log)
            ),
        };
        let desk = Self {
            name: name.to_owned(),
            client,
            driver,
            dir,
            log,
            locale: "en".to_owned(),
            suite,
        };
        let first = if launch.help_desk {
            "agent-username"
        } else {
            "choice-new-phone"
        };
        desk.el(first).await?;
        Ok(desk)
    }

    pub fn suite(&self) -> &'static Suite {
        self.suite
    }

    /// The app's HOME (with the XDG folders inside).
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// The folder holding the demo service's `demo.db`.
    pub fn demo_dir(&self) -> PathBuf {
        self.dir.path().join("demo")
    }

    /// What the app (and the drivers) printed so far.
    pub fn app_log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The embedded demo service's URL (`http://127.0.0.1:PORT`), from the app's log line
    /// "demo mode: the recovery service runs in-process …".
    pub fn service_url(&self) -> Result<String> {
        let log = self.app_log();
        let line = log
            .lines()
            .find(|l| l.contains("demo mode"))
            .context("the app did not log its demo service's URL")?;
        let at = line
            .find("http://")
            .with_context(|| format!("no URL in {line:?}"))?;
        let url: String = line[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || ":/._-".contains(*c))
            .collect();
        Ok(url)
    }

    /// Ends the test: on failure saves the screenshot, page and log and names them in the
    /// error; either way ends the session and stops the driver (SIGTERM).
    pub async fn finish(mut self, result: Result<()>) -> Result<()> {
        let result = match result {
            Ok(()) => Ok(()),
            Err(error) => {
                let saved = self.save_failure().await;
                match saved {
                    Ok(dir) => Err(error.context(format!(
                        "test `{}` failed; screenshot, page and app log in {}",
                        self.name,
                        dir.display()
                    ))),
                    Err(save) => Err(error.context(format!(
                        "test `{}` failed (and saving its screenshot failed: {save:#})",
                        self.name
                    ))),
                }
            }
        };
        let client = self.client.clone();
        let _ = tokio::time::timeout(Duration::from_secs(20), client.close()).await;
        self.driver.stop();
        result
    }

    async fn save_failure(&self) -> Result<PathBuf> {
        let dir = self.suite.failures(&self.name);
        fs::create_dir_all(&dir)?;
        let shot = tokio::time::timeout(Duration::from_secs(20), self.client.screenshot()).await;
        if let Ok(Ok(png)) = shot {
            fs::write(dir.join("screenshot.png"), png)?;
        }
        let page = tokio::time::timeout(Duration::from_secs(20), self.client.source()).await;
        if let Ok(Ok(html)) = page {
            fs::write(dir.join("page.html"), html)?;
        }
        fs::copy(&self.log, dir.join("app.log"))?;
        Ok(dir)
    }
}

impl Drop for Desk {
    fn drop(&mut self) {
        self.driver.stop();
        stop_leftovers(self.dir.path());
    }
}
