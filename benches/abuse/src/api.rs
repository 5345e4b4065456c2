//! The few calls of the service's HTTP API the measurements make, as any client would make them.
//! Bodies are loose JSON: the same bench drives binaries from before and after a change.

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use anyhow::{Context, Result};
use serde_json::{json, Value};

/// No single request may hang the bench.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

pub const SIGN_IN: &str = "/v1/recovery/sessions";

/// Someone's sign-in details, right or wrong.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub username: String,
    pub password: String,
    pub date_of_birth: String,
    pub pin: String,
}

impl Credentials {
    pub fn body(&self) -> Value {
        json!({
            "username": self.username,
            "password": self.password,
            "date_of_birth": self.date_of_birth,
            "pin": self.pin,
        })
    }
}

/// `ada` of the demo directory (shared/DESIGN.md), with the right password, date of birth
/// and PIN.
pub fn ada() -> Credentials {
    Credentials {
        username: "ada".to_owned(),
        password: "correct-horse-battery".to_owned(),
        date_of_birth: "1985-12-10".to_owned(),
        pin: "246810".to_owned(),
    }
}

/// What a sign-in came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignIn {
    /// 201: a session token.
    Opened(String),
    /// 401: checked, and wrong.
    Failed,
    /// Anything else: refused (throttled, locked, a cap, a full queue…) with this status.
    Refused(u16),
}

/// An answer: its status and its body (`Value::Null` when not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    /// A client of `http://ADDRESS` that never goes through a proxy.
    pub fn new(address: SocketAddr) -> Result<Self> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .context("cannot make an HTTP client")?;
        Ok(Self {
            http,
            base: format!("http://{address}"),
        })
    }

    pub async fn healthy(&self) -> bool {
        let answer = self.http.get(format!("{}/healthz", self.base)).send().await;
        answer.is_ok_and(|a| a.status().is_success())
    }

    /// `POST /v1/recovery/sessions`, and how long the answer took.
    pub async fn sign_in(&self, credentials: &Credentials) -> Result<(SignIn, Duration)> {
        let started = Instant::now();
        let answer = self.post(SIGN_IN, None, Some(credentials.body())).await?;
        let elapsed = started.elapsed();
        let outcome = match answer.status {
            201 => SignIn::Opened(
                answer.body["token"]
                    .as_str()
                    .context("a 201 without a token")?
                    .to_owned(),
            ),
            401 => SignIn::Failed,
            status => SignIn::Refused(status),
        };
        Ok((outcome, elapsed))
    }

    pub async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Result<Answer> {
        let mut request = self.http.post(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        answer(request).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Result<Answer> {
        answer(
            self.http
                .delete(format!("{}{path}", self.base))
                .bearer_auth(token),
        )
        .await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Result<Answer> {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        answer(request).await
    }
}

async fn answer(request: reqwest::RequestBuilder) -> Result<Answer> {
    let response = request.send().await.context("the request failed")?;
    let status = response.status().as_u16();
    let bytes = response.bytes().await.context("the answer was cut off")?;
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Ok(Answer { status, body })
}
