//! A scripted Duo on 127.0.0.1 for the client's tests: it checks each signature the way Duo
//! does (re-canonicalizing the parameters it parsed, against its own API host and the `Date`
//! it received), records what arrived and answers the next scripted reply.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    body::Bytes,
    extract::State,
    http::{header, HeaderMap, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
    Router,
};
use base64::{engine::general_purpose::STANDARD, Engine as _};
use recovery_api::Secret;
use serde_json::{json, Value};

use super::{
    signing::{canonical_v2, canonical_v5, hmac_hex, HmacDigest},
    Backoff, DuoApplication, DuoClients, DuoConfig, Tuning,
};

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub method: String,
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// The raw body.
    pub body: String,
    pub content_type: Option<String>,
    pub date: Option<String>,
    pub had_authorization: bool,
    /// The integration key whose signature verified.
    pub signed_by: Option<String>,
}

/// A scripted answer.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    status: u16,
    body: String,
    delay: Duration,
}

impl Reply {
    pub fn ok(response: Value) -> Self {
        Self::raw(200, json!({"stat": "OK", "response": response}).to_string())
    }

    pub fn page(response: Value, next_offset: Option<u64>) -> Self {
        let metadata = match next_offset {
            Some(next) => json!({"next_offset": next, "total_objects": 6}),
            None => json!({"total_objects": 6}),
        };
        Self::raw(
            200,
            json!({"stat": "OK", "response": response, "metadata": metadata}).to_string(),
        )
    }

    pub fn fail(status: u16, code: u32, message: &str, detail: Option<&str>) -> Self {
        let mut body = json!({"stat": "FAIL", "code": code, "message": message});
        if let Some(detail) = detail {
            body["message_detail"] = json!(detail);
        }
        Self::raw(status, body.to_string())
    }

    pub fn raw(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

#[derive(Default)]
struct FakeState {
    keys: HashMap<String, String>,
    replies: Mutex<VecDeque<Reply>>,
    seen: Mutex<Vec<Seen>>,
}

pub(crate) struct FakeDuo {
    pub base: String,
    state: Arc<FakeState>,
}

impl FakeDuo {
    pub const ADMIN_IKEY: &'static str = "DIADMINFAKE000000001";
    pub const ADMIN_SKEY: &'static str = "admin-secret-key-never-printed-000000001";
    pub const AUTH_IKEY: &'static str = "DIAUTHFAKE0000000001";
    pub const AUTH_SKEY: &'static str = "auth-secret-key-never-printed-0000000001";

    pub async fn start() -> Self {
        let state = Arc::new(FakeState {
            keys: HashMap::from([
                (Self::ADMIN_IKEY.to_owned(), Self::ADMIN_SKEY.to_owned()),
                (Self::AUTH_IKEY.to_owned(), Self::AUTH_SKEY.to_owned()),
            ]),
            ..FakeState::default()
        });
        let app = Router::new().fallback(handle).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            base: format!("http://{address}"),
            state,
        }
    }

    pub fn reply(&self, reply: Reply) {
        self.state.replies.lock().unwrap().push_back(reply);
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    pub fn config(&self) -> DuoConfig {
        DuoConfig {
            api_host: "api-xxxxxxxx.duosecurity.com".to_owned(),
            admin: DuoApplication {
                integration_key: Self::ADMIN_IKEY.to_owned(),
                secret_key: Secret::new(Self::ADMIN_SKEY),
            },
            auth: DuoApplication {
                integration_key: Self::AUTH_IKEY.to_owned(),
                secret_key: Secret::new(Self::AUTH_SKEY),
            },
            base_url: Some(self.base.clone()),
            timeout_seconds: 10,
            max_retry_wait_seconds: 32,
        }
    }

    /// Clients with Duo's backoff shrunk from seconds to milliseconds.
    pub fn clients(&self) -> DuoClients {
        self.clients_with(self.config(), fast_tuning())
    }

    pub fn clients_with(&self, config: DuoConfig, tuning: Tuning) -> DuoClients {
        DuoClients::with_http(&config, reqwest::Client::new(), tuning).unwrap()
    }
}

pub(crate) fn fast_tuning() -> Tuning {
    Tuning {
        timeout: Duration::from_secs(5),
        backoff: Backoff {
            first_wait: Duration::from_millis(1),
            max_wait: Duration::from_millis(32),
            max_jitter: Duration::from_millis(1),
        },
    }
}

async fn handle(
    State(state): State<Arc<FakeState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let body = String::from_utf8_lossy(&body).into_owned();
    let content_type = text(header::CONTENT_TYPE);
    let mut seen = Seen {
        method: method.as_str().to_owned(),
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        body: body.clone(),
        content_type: content_type.clone(),
        date: text(header::DATE),
        had_authorization: headers.contains_key(header::AUTHORIZATION),
        signed_by: None,
    };
    if seen.path != "/auth/v2/ping" {
        seen.signed_by = verify(
            &state,
            &seen,
            // The host the client was configured with, as Duo knows its own name.
            Some("api-xxxxxxxx.duosecurity.com"),
            text(header::AUTHORIZATION).as_deref(),
        );
        if seen.signed_by.is_none() {
            state.seen.lock().unwrap().push(seen);
            return answer(&Reply::fail(
                401,
                40103,
                "Invalid signature in request credentials",
                None,
            ));
        }
    }
    state.seen.lock().unwrap().push(seen);
    let reply = state.replies.lock().unwrap().pop_front();
    let Some(reply) = reply else {
        return answer(&Reply::fail(500, 50000, "no reply scripted", None));
    };
    tokio::time::sleep(reply.delay).await;
    answer(&reply)
}

fn answer(reply: &Reply) -> Response {
    (
        StatusCode::from_u16(reply.status).unwrap(),
        [(header::CONTENT_TYPE, "application/json")],
        reply.body.clone(),
    )
        .into_response()
}

/// Duo's check: re-canonicalize what was parsed and compare HMACs (SHA-512; v5 for JSON).
fn verify(
    state: &FakeState,
    seen: &Seen,
    host: Option<&str>,
    authorization: Option<&str>,
) -> Option<String> {
    let (ikey, signature) = parse_authorization(authorization?)?;
    let skey = Secret::new(state.keys.get(&ikey)?.clone());
    let date = seen.date.as_deref()?;
    let host = host?;
    let canonical = if seen.content_type.as_deref() == Some("application/json") {
        canonical_v5(
            date,
            &seen.method,
            host,
            &seen.path,
            &[],
            seen.body.as_bytes(),
            &[],
        )
        .ok()?
    } else {
        let raw = match seen.query.as_deref() {
            Some(query) => query,
            None => seen.body.as_str(),
        };
        let parsed: Vec<(String, String)> = url::form_urlencoded::parse(raw.as_bytes())
            .into_owned()
            .collect();
        let params: Vec<(&str, &str)> = parsed
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        canonical_v2(date, &seen.method, host, &seen.path, &params)
    };
    let expected = hmac_hex(&skey, &canonical, HmacDigest::Sha512).ok()?;
    (expected == signature).then_some(ikey)
}

/// `Authorization: Basic base64(ikey:signature)`.
fn parse_authorization(header: &str) -> Option<(String, String)> {
    let encoded = header.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded).ok()?).ok()?;
    let (ikey, signature) = decoded.split_once(':')?;
    Some((ikey.to_owned(), signature.to_owned()))
}
