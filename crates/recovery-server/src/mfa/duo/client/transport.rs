//! One signed exchange with Duo: sign, send, back off on 429, unwrap the envelope.
//!
//! - Every request is signed afresh (a new `Date` per attempt), v2 with HMAC-SHA512 for query
//!   strings and form bodies, v5 for JSON bodies (see [`super::signing`]). The wire
//!   query/body is the canonical string itself, so what Duo parses is what was signed.
//! - 429 is retried on Duo's schedule: wait 1, 2, 4 … seconds up to `max_retry_wait`, each
//!   plus up to 1 s of jitter, then [`DuoError::RateLimited`] (7 attempts with the defaults).
//! - The `Date` header follows the real clock, not the service's injected one: Duo compares it
//!   with its own. [`DuoClient::sync_clock`] measures the offset to Duo's clock once and later
//!   dates carry it, for hosts whose clocks drift.

use std::{
    fmt,
    sync::{
        atomic::{AtomicI64, Ordering},
        Arc,
    },
    time::Duration,
};

use rand::Rng as _;
use recovery_api::Secret;
use reqwest::{
    header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, DATE, USER_AGENT},
    Method, StatusCode,
};
use serde::{de::DeserializeOwned, Deserialize};
use serde_json::Value;
use time::OffsetDateTime;

use super::{
    canonical::canon_params,
    config::Endpoint,
    signing::{authorization, canonical_v2, canonical_v5, http_date, HmacDigest},
    DuoApplication, DuoConfig, DuoError,
};

/// Duo's answers list at most this many objects per page unless asked otherwise.
const PAGE_LIMIT: &str = "100";

/// The 429 schedule. Production uses [`Backoff::duo`]; tests shrink it to milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first wait; each later one doubles.
    pub first_wait: Duration,
    /// Give up once the next wait would be longer than this.
    pub max_wait: Duration,
    /// Uniform random extra per wait, so clients limited together do not retry together.
    pub max_jitter: Duration,
}

impl Backoff {
    /// Duo's official schedule: 1 s, doubling, plus up to 1 s of jitter.
    pub fn duo(max_wait: Duration) -> Self {
        Self {
            first_wait: Duration::from_secs(1),
            max_wait,
            max_jitter: Duration::from_secs(1),
        }
    }
}

/// Timing knobs of a [`DuoClient`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuning {
    /// Per request, connection included.
    pub timeout: Duration,
    pub backoff: Backoff,
}

impl Tuning {
    pub fn from_config(config: &DuoConfig) -> Self {
        Self {
            timeout: Duration::from_secs(config.timeout_seconds),
            backoff: Backoff::duo(Duration::from_secs(config.max_retry_wait_seconds)),
        }
    }
}

/// A signed client for one Duo application (Admin API or Auth API). Cheap to clone: the
/// HTTP client and the clock offset are shared.
#[derive(Clone)]
pub struct DuoClient {
    http: reqwest::Client,
    endpoint: Endpoint,
    integration_key: String,
    secret_key: Secret,
    clock_offset: Arc<AtomicI64>,
    tuning: Tuning,
}

impl fmt::Debug for DuoClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DuoClient")
            .field("base", &self.endpoint.base.as_str())
            .field("integration_key", &self.integration_key)
            .field("clock_offset", &self.clock_offset.load(Ordering::Relaxed))
            .field("tuning", &self.tuning)
            .finish_non_exhaustive()
    }
}

/// Duo's envelope, both shapes: `{stat: "OK", response, metadata?}` and
/// `{stat: "FAIL", code, message, message_detail?}`.
#[derive(Deserialize)]
struct RawEnvelope {
    stat: Option<String>,
    response: Option<Value>,
    metadata: Option<Value>,
    code: Option<Value>,
    message: Option<String>,
    message_detail: Option<String>,
}

/// A successful answer.
struct Envelope {
    response: Value,
    metadata: Option<Value>,
}

struct Request<'a> {
    method: Method,
    path: &'a str,
    params: &'a [(&'a str, &'a str)],
    /// `Some` for a v5 JSON body.
    json: Option<&'a [u8]>,
    /// Only `/auth/v2/ping` goes unsigned.
    signed: bool,
}

