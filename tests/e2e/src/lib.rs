//! The harness of the end-to-end suite: one [`Desk`] is one fresh app process (with its own
//! embedded demo service) driven over WebDriver through its own `tauri-driver`, with its own
//! HOME and XDG folders.
//!
//! `cargo xtask test` (and `cargo xtask screenshots`) build everything, start Xvfb and run the
//! suite with these variables set; the tests are `#[ignore]`d so that a plain
//! `cargo test --workspace` skips them:
//!
//! | variable | what |
//! |---|---|
//! | `RECOVERY_DESK_E2E_APP` | the app binary (absolute path; built with `custom-protocol`) |
//! | `RECOVERY_DESK_E2E_SERVER` | the `recovery-server` binary (the admin CLI) |
//! | `RECOVERY_DESK_E2E_DRIVER` | `tauri-driver` |
//! | `RECOVERY_DESK_E2E_SCREENSHOTS` | optional: save every screen to `DIR/<locale>/<nn>-<screen>.png` |
//! | `DISPLAY` | the X display (Xvfb) |
//!
//! Every screen a test visits goes through [`Desk::screen`], which runs axe-core (vendored from
//! `ui/node_modules/axe-core`, never fetched) and fails on a serious or critical violation. A
//! failing test leaves `target/e2e-failures/<test>/{screenshot.png,page.html,app.log}`.

use std::collections::BTreeMap;
use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, ensure, Context, Result};
use base64::Engine;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

/// How long an element may take to appear (a debug build hashing passwords with argon2 on a
/// busy two-core machine).
pub const WAIT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(100);

/// The screens, numbered for the screenshot file names (`<nn>-<screen>.png`).
pub const SCREENS: &[&str] = &[
    "start",
    "sign-in",
    "verify",
    "devices",
    "bypass-code",
    "done",
    "verify-passcode",
    "verify-error",
    "verify-locked",
    "add-landline",
    "landline-calling",
    "demo-inbox",
    "landline-added",
    "phone-app",
    "remove-device",
    "device-removed",
    "idle-warning",
    "resync-token",
    "token-resynced",
    "security-key",
    "security-key-new-pin",
    "security-key-touch",
    "security-key-registered",
    "security-key-added",
    "security-key-pin",
    "security-key-pin-wrong",
    "security-key-already-registered",
];

/// The suite's settings, from the environment that xtask sets.
#[derive(Debug)]
pub struct Suite {
    pub app: PathBuf,
    pub server: PathBuf,
    pub driver: PathBuf,
    pub screenshots: Option<PathBuf>,
    pub root: PathBuf,
    axe: String,
}

fn var_path(name: &str) -> Result<PathBuf> {
    let value = std::env::var_os(name).with_context(|| {
        format!("{name} is not set: run the end-to-end suite with `cargo xtask test` or `cargo xtask screenshots`")
    })?;
    let path = PathBuf::from(value);
    ensure!(
        path.is_absolute() && path.exists(),
        "{name}={} is not an existing absolute path",
        path.display()
    );
    Ok(path)
}

