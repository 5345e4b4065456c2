//! The test service: the whole app on 127.0.0.1 with an injected clock.

use std::{future::Future, net::SocketAddr};

use recovery_server::{
    app::{App, AppOptions},
    audit::ExportedRecord,
    clock::ManualClock,
    config::Config,
    demo,
    slow_hash::HashCost,
};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use sqlx::{Connection, Executor};
use tempfile::TempDir;
use time::OffsetDateTime;
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

pub const ADA: &str = "ada";
pub const ADA_PASSWORD: &str = "correct-horse-battery";
pub const ADA_DOB: &str = "1985-12-10";
pub const ADA_PIN: &str = "246810";
pub const ADA_EMAIL: &str = "ada.lovelace@example.org";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named `async fn(Backend)` as two tests: `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() {
                    super::$name($crate::support::Backend::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn postgres() {
                    super::$name($crate::support::Backend::Postgres).await
                }
            }
        )*
    };
}

pub struct TestService {
    pub app: App,
    pub clock: ManualClock,
    pub base: String,
    pub database_url: String,
    pub http: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
    _dir: TempDir,
}

/// Real argon2id, at a cost that keeps the suite fast; the benchmark uses the production cost.
pub fn test_config(database_url: String) -> Config {
    Config {
        database_url,
        password_hash: HashCost {
            memory_kib: 256,
            iterations: 1,
            parallelism: 1,
        },
        ..Config::default()
    }
}

async fn database_url(backend: Backend, dir: &TempDir) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.path().join("test.db").display()),
        Backend::Postgres => {
            let admin = std::env::var("RECOVERY_TEST_POSTGRES_URL").unwrap_or_else(|_| {
                panic!(
                    "PostgreSQL tests need RECOVERY_TEST_POSTGRES_URL; `cargo xtask test` starts a \
                     private PostgreSQL and sets it"
                )
            });
            let name = format!("t_{}", uuid::Uuid::new_v4().simple());
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("connect to PostgreSQL");
            conn.execute(format!("CREATE DATABASE {name}").as_str())
                .await
                .expect("create database");
            conn.close().await.ok();
            let (base, _) = admin.rsplit_once('/').expect("database URL has a path");
            format!("{base}/{name}")
        }
    }
}

impl TestService {
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, |_| {}).await
    }

    pub async fn start_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let database_url = database_url(backend, &dir).await;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address: SocketAddr = listener.local_addr().unwrap();
        let mut config = test_config(database_url.clone());
        config.devices.public_url = format!("http://{address}");
        config.organisation.name = "Example University".to_owned();
        config.organisation.help_desk_phone = "+1 201 555 0100".to_owned();
        config.help_desk.agents = demo::agents();
        adjust(&mut config);
        let clock = ManualClock::starting_at(OffsetDateTime::now_utc());
        let options = AppOptions {
            clock: std::sync::Arc::new(clock.clone()),
            demo: true,
        };
        let app = App::build(config, options).await.expect("service starts");
        demo::load(&app).await.expect("demo directory loads");
        let (shutdown, stopped) = oneshot::channel::<()>();
        let served = app.clone();
        let server = tokio::spawn(async move {
            recovery_server::http::serve(served, listener, async {
                stopped.await.ok();
            })
            .await
            .unwrap();
        });
        Self {
            app,
            clock,
            base: format!("http://{address}"),
            database_url,
            http: reqwest::Client::new(),
            shutdown: Some(shutdown),
            server: Some(server),
            _dir: dir,
        }
    }

    /// The service clock's date (UTC).
    pub fn clock_today(&self) -> time::Date {
        use recovery_server::clock::Clock;
        self.clock.now().date()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.http
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn get_with(&self, path: &str, token: &str) -> Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_with(&self, path: &str, token: &str) -> Response {
        self.http
            .post(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn sign_in(&self, username: &str, password: &str, dob: &str, pin: &str) -> Response {
        let body =
            json!({ "username": username, "password": password, "date_of_birth": dob, "pin": pin });
        self.post_json("/v1/recovery/sessions", &body).await
    }

    pub async fn sign_in_with_passcode(
        &self,
        username: &str,
        password: &str,
        passcode: &str,
    ) -> Response {
        let body = json!({ "username": username, "password": password, "passcode": passcode });
        self.post_json("/v1/recovery/sessions", &body).await
    }

    /// Signs `ada` in and returns the session token.
    pub async fn ada_token(&self) -> String {
        let response = self.sign_in(ADA, ADA_PASSWORD, ADA_DOB, ADA_PIN).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    /// A self-service bypass code for the holder of `token`.
    pub async fn bypass_code(&self, token: &str) -> String {
        let response = self.post_with("/v1/me/bypass-codes", token).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        body["code"].as_str().unwrap().to_owned()
    }

    pub async fn audit(&self) -> Vec<ExportedRecord> {
        self.app.audit.export(0).await.unwrap()
    }

    pub async fn outbox(&self) -> Vec<recovery_api::demo::OutboxMessage> {
        let response = self
            .http
            .get(self.url("/v1/demo/outbox"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let outbox: recovery_api::demo::Outbox = response.json().await.unwrap();
        outbox.messages
    }

    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            shutdown.send(()).ok();
        }
        if let Some(server) = self.server.take() {
            server.await.ok();
        }
        self.app.db.close().await;
    }
}

/// Reads a problem document and checks it is one, with the expected status and code.
pub async fn expect_problem(response: Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status().as_u16(), status, "status");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], code, "problem code in {body}");
    assert_eq!(body["status"], status);
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
    body
}

/// Runs `count` copies of a future at once and collects their results.
pub async fn all_at_once<F, T>(count: usize, make: impl Fn(usize) -> F) -> Vec<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = (0..count).map(|i| tokio::spawn(make(i))).collect();
    let mut results = Vec::with_capacity(count);
    for handle in handles {
        results.push(handle.await.unwrap());
    }
    results
}