impl DuoClient {
    pub(crate) fn new(
        http: reqwest::Client,
        endpoint: Endpoint,
        application: &DuoApplication,
        clock_offset: Arc<AtomicI64>,
        tuning: Tuning,
    ) -> Self {
        Self {
            http,
            endpoint,
            integration_key: application.integration_key.trim().to_owned(),
            secret_key: application.secret_key.clone(),
            clock_offset,
            tuning,
        }
    }

    /// Calls a Duo endpoint signed with v2: `params` go in the query string for GET and
    /// DELETE, in a form body for POST, PUT and PATCH. Returns the envelope's `response`.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, &str)],
    ) -> Result<Value, DuoError> {
        let request = Request {
            method,
            path,
            params,
            json: None,
            signed: true,
        };
        Ok(self.exchange(&request).await?.response)
    }

    /// Calls a Duo endpoint that takes a JSON body, signed with v5. Only for POST, PUT and
    /// PATCH; the body's exact bytes are hashed and sent.
    pub async fn call_json(
        &self,
        method: Method,
        path: &str,
        body: &Value,
    ) -> Result<Value, DuoError> {
        if !has_body(&method) {
            return Err(DuoError::InvalidInput(
                "a JSON body needs POST, PUT or PATCH",
            ));
        }
        if !body.is_object() {
            return Err(DuoError::InvalidInput("a JSON body must be an object"));
        }
        let bytes = serde_json::to_vec(body)
            .map_err(|_| DuoError::InvalidInput("the JSON body cannot be written"))?;
        let request = Request {
            method,
            path,
            params: &[],
            json: Some(&bytes),
            signed: true,
        };
        Ok(self.exchange(&request).await?.response)
    }

    /// GETs every page of a list: asks for `limit=100` from `offset=0` and follows
    /// `metadata.next_offset` until Duo leaves it out. Duo may return fewer than asked, so
    /// offsets are never computed here.
    pub async fn list(&self, path: &str, params: &[(&str, &str)]) -> Result<Vec<Value>, DuoError> {
        let mut items = Vec::new();
        let mut offset: u64 = 0;
        loop {
            let offset_text = offset.to_string();
            let mut page: Vec<(&str, &str)> = params
                .iter()
                .filter(|(key, _)| *key != "limit" && *key != "offset")
                .copied()
                .collect();
            page.push(("limit", PAGE_LIMIT));
            page.push(("offset", &offset_text));
            let request = Request {
                method: Method::GET,
                path,
                params: &page,
                json: None,
                signed: true,
            };
            let envelope = self.exchange(&request).await?;
            match envelope.response {
                Value::Array(values) => items.extend(values),
                _ => {
                    return Err(DuoError::Protocol(
                        "a list answered something other than an array".to_owned(),
                    ))
                }
            }
            match next_offset(envelope.metadata.as_ref())? {
                None => return Ok(items),
                Some(next) if next > offset => offset = next,
                Some(_) => {
                    return Err(DuoError::Protocol(
                        "metadata.next_offset does not advance".to_owned(),
                    ))
                }
            }
        }
    }

    /// Asks Duo's clock (`/auth/v2/ping`, unsigned) and dates every later request of every
    /// client sharing this offset by it. Returns the offset in seconds (Duo minus us).
    pub async fn sync_clock(&self) -> Result<i64, DuoError> {
        let server = self.server_time().await?;
        let offset = server.unix_timestamp() - OffsetDateTime::now_utc().unix_timestamp();
        self.clock_offset.store(offset, Ordering::Relaxed);
        tracing::debug!(offset_seconds = offset, "synchronized with Duo's clock");
        Ok(offset)
    }

    /// The offset applied to `Date`, in seconds.
    pub fn clock_offset_seconds(&self) -> i64 {
        self.clock_offset.load(Ordering::Relaxed)
    }

    /// `GET /auth/v2/ping`: unsigned, answers `{"time": <unix seconds>}`.
    pub(crate) async fn server_time(&self) -> Result<OffsetDateTime, DuoError> {
        #[derive(Deserialize)]
        struct Ping {
            time: i64,
        }
        let request = Request {
            method: Method::GET,
            path: "/auth/v2/ping",
            params: &[],
            json: None,
            signed: false,
        };
        let ping: Ping = decode(self.exchange(&request).await?.response, "ping")?;
        OffsetDateTime::from_unix_timestamp(ping.time)
            .map_err(|_| DuoError::Protocol("ping's time is out of range".to_owned()))
    }

    async fn exchange(&self, request: &Request<'_>) -> Result<Envelope, DuoError> {
        check_path(request.path)?;
        let backoff = self.tuning.backoff;
        let mut wait = backoff.first_wait;
        loop {
            let response = self.send(request).await?;
            if response.status() != StatusCode::TOO_MANY_REQUESTS {
                return read_envelope(response).await;
            }
            if wait > backoff.max_wait {
                tracing::warn!(path = request.path, "Duo still rate limits; giving up");
                return Err(DuoError::RateLimited);
            }
            let pause = wait + backoff.max_jitter.mul_f64(rand::thread_rng().gen::<f64>());
            tracing::info!(
                path = request.path,
                wait_ms = pause.as_millis() as u64,
                "Duo answered 429; backing off"
            );
            tokio::time::sleep(pause).await;
            wait = wait.saturating_mul(2);
        }
    }

    async fn send(&self, request: &Request<'_>) -> Result<reqwest::Response, DuoError> {
        let now = OffsetDateTime::now_utc()
            + time::Duration::seconds(self.clock_offset.load(Ordering::Relaxed));
        let date = http_date(now)?;
        let method = request.method.as_str();
        let host = self.endpoint.signed_host.as_str();
        let mut url = self.endpoint.base.clone();
        url.set_path(request.path);

        let (builder, canonical) = match request.json {
            None => {
                let canonical = canonical_v2(&date, method, host, request.path, request.params);
                let params = canon_params(request.params);
                let builder = if has_body(&request.method) {
                    self.http
                        .request(request.method.clone(), url)
                        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                        .body(params)
                } else {
                    if !params.is_empty() {
                        url.set_query(Some(&params));
                    }
                    self.http.request(request.method.clone(), url)
                };
                (builder, canonical)
            }
            Some(body) => {
                let canonical = canonical_v5(&date, method, host, request.path, &[], body, &[])?;
                let builder = self
                    .http
                    .request(request.method.clone(), url)
                    .header(CONTENT_TYPE, "application/json")
                    .body(body.to_vec());
                (builder, canonical)
            }
        };
        let mut builder = builder
            .header(DATE, &date)
            .header(
                USER_AGENT,
                concat!("recovery-desk/", env!("CARGO_PKG_VERSION")),
            )
            .timeout(self.tuning.timeout);
        if request.signed {
            let value = authorization(
                &self.integration_key,
                &self.secret_key,
                &canonical,
                HmacDigest::Sha512,
            )?;
            let mut value = HeaderValue::from_str(&value).map_err(|_| {
                DuoError::InvalidInput("the integration key is not a valid header value")
            })?;
            value.set_sensitive(true);
            builder = builder.header(AUTHORIZATION, value);
        }
        builder.send().await.map_err(|e| unavailable(&e))
    }
}