impl Suite {
    /// Read once per test binary.
    pub fn get() -> Result<&'static Suite> {
        static SUITE: OnceLock<std::result::Result<Suite, String>> = OnceLock::new();
        SUITE
            .get_or_init(|| Suite::from_env().map_err(|e| format!("{e:#}")))
            .as_ref()
            .map_err(|e| anyhow!("{e}"))
    }

    fn from_env() -> Result<Self> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .nth(2)
            .context("the e2e crate is not two levels below the workspace root")?
            .to_path_buf();
        ensure!(
            std::env::var_os("DISPLAY").is_some(),
            "DISPLAY is not set: run the end-to-end suite with `cargo xtask test`"
        );
        let axe_path = root.join("ui/node_modules/axe-core/axe.min.js");
        let axe = fs::read_to_string(&axe_path).with_context(|| {
            format!(
                "cannot read {} (installed by `npm ci` in ui/)",
                axe_path.display()
            )
        })?;
        Ok(Self {
            app: var_path("RECOVERY_DESK_E2E_APP")?,
            server: var_path("RECOVERY_DESK_E2E_SERVER")?,
            driver: var_path("RECOVERY_DESK_E2E_DRIVER")?,
            screenshots: std::env::var_os("RECOVERY_DESK_E2E_SCREENSHOTS").map(PathBuf::from),
            root,
            axe,
        })
    }

    /// The UI's messages in `locale` (`ui/src/locales/<locale>.json`), as they are now.
    pub fn messages(&self, locale: &str) -> Result<BTreeMap<String, String>> {
        let path = self.root.join(format!("ui/src/locales/{locale}.json"));
        let text =
            fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let value: Value =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        let mut out = BTreeMap::new();
        flatten("", &value, &mut out);
        Ok(out)
    }
}

fn flatten(prefix: &str, value: &Value, out: &mut BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        Value::String(s) => {
            out.insert(prefix.to_owned(), s.clone());
        }
        _ => {}
    }
}

/// One message in `locale`, `{placeholders}` left as they are.
pub fn message(locale: &str, key: &str) -> Result<String> {
    Suite::get()?
        .messages(locale)?
        .remove(key)
        .with_context(|| format!("no message `{key}` in ui/src/locales/{locale}.json"))
}

/// How to launch the app.
#[derive(Debug, Default, Clone)]
pub struct Launch {
    /// `--kiosk`.
    pub kiosk: bool,
    /// Extra environment for the app (passed through tauri-driver and WebKitWebDriver).
    pub env: Vec<(String, String)>,
}

/// A running app, its driver, and its private folders.
pub struct Desk {
    pub name: String,
    pub client: Client,
    driver: Option<Child>,
    /// Per test: `home/` (HOME and XDG folders), `tmp/`, `demo/` (the demo database).
    dir: tempfile::TempDir,
    log: PathBuf,
    /// The language the screenshots are filed under.
    pub locale: String,
    suite: &'static Suite,
}

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

impl Desk {
    /// Starts a fresh app for the test `name`.
    pub async fn launch(name: &str, launch: Launch) -> Result<Self> {
        let suite = Suite::get()?;
        let failures = suite.root.join("target/e2e-failures").join(name);
        if failures.exists() {
            fs::remove_dir_all(&failures)
                .with_context(|| format!("removing {}", failures.display()))?;
        }
        let dir = tempfile::Builder::new()
            .prefix(&format!("recovery-desk-e2e-{name}-"))
            .tempdir()
            .context("making the test's folder")?;
        let home = dir.path().join("home");
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
        let log_file = fs::File::create(&log)?;

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
            .env("TMPDIR", dir.path().join("tmp"))
            .env("LANG", "C.UTF-8")
            // Not WEBKIT_DISABLE_COMPOSITING_MODE: with WebKitGTK 2.50 under Xvfb it makes the
            // second WebDriver screenshot after a page change hang; without it the window draws.
            .env_remove("WEBKIT_DISABLE_COMPOSITING_MODE")
            .env("NO_AT_BRIDGE", "1")
            .env("RECOVERY_DESK_LOG", "info")
            .envs(launch.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file);
        let driver = cmd
            .spawn()
            .with_context(|| format!("starting {}", suite.driver.display()))?;

        let mut partial = Partial {
            driver: Some(driver),
        };
        let url = format!("http://127.0.0.1:{port}");
        wait_for_status(&url, &mut partial, &log).await?;

        let mut args = vec![
            "--demo-data-dir".to_owned(),
            dir.path().join("demo").display().to_string(),
        ];
        if launch.kiosk {
            args.push("--kiosk".to_owned());
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
            driver: partial.driver.take(),
            dir,
            log,
            locale: "en".to_owned(),
            suite,
        };
        desk.el("choice-new-phone").await?;
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
        if let Some(child) = self.driver.take() {
            stop(child);
        }
        result
    }

