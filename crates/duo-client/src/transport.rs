//! One signed exchange with Duo: sign, send, back off on 429, unwrap the envelope.
//!
//! - Every request is signed afresh (a new `Date` per attempt), v2 with HMAC-SHA512 for query
//!   strings and form bodies, v5 for JSON bodies (see [`crate::signing`]). The wire
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
};

use rand::Rng as _;
use recovery_api::Secret;
use reqwest::{
    header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, DATE, USER_AGENT},
    Method, StatusCode,
};
use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;

use crate::{
    canonical::canon_params,
    config::Endpoint,
    envelope::{decode, next_offset, read_envelope, unavailable, Envelope},
    signing::{authorization, canonical_v2, canonical_v5, http_date, HmacDigest},
    DuoApplication, DuoError, Tuning,
};

/// Duo's answers list at most this many objects per page unless asked otherwise.
const PAGE_LIMIT: &str = "100";

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