fn has_body(method: &Method) -> bool {
    matches!(*method, Method::POST | Method::PUT | Method::PATCH)
}

/// The path is signed as given and must reach Duo byte for byte: only unreserved
/// characters and `/`, no `.` or `..` segments (the URL parser would rewrite them).
fn check_path(path: &str) -> Result<(), DuoError> {
    let valid_chars = path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'.' | b'_' | b'~'));
    let valid_segments = path
        .split('/')
        .skip(1)
        .all(|segment| !segment.is_empty() && segment != "." && segment != "..");
    if path.starts_with('/') && valid_chars && valid_segments {
        Ok(())
    } else {
        Err(DuoError::InvalidInput(
            "the path is not a plain Duo API path",
        ))
    }
}

async fn read_envelope(response: reqwest::Response) -> Result<Envelope, DuoError> {
    let status = response.status();
    let bytes = response.bytes().await.map_err(|e| unavailable(&e))?;
    let Ok(raw) = serde_json::from_slice::<RawEnvelope>(&bytes) else {
        // The body is never quoted: it may hold a code or a link.
        return Err(if status.is_server_error() {
            DuoError::Unavailable(format!("Duo answered HTTP {}", status.as_u16()))
        } else {
            DuoError::Protocol(format!(
                "HTTP {} without Duo's JSON envelope",
                status.as_u16()
            ))
        });
    };
    match raw.stat.as_deref() {
        Some("OK") if status.is_success() => Ok(Envelope {
            response: raw.response.unwrap_or(Value::Null),
            metadata: raw.metadata,
        }),
        Some("FAIL") => {
            let code = raw.code.as_ref().and_then(|code| match code {
                Value::Number(n) => n.as_u64(),
                Value::String(s) => s.parse().ok(),
                _ => None,
            });
            match code.and_then(|c| u32::try_from(c).ok()) {
                Some(code) => Err(DuoError::from_failure(
                    code,
                    raw.message.as_deref(),
                    raw.message_detail.as_deref(),
                )),
                None if status.is_server_error() => Err(DuoError::Unavailable(format!(
                    "Duo answered HTTP {}",
                    status.as_u16()
                ))),
                None => Err(DuoError::Protocol("a failure without a code".to_owned())),
            }
        }
        _ if status.is_server_error() => Err(DuoError::Unavailable(format!(
            "Duo answered HTTP {}",
            status.as_u16()
        ))),
        _ => Err(DuoError::Protocol(format!(
            "HTTP {} with an envelope that is neither OK nor FAIL",
            status.as_u16()
        ))),
    }
}