    async fn save_failure(&self) -> Result<PathBuf> {
        let dir = self.suite.root.join("target/e2e-failures").join(&self.name);
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

    // ---- finding and acting --------------------------------------------------------------

    fn css(testid: &str) -> String {
        format!("[data-testid=\"{testid}\"]")
    }

    /// Waits for the element with `data-testid` = `testid`.
    pub async fn el(&self, testid: &str) -> Result<Element> {
        self.el_within(testid, WAIT).await
    }

    pub async fn el_within(&self, testid: &str, wait: Duration) -> Result<Element> {
        let css = Self::css(testid);
        let start = Instant::now();
        loop {
            if let Ok(el) = self.client.find(Locator::Css(&css)).await {
                return Ok(el);
            }
            if start.elapsed() > wait {
                bail!("no element [data-testid={testid}] after {wait:?}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Whether the element is there now.
    pub async fn has(&self, testid: &str) -> Result<bool> {
        Ok(!self
            .client
            .find_all(Locator::Css(&Self::css(testid)))
            .await?
            .is_empty())
    }

    /// Waits until no element carries `testid`.
    pub async fn gone(&self, testid: &str) -> Result<()> {
        let start = Instant::now();
        while self.has(testid).await? {
            if start.elapsed() > WAIT {
                bail!("[data-testid={testid}] still there after {WAIT:?}");
            }
            tokio::time::sleep(POLL).await;
        }
        Ok(())
    }

    pub async fn click(&self, testid: &str) -> Result<()> {
        let el = self.el(testid).await?;
        // A button disabled while a command runs: wait until it can be pressed.
        let start = Instant::now();
        while !el.is_enabled().await? {
            if start.elapsed() > WAIT {
                bail!("[data-testid={testid}] stayed disabled");
            }
            tokio::time::sleep(POLL).await;
        }
        el.click()
            .await
            .with_context(|| format!("clicking [data-testid={testid}]"))
    }

    /// Empties the input and types `text` into it.
    pub async fn type_into(&self, testid: &str, text: &str) -> Result<()> {
        let el = self.el(testid).await?;
        el.clear().await?;
        el.send_keys(text)
            .await
            .with_context(|| format!("typing into [data-testid={testid}]"))
    }

    /// The element's visible text, trimmed.
    pub async fn text(&self, testid: &str) -> Result<String> {
        Ok(self.el(testid).await?.text().await?.trim().to_owned())
    }

    /// Waits until the element's text satisfies `ok`; returns it.
    pub async fn text_when(&self, testid: &str, ok: impl Fn(&str) -> bool) -> Result<String> {
        let start = Instant::now();
        loop {
            let text = match self.client.find(Locator::Css(&Self::css(testid))).await {
                Ok(el) => el.text().await.unwrap_or_default().trim().to_owned(),
                Err(_) => String::new(),
            };
            if ok(&text) {
                return Ok(text);
            }
            if start.elapsed() > WAIT {
                bail!("[data-testid={testid}] never had the expected text (last: {text:?})");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The current screen's main heading (`<h1>`).
    pub async fn heading(&self) -> Result<String> {
        let h1 = self.client.find(Locator::Css("main h1")).await?;
        Ok(h1.text().await?.trim().to_owned())
    }

    /// Waits for the `<h1>` to read `expected`.
    pub async fn heading_is(&self, expected: &str) -> Result<()> {
        let start = Instant::now();
        loop {
            let now = self.heading().await.unwrap_or_default();
            if now == expected {
                return Ok(());
            }
            if start.elapsed() > WAIT {
                bail!("the heading is {now:?}, expected {expected:?}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    pub async fn script(&self, js: &str) -> Result<Value> {
        self.client
            .execute(js, vec![])
            .await
            .with_context(|| format!("running script {}", js.chars().take(60).collect::<String>()))
    }

    pub async fn script_async(&self, js: &str) -> Result<Value> {
        self.client
            .execute_async(js, vec![])
            .await
            .with_context(|| format!("running script {}", js.chars().take(60).collect::<String>()))
    }

    /// Switches the language with the picker.
    pub async fn choose_language(&mut self, locale: &str) -> Result<()> {
        let picker = self.el("language-picker").await?;
        picker.select_by_value(locale).await?;
        let start = Instant::now();
        loop {
            let lang = self.script("return document.documentElement.lang").await?;
            if lang.as_str() == Some(locale) {
                break;
            }
            if start.elapsed() > WAIT {
                bail!("<html lang> stayed {lang} after choosing {locale}");
            }
            tokio::time::sleep(POLL).await;
        }
        self.locale = locale.to_owned();
        Ok(())
    }

    // ---- keyboard --------------------------------------------------------------------------

    /// Presses and releases each key in turn, at the focused element (WebDriver actions).
    pub async fn keys(&self, keys: &[char]) -> Result<()> {
        let mut actions = KeyActions::new("keyboard".to_owned());
        for &k in keys {
            actions = actions
                .then(KeyAction::Down { value: k })
                .then(KeyAction::Up { value: k });
        }
        self.client.perform_actions(actions).await?;
        self.client.release_actions().await?;
        Ok(())
    }

    pub async fn press(&self, key: Key) -> Result<()> {
        self.keys(&[key.into()]).await
    }

    /// Types `text` at the focused element.
    pub async fn type_keys(&self, text: &str) -> Result<()> {
        let chars: Vec<char> = text.chars().collect();
        self.keys(&chars).await
    }

    /// The focused element's `data-testid` (or empty).
    pub async fn focused(&self) -> Result<String> {
        let v = self
            .script("const e = document.activeElement; return e && e.dataset ? (e.dataset.testid || '') : '';")
            .await?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    /// Presses Tab until the element `testid` has the focus.
    pub async fn tab_to(&self, testid: &str) -> Result<()> {
        let start = Instant::now();
        let mut seen = Vec::new();
        for _ in 0..60 {
            let now = self.focused().await?;
            if now == testid {
                return Ok(());
            }
            seen.push(now);
            self.press(Key::Tab).await?;
            if start.elapsed() > WAIT {
                break;
            }
        }
        bail!("Tab never reached [data-testid={testid}]; focus went through {seen:?}")
    }

    /// Waits until the element `testid` exists and has the focus, pressing Tab while it
    /// exists but another element has the focus.
    pub async fn tab_to_when_there(&self, testid: &str) -> Result<()> {
        self.el(testid).await?;
        self.tab_to(testid).await
    }

    // ---- every screen ----------------------------------------------------------------------

    /// On each screen a test visits: the accessibility check, and the screenshot when the
    /// suite saves them.
    pub async fn screen(&self, screen: &str) -> Result<()> {
        let number = SCREENS
            .iter()
            .position(|s| *s == screen)
            .with_context(|| format!("unknown screen name `{screen}`: add it to SCREENS"))?
            + 1;
        // Let transitions and the live regions settle.
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.check_accessibility(screen).await?;
        if let Some(dir) = &self.suite.screenshots {
            let path = dir
                .join(&self.locale)
                .join(format!("{number:02}-{screen}.png"));
            if !path.exists() {
                fs::create_dir_all(path.parent().context("screenshot path")?)?;
                let png = self.client.screenshot().await?;
                fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
            }
        }
        Ok(())
    }

    /// axe-core on the whole page; fails on any serious or critical violation.
    pub async fn check_accessibility(&self, screen: &str) -> Result<()> {
        let loaded = self
            .script("return typeof window.axe === 'object';")
            .await?;
        if loaded != Value::Bool(true) {
            // Executed by WebDriver, not a <script> element: the CSP (script-src 'self') does
            // not apply.
            let js = format!("{}\n;return typeof window.axe;", self.suite.axe);
            let v = self.script(&js).await.context("injecting axe-core")?;
            ensure!(v.as_str() == Some("object"), "axe-core did not load ({v})");
        }
        let result = self
            .script_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] }).then(
                   (r) => done(r.violations
                     .filter((v) => v.impact === 'serious' || v.impact === 'critical')
                     .map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                                    targets: v.nodes.map((n) => n.target.join(' ')) }))),
                   (e) => done({ error: String(e) }));",
            )
            .await?;
        if let Some(error) = result.get("error") {
            bail!("axe-core failed on {screen}: {error}");
        }
        let violations = result.as_array().cloned().unwrap_or_default();
        if violations.is_empty() {
            return Ok(());
        }
        let lines: Vec<String> = violations
            .iter()
            .map(|v| {
                format!(
                    "  {} ({}): {} — {}",
                    v["id"].as_str().unwrap_or("?"),
                    v["impact"].as_str().unwrap_or("?"),
                    v["help"].as_str().unwrap_or(""),
                    v["targets"]
                        .as_array()
                        .map(|t| t
                            .iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(", "))
                        .unwrap_or_default()
                )
            })
            .collect();
        bail!(
            "accessibility (axe-core) on screen `{screen}` ({}): serious or critical violations:\n{}",
            self.locale,
            lines.join("\n")
        )
    }

    // ---- the journey's common steps ----------------------------------------------------------

    /// Start → `choice` → SignIn with `username` / `password` → Verify.
    pub async fn sign_in(&self, choice: &str, username: &str, password: &str) -> Result<()> {
        self.click(&format!("choice-{choice}")).await?;
        self.el("username").await?;
        self.type_into("username", username).await?;
        self.type_into("password", password).await?;
        self.click("sign-in-submit").await?;
        self.el("verify-submit").await?;
        Ok(())
    }

    /// Verify with date of birth and PIN (does not wait for the outcome).
    pub async fn submit_pin(&self, date_of_birth: &str, pin: &str) -> Result<()> {
        self.type_into("date-of-birth", date_of_birth).await?;
        self.type_into("pin", pin).await?;
        self.click("verify-submit").await
    }

    /// Waits for the error on the current screen, and returns its text.
    pub async fn error_text(&self) -> Result<String> {
        self.text_when("error", |t| !t.is_empty()).await
    }

    /// Waits for the devices hub of `display_name`.
    pub async fn on_devices(&self) -> Result<()> {
        self.el("session-countdown").await?;
        self.el("devices-refresh").await?;
        // The list has loaded: a device card or the "no devices" text.
        let start = Instant::now();
        loop {
            let loaded = self
                .script("return !!document.querySelector('[data-testid^=\"device-\"], [data-testid=\"devices-empty\"]');")
                .await?;
            if loaded == Value::Bool(true) {
                return Ok(());
            }
            if start.elapsed() > WAIT {
                bail!("the devices list did not load");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The `data-testid`s on the page that start with `prefix`.
    pub async fn testids(&self, prefix: &str) -> Result<Vec<String>> {
        let v = self
            .script(&format!(
                "return [...document.querySelectorAll('[data-testid^=\"{prefix}\"]')].map((e) => e.dataset.testid);"
            ))
            .await?;
        Ok(v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// The device ids on the hub (from `device-<id>` cards).
    pub async fn device_ids(&self) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        for t in self.testids("device-").await? {
            let Some(id) = t.strip_prefix("device-") else {
                continue;
            };
            if ["remove-", "qr-", "resync-"]
                .iter()
                .any(|p| id.starts_with(p))
            {
                continue;
            }
            ids.push(id.to_owned());
        }
        Ok(ids)
    }

    /// The bypass code as shown (`123 456 789`), checked for its format.
    pub async fn bypass_code(&self) -> Result<String> {
        let shown = self.text_when("bypass-code", |t| !t.is_empty()).await?;
        ensure!(
            is_grouped_code(&shown),
            "the bypass code reads {shown:?}, not 9 digits grouped 3-3-3"
        );
        Ok(shown)
    }

    /// A PNG of the element as the window shows it: the window's screenshot, cropped (the
    /// element screenshot of WebKitWebDriver 2.50 comes out blank in compositing mode).
    pub async fn element_png(&self, testid: &str) -> Result<Vec<u8>> {
        self.el(testid).await?;
        let rect = self
            .script(&format!(
                "const e = document.querySelector('{}'); e.scrollIntoView({{ block: 'center' }});
                 const r = e.getBoundingClientRect();
                 return [r.left, r.top, r.width, r.height, window.devicePixelRatio || 1];",
                Self::css(testid)
            ))
            .await?;
        let n = |i: usize| rect[i].as_f64().unwrap_or(0.0);
        let scale = n(4);
        let png = self.client.screenshot().await?;
        let mut img = image::load_from_memory(&png).context("reading the window screenshot")?;
        let x = (n(0) * scale).max(0.0) as u32;
        let y = (n(1) * scale).max(0.0) as u32;
        let w = ((n(2) * scale) as u32).min(img.width().saturating_sub(x));
        let h = ((n(3) * scale) as u32).min(img.height().saturating_sub(y));
        ensure!(
            w > 0 && h > 0,
            "[data-testid={testid}] is not on screen ({rect})"
        );
        let cropped = img.crop(x, y, w, h);
        let mut out = std::io::Cursor::new(Vec::new());
        cropped.write_to(&mut out, image::ImageFormat::Png)?;
        Ok(out.into_inner())
    }

    /// Runs the admin CLI against this app's demo database.
    pub fn admin(&self, args: &[&str]) -> Result<String> {
        let db = format!("sqlite://{}", self.demo_dir().join("demo.db").display());
        let output = Command::new(&self.suite.server)
            .args(args)
            .env("RECOVERY_DATABASE_URL", &db)
            .env_remove("RECOVERY_CONFIG")
            .env("HOME", self.home())
            .output()
            .with_context(|| format!("running {}", self.suite.server.display()))?;
        ensure!(
            output.status.success(),
            "recovery-server {} failed ({}): {}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }
}

impl Drop for Desk {
    fn drop(&mut self) {
        if let Some(child) = self.driver.take() {
            stop(child);
        }
        stop_leftovers(self.dir.path());
    }
}

/// The app outlives its driver when the session was not closed (a timeout, a panic): stop
/// the processes whose command line names this test's own folder.
fn stop_leftovers(dir: &Path) {
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

/// Holds the driver until the session exists, so that an early error still stops it.
struct Partial {
    driver: Option<Child>,
}

impl Drop for Partial {
    fn drop(&mut self) {
        if let Some(child) = self.driver.take() {
            stop(child);
        }
    }
}

/// SIGTERM (tauri-driver then stops WebKitWebDriver; SIGKILL would leave it behind), then
/// SIGKILL after 10 s.
fn stop(mut child: Child) {
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

async fn wait_for_status(url: &str, partial: &mut Partial, log: &Path) -> Result<()> {
    let http = reqwest::Client::new();
    let start = Instant::now();
    loop {
        if let Some(child) = partial.driver.as_mut() {
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

fn tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// `123 456 789`.
pub fn is_grouped_code(s: &str) -> bool {
    let groups: Vec<&str> = s.split(' ').collect();
    groups.len() == 3
        && groups
            .iter()
            .all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
}

/// The digits of `s`.
pub fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// Whether `haystack` holds `needle` as a whole word (ASCII letters and digits around it do
/// not count as a boundary), ignoring ASCII case.
pub fn contains_word(haystack: &[u8], needle: &str) -> bool {
    let n = needle.as_bytes();
    if n.is_empty() || haystack.len() < n.len() {
        return false;
    }
    (0..=haystack.len() - n.len()).any(|i| {
        haystack[i..i + n.len()].eq_ignore_ascii_case(n)
            && (i == 0 || !haystack[i - 1].is_ascii_alphanumeric())
            && haystack
                .get(i + n.len())
                .is_none_or(|b| !b.is_ascii_alphanumeric())
    })
}

/// Every regular file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file() {
                out.push(entry.path());
            }
        }
    }
    out
}

/// Decodes the one QR code in a PNG.
pub fn decode_qr_png(png: &[u8]) -> Result<String> {
    let img = image::load_from_memory(png)
        .context("reading the QR screenshot")?
        .to_luma8();
    let (w, h) = img.dimensions();
    decode_grey(w as usize, h as usize, |x, y| {
        img.get_pixel(x as u32, y as u32).0[0]
    })
}

/// Decodes the one QR code in a `w`×`h` picture of grey levels (0 black, 255 white).
fn decode_grey(w: usize, h: usize, grey: impl FnMut(usize, usize) -> u8) -> Result<String> {
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, grey);
    let grids = prepared.detect_grids();
    ensure!(
        grids.len() == 1,
        "found {} QR codes, expected 1",
        grids.len()
    );
    let (_, content) = grids[0]
        .decode()
        .map_err(|e| anyhow!("QR code unreadable: {e:?}"))?;
    Ok(content)
}

/// Decodes the QR code of a `data:image/svg+xml;base64,…` URI drawn by the `qrcode` crate
/// (one path of `M{x} {y}h{w}v{h}H{x}V{y}` rectangles), by filling its rectangles.
pub fn decode_qr_svg_data_uri(uri: &str) -> Result<String> {
    let b64 = uri
        .strip_prefix("data:image/svg+xml;base64,")
        .context("not an SVG data URI")?;
    let svg = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(b64)?)?;
    let attr = |name: &str| -> Result<usize> {
        let start = svg
            .find(&format!("{name}=\""))
            .with_context(|| format!("the SVG has no {name}"))?
            + name.len()
            + 2;
        let end = svg[start..].find('"').context("unterminated attribute")? + start;
        Ok(svg[start..end].trim_end_matches("px").parse::<f64>()? as usize)
    };
    let (w, h) = (attr("width")?, attr("height")?);
    let d_start = svg.rfind(" d=\"").context("the SVG has no path")? + 4;
    let d_end = svg[d_start..].find('"').context("unterminated path")? + d_start;
    let mut dark = vec![false; w * h];
    for rect in svg[d_start..d_end].split('M').filter(|r| !r.is_empty()) {
        // "{x} {y}h{w}v{h}H{x}V{y}"
        let nums: Vec<f64> = rect
            .split(|c: char| c == ' ' || c.is_ascii_alphabetic())
            .filter(|s| !s.is_empty())
            .map(str::parse)
            .collect::<std::result::Result<_, _>>()
            .with_context(|| format!("cannot read the rectangle {rect:?}"))?;
        ensure!(nums.len() >= 4, "short rectangle {rect:?}");
        let (x, y, rw, rh) = (
            nums[0] as usize,
            nums[1] as usize,
            nums[2] as usize,
            nums[3] as usize,
        );
        for yy in y..(y + rh).min(h) {
            for xx in x..(x + rw).min(w) {
                dark[yy * w + xx] = true;
            }
        }
    }
    decode_grey(w, h, |x, y| if dark[y * w + x] { 0 } else { 255 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_codes() {
        assert!(contains_word(b"hello ada!", "ada"));
        assert!(contains_word(b"\"Ada Lovelace\"", "ada"));
        assert!(!contains_word(b"metadata", "ada"));
        assert!(!contains_word(b"canada", "ada"));
        assert!(is_grouped_code("123 456 789"));
        assert!(!is_grouped_code("123456789"));
        assert_eq!(digits("1, 2, 3"), "123");
    }
}
