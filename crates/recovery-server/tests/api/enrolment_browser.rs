//! The enrolment page in a real browser: headless Chromium, driven over WebDriver by
//! chromedriver, with WebDriver's virtual authenticator (a CTAP2 USB key with user
//! verification) standing in for the person's security key. The page's own script has to run
//! under its CSP, turn the service's options into what `navigator.credentials.create` takes,
//! and send the key's answer back; the service must then list the key.
//!
//! Ignored in a plain `cargo test`: `cargo xtask test` runs it (its e2e step) with Debian's
//! `chromium` and `chromium-driver` installed. `RECOVERY_TEST_CHROMEDRIVER` and
//! `RECOVERY_TEST_CHROMIUM` name other binaries.

use std::{process::Stdio, time::Duration as StdDuration};

use serde_json::{json, Value};
use tokio::process::{Child, Command};

use crate::{
    security_key_links::{send_link, service},
    support::{Backend, TestService, ADA},
};

/// WebDriver's key for an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

struct Browser {
    http: reqwest::Client,
    session: String,
    base: String,
    _driver: Child,
}

impl Browser {
    async fn start() -> Self {
        let driver_path =
            std::env::var("RECOVERY_TEST_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let chromium =
            std::env::var("RECOVERY_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {driver_path} (apt-get install chromium-driver): {e}")
            });
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let mut ready = false;
        for _ in 0..100 {
            if let Ok(response) = http.get(format!("{base}/status")).send().await {
                let status: Value = response.json().await.unwrap_or_default();
                if status["value"]["ready"] == true {
                    ready = true;
                    break;
                }
            }
            tokio::time::sleep(StdDuration::from_millis(100)).await;
        }
        assert!(ready, "chromedriver did not become ready");
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--lang=en-GB"],
            },
        }}});
        let created: Value = http
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {created}"))
            .to_owned();
        Self {
            http,
            session,
            base,
            _driver: driver,
        }
    }

    async fn command(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let request = self.http.request(method, url);
        let request = match body {
            Some(body) => request.json(&body),
            None => request,
        };
        let answer: Value = request.send().await.unwrap().json().await.unwrap();
        assert!(
            answer["value"]["error"].is_null(),
            "WebDriver {path}: {answer}"
        );
        answer["value"].clone()
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.command(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> Value {
        self.command(reqwest::Method::GET, path, None).await
    }

    async fn element(&self, css: &str) -> String {
        let found = self
            .post("/element", json!({ "using": "css selector", "value": css }))
            .await;
        match found[ELEMENT].as_str() {
            Some(element) => element.to_owned(),
            None => {
                let source = self.get("/source").await;
                panic!("no element {css} ({found}) on the page: {source}")
            }
        }
    }

    async fn text(&self, css: &str) -> String {
        let element = self.element(css).await;
        self.get(&format!("/element/{element}/text"))
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits up to 20 s for `css`'s text to contain `needle`; answers the last text seen.
    async fn wait_for_text(&self, css: &str, needle: &str) -> String {
        let mut text = String::new();
        for _ in 0..200 {
            text = self.text(css).await;
            if text.contains(needle) {
                return text;
            }
            tokio::time::sleep(StdDuration::from_millis(100)).await;
        }
        text
    }

    async fn quit(self) {
        let url = format!("{}/session/{}", self.base, self.session);
        self.http.delete(url).send().await.ok();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs chromium and chromedriver; cargo xtask test runs it"]
async fn the_page_registers_a_key_in_a_real_browser() {
    let service: TestService = service(Backend::Sqlite).await;
    let (_, code) = send_link(&service).await;
    let browser = Browser::start().await;
    let authenticator = browser
        .post(
            "/webauthn/authenticator",
            json!({
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": false,
                "hasUserVerification": true,
                "isUserVerified": true,
            }),
        )
        .await;
    let authenticator = authenticator.as_str().unwrap().to_owned();

    let page = format!(
        "{}/v1/enrolments/{code}",
        service.app.config.security_keys.rp_origin
    );
    browser.post("/url", json!({ "url": page })).await;
    assert_eq!(browser.text("h1").await, "Add your security key");

    // The script enables the button; until then Enter submits nothing.
    let button = browser.element("#enrol-button").await;
    let mut enabled = false;
    for _ in 0..100 {
        if browser.get(&format!("/element/{button}/enabled")).await == true {
            enabled = true;
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    assert!(enabled, "the page's script did not run");

    // Keyboard only: type a name, press Enter.
    let name = browser.element("#key-name").await;
    browser
        .post(
            &format!("/element/{name}/value"),
            json!({ "text": "Desk key\u{E007}" }),
        )
        .await;
    let status = browser.wait_for_text("#enrol-status", "Done").await;
    if !status.contains("Done: your security key was added") {
        let element = browser.element("#enrol-status").await;
        let reason = browser
            .get(&format!("/element/{element}/attribute/data-reason"))
            .await;
        let detail = browser
            .get(&format!("/element/{element}/attribute/data-detail"))
            .await;
        panic!("the page says: {status} (browser's reason: {reason} {detail})");
    }

    // The virtual key holds one credential, and the service lists it for ada.
    let credentials = browser
        .get(&format!(
            "/webauthn/authenticator/{authenticator}/credentials"
        ))
        .await;
    assert_eq!(
        credentials.as_array().map(Vec::len),
        Some(1),
        "{credentials}"
    );
    let ada = service
        .app
        .directory
        .find_by_username(ADA)
        .await
        .unwrap()
        .unwrap();
    use recovery_server::clock::Clock;
    let keys: Vec<_> = service
        .app
        .mfa
        .authenticators(&ada, service.clock.now())
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.kind == recovery_api::authenticator::AuthenticatorKind::SecurityKey)
        .collect();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].name, "Desk key");

    // Opened again, the spent link says so.
    browser.post("/url", json!({ "url": page })).await;
    assert_eq!(browser.text("h1").await, "This link no longer works");
    browser.quit().await;
    service.stop().await;
}