fn next_offset(metadata: Option<&Value>) -> Result<Option<u64>, DuoError> {
    match metadata.and_then(|m| m.get("next_offset")) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_u64().map(Some).ok_or_else(bad_offset),
        Some(Value::String(s)) => s.parse().map(Some).map_err(|_| bad_offset()),
        Some(_) => Err(bad_offset()),
    }
}

fn bad_offset() -> DuoError {
    DuoError::Protocol("metadata.next_offset is not a number".to_owned())
}

/// Reads a `response` into the few fields a call uses. The error names the call, never the
/// value: serde's messages quote it, and it may be a code or a link.
pub(crate) fn decode<T: DeserializeOwned>(value: Value, what: &'static str) -> Result<T, DuoError> {
    serde_json::from_value(value)
        .map_err(|_| DuoError::Protocol(format!("the {what} answer has an unexpected shape")))
}

/// reqwest's messages carry the URL (and with it the query); keep only the kind.
fn unavailable(error: &reqwest::Error) -> DuoError {
    DuoError::Unavailable(
        if error.is_timeout() {
            "Duo did not answer in time"
        } else if error.is_connect() {
            "Duo cannot be reached"
        } else if error.is_body() || error.is_decode() {
            "Duo's answer was cut off"
        } else {
            "the request to Duo failed"
        }
        .to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;
    use time::format_description::well_known::Rfc2822;

    use super::super::fake::{fast_tuning, FakeDuo, Reply};
    use super::*;

    #[tokio::test]
    async fn the_envelope_is_unwrapped_and_the_query_is_the_signed_string() {
        let fake = FakeDuo::start().await;
        fake.reply(Reply::ok(json!({"answer": 42})));
        let clients = fake.clients();
        let response = clients
            .admin
            .client()
            .call(
                Method::GET,
                "/admin/v1/info/summary",
                &[("b", "x y"), ("a", "1+1")],
            )
            .await
            .unwrap();
        assert_eq!(response, json!({"answer": 42}));
        let seen = fake.seen();
        assert_eq!(seen[0].query.as_deref(), Some("a=1%2B1&b=x%20y"));
        assert_eq!(seen[0].signed_by.as_deref(), Some(FakeDuo::ADMIN_IKEY));
        let date = seen[0].date.as_deref().unwrap();
        assert!(OffsetDateTime::parse(date, &Rfc2822).is_ok(), "{date}");
    }

    #[tokio::test]
    async fn rate_limits_are_retried_then_succeed() {
        let fake = FakeDuo::start().await;
        for _ in 0..2 {
            fake.reply(Reply::fail(429, 42901, "Too Many Requests", None));
        }
        fake.reply(Reply::ok(json!("done")));
        let response = fake
            .clients()
            .admin
            .client()
            .call(Method::POST, "/admin/v1/users/DU1", &[("status", "active")])
            .await
            .unwrap();
        assert_eq!(response, json!("done"));
        let seen = fake.seen();
        assert_eq!(seen.len(), 3);
        assert!(seen.iter().all(|s| s.signed_by.is_some()));
    }

    #[tokio::test]
    async fn rate_limits_give_up_after_duos_seven_attempts() {
        let fake = FakeDuo::start().await;
        for _ in 0..10 {
            fake.reply(Reply::raw(429, ""));
        }
        let error = fake
            .clients()
            .admin
            .client()
            .call(Method::GET, "/admin/v1/users", &[])
            .await
            .unwrap_err();
        assert!(matches!(error, DuoError::RateLimited), "{error:?}");
        // Waits of 1, 2, 4, 8, 16, 32 (ms here), then the next would pass 32.
        assert_eq!(fake.seen().len(), 7);
    }

    #[tokio::test]
    async fn the_backoff_doubles_from_its_first_wait() {
        let fake = FakeDuo::start().await;
        for _ in 0..3 {
            fake.reply(Reply::raw(429, ""));
        }
        let mut tuning = fast_tuning();
        tuning.backoff = Backoff {
            first_wait: Duration::from_millis(40),
            max_wait: Duration::from_millis(80),
            max_jitter: Duration::ZERO,
        };
        let clients = fake.clients_with(fake.config(), tuning);
        let started = std::time::Instant::now();
        let error = clients
            .admin
            .client()
            .call(Method::GET, "/admin/v1/users", &[])
            .await
            .unwrap_err();
        assert!(matches!(error, DuoError::RateLimited));
        assert_eq!(fake.seen().len(), 3);
        assert!(started.elapsed() >= Duration::from_millis(120));
    }

    #[tokio::test]
    async fn failures_map_to_typed_errors() {
        let fake = FakeDuo::start().await;
        let clients = fake.clients();
        let client = clients.admin.client();
        let call = || client.call(Method::GET, "/admin/v1/users/DU1", &[]);

        fake.reply(Reply::fail(
            401,
            40103,
            "Invalid signature in request credentials",
            None,
        ));
        assert!(matches!(
            call().await,
            Err(DuoError::Misconfigured { code: 40103 })
        ));
        fake.reply(Reply::fail(
            403,
            40301,
            "Access forbidden",
            Some("Grant read resource"),
        ));
        match call().await {
            Err(error @ DuoError::Forbidden { code: 40301, .. }) => {
                assert!(error.to_string().contains("Grant read resource"), "{error}");
            }
            other => panic!("{other:?}"),
        }
        fake.reply(Reply::fail(404, 40401, "Resource not found", None));
        assert!(matches!(
            call().await,
            Err(DuoError::NotFound { code: 40401 })
        ));
        fake.reply(Reply::fail(
            500,
            50001,
            "Unknown internal server error",
            None,
        ));
        assert!(matches!(call().await, Err(DuoError::Unavailable(_))));
        fake.reply(Reply::raw(502, "<html>bad gateway, code 016931781</html>"));
        let error = call().await.unwrap_err();
        assert!(matches!(error, DuoError::Unavailable(_)), "{error:?}");
        assert!(!format!("{error:?}").contains("016931781"));
        fake.reply(Reply::raw(200, "not json 016931781"));
        let error = call().await.unwrap_err();
        assert!(matches!(error, DuoError::Protocol(_)), "{error:?}");
        assert!(!format!("{error:?}").contains("016931781"));
        fake.reply(Reply::raw(200, r#"{"stat":"FAIL","message":"no code"}"#));
        assert!(matches!(call().await, Err(DuoError::Protocol(_))));
    }

    #[tokio::test]
    async fn a_wrong_secret_key_is_misconfigured_and_never_printed() {
        let fake = FakeDuo::start().await;
        let mut config = fake.config();
        config.admin.secret_key = Secret::new("the-wrong-secret-key-must-not-be-printed");
        let clients = fake.clients_with(config, fast_tuning());
        let error = clients
            .admin
            .client()
            .call(Method::GET, "/admin/v1/users", &[("username", "jdoe")])
            .await
            .unwrap_err();
        assert!(
            matches!(error, DuoError::Misconfigured { code: 40103 }),
            "{error:?}"
        );
        let printed = format!("{error} {error:?} {clients:?}");
        assert!(!printed.contains("must-not-be-printed"), "{printed}");
        assert!(!printed.contains(FakeDuo::ADMIN_SKEY));
    }

    #[tokio::test]
    async fn lists_follow_next_offset_across_pages() {
        let fake = FakeDuo::start().await;
        fake.reply(Reply::page(json!([{"n": 1}, {"n": 2}]), Some(2)));
        fake.reply(Reply::page(json!([{"n": 3}, {"n": 4}]), Some(4)));
        fake.reply(Reply::page(json!([{"n": 5}, {"n": 6}]), None));
        let items = fake
            .clients()
            .admin
            .client()
            .list("/admin/v1/phones", &[("offset", "9"), ("number", "+1 555")])
            .await
            .unwrap();
        let numbers: Vec<i64> = items.iter().filter_map(|i| i["n"].as_i64()).collect();
        assert_eq!(numbers, [1, 2, 3, 4, 5, 6]);
        let queries: Vec<String> = fake.seen().into_iter().filter_map(|s| s.query).collect();
        assert_eq!(
            queries,
            [
                "limit=100&number=%2B1%20555&offset=0",
                "limit=100&number=%2B1%20555&offset=2",
                "limit=100&number=%2B1%20555&offset=4",
            ]
        );
    }

    #[tokio::test]
    async fn a_next_offset_that_does_not_advance_stops_the_list() {
        let fake = FakeDuo::start().await;
        fake.reply(Reply::page(json!([1]), Some(0)));
        let error = fake
            .clients()
            .admin
            .client()
            .list("/admin/v1/users", &[])
            .await
            .unwrap_err();
        assert!(matches!(error, DuoError::Protocol(_)));
    }

    #[tokio::test]
    async fn the_clock_offset_shifts_later_dates_of_both_applications() {
        let fake = FakeDuo::start().await;
        let duo_now = OffsetDateTime::now_utc().unix_timestamp() + 400;
        fake.reply(Reply::ok(json!({"time": duo_now})));
        fake.reply(Reply::ok(json!([])));
        let clients = fake.clients();
        let offset = clients.sync_clock().await.unwrap();
        assert!((399..=401).contains(&offset), "{offset}");
        assert_eq!(clients.admin.client().clock_offset_seconds(), offset);
        clients
            .admin
            .client()
            .call(Method::GET, "/admin/v1/users", &[])
            .await
            .unwrap();
        let seen = fake.seen();
        assert_eq!(seen[0].path, "/auth/v2/ping");
        assert!(!seen[0].had_authorization);
        let sent = OffsetDateTime::parse(seen[1].date.as_deref().unwrap(), &Rfc2822).unwrap();
        let shift = sent.unix_timestamp() - OffsetDateTime::now_utc().unix_timestamp();
        assert!((398..=401).contains(&shift), "{shift}");
        // Signed with the shifted date, and Duo's clock agrees.
        assert!(seen[1].signed_by.is_some());
    }

    #[tokio::test]
    async fn a_slow_duo_is_unavailable() {
        let fake = FakeDuo::start().await;
        fake.reply(Reply::ok(json!("late")).after(Duration::from_secs(3)));
        let mut tuning = fast_tuning();
        tuning.timeout = Duration::from_millis(200);
        let error = fake
            .clients_with(fake.config(), tuning)
            .admin
            .client()
            .call(Method::GET, "/admin/v1/users", &[("username", "jdoe")])
            .await
            .unwrap_err();
        match error {
            DuoError::Unavailable(message) => {
                assert_eq!(message, "Duo did not answer in time");
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn an_unreachable_duo_is_unavailable() {
        let fake = FakeDuo::start().await;
        let mut config = fake.config();
        config.base_url = Some("http://127.0.0.1:9".to_owned());
        let error = fake
            .clients_with(config, fast_tuning())
            .auth
            .ping()
            .await
            .unwrap_err();
        assert!(matches!(error, DuoError::Unavailable(_)), "{error:?}");
    }

    #[tokio::test]
    async fn json_bodies_are_signed_with_v5() {
        let fake = FakeDuo::start().await;
        fake.reply(Reply::ok(json!({"ok": true})));
        let clients = fake.clients();
        let body = json!({"user_id": "DU1", "note": "a b"});
        clients
            .admin
            .client()
            .call_json(Method::POST, "/admin/v2/example", &body)
            .await
            .unwrap();
        let seen = fake.seen();
        assert_eq!(seen[0].content_type.as_deref(), Some("application/json"));
        assert_eq!(serde_json::from_str::<Value>(&seen[0].body).unwrap(), body);
        assert_eq!(seen[0].signed_by.as_deref(), Some(FakeDuo::ADMIN_IKEY));
        assert!(matches!(
            clients
                .admin
                .client()
                .call_json(Method::GET, "/admin/v2/example", &body)
                .await,
            Err(DuoError::InvalidInput(_))
        ));
    }

    #[test]
    fn paths_must_be_plain() {
        assert!(check_path("/admin/v1/users/DU1/phones").is_ok());
        for bad in [
            "admin/v1/users",
            "/admin/v1/../auth",
            "/admin//users",
            "/admin/v1/users?x=1",
            "/admin/v1/u sers",
            "/admin/v1/users/",
        ] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
    }
}
