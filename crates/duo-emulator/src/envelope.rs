//! Duo's response envelope and error codes (reference section 1.4).

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// A Duo failure: `{"stat":"FAIL","code":…,"message":…,"message_detail":…}`, answered with
/// the HTTP status made of the code's first three digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// Duo's five-digit code, e.g. 40103.
    pub code: u32,
    /// Duo's message for the code.
    pub message: &'static str,
    /// `message_detail`, when there is one (usually the offending parameter).
    pub detail: Option<String>,
}

impl ApiError {
    fn new(code: u32, message: &'static str, detail: Option<String>) -> Self {
        ApiError {
            code,
            message,
            detail,
        }
    }

    /// The HTTP status: the code's first three digits.
    pub fn status(&self) -> u16 {
        u16::try_from(self.code / 100).unwrap_or(500)
    }

    /// 40001: a required parameter is missing.
    pub fn missing(detail: impl Into<String>) -> Self {
        Self::new(
            40001,
            "Missing required request parameters",
            Some(detail.into()),
        )
    }

    /// 40002: a parameter is malformed or refers to something unusable.
    pub fn invalid(detail: impl Into<String>) -> Self {
        Self::new(40002, "Invalid request parameters", Some(detail.into()))
    }

    /// 40003: the resource already exists.
    pub fn duplicate(detail: impl Into<String>) -> Self {
        Self::new(40003, "Duplicate resource", Some(detail.into()))
    }

    /// 40101: no usable `Authorization: Basic` header.
    pub fn missing_credentials() -> Self {
        Self::new(40101, "Missing request credentials", None)
    }

    /// 40102: the ikey is not an integration of this API.
    pub fn invalid_ikey() -> Self {
        Self::new(
            40102,
            "Invalid integration key in request credentials",
            None,
        )
    }

    /// 40103: the signature does not match.
    pub fn invalid_signature() -> Self {
        Self::new(40103, "Invalid signature in request credentials", None)
    }

    /// 40104: no `Date` / `X-Duo-Date`, or one that is not an RFC 2822 date.
    pub fn missing_timestamp() -> Self {
        Self::new(40104, "Missing request timestamp", None)
    }

    /// 40105: the date is more than the allowed window away from the emulator's clock.
    pub fn stale_timestamp(window_secs: i64) -> Self {
        Self::new(
            40105,
            "Invalid request timestamp",
            Some(format!(
                "request date must be within {window_secs} seconds of the server time"
            )),
        )
    }

    /// 40301: the integration lacks the permission the endpoint needs.
    pub fn forbidden(permission: &str) -> Self {
        Self::new(
            40301,
            "Access forbidden",
            Some(format!(
                "this integration lacks the permission {permission}"
            )),
        )
    }

    /// 40401: no such object or endpoint.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(40401, "Resource not found", Some(detail.into()))
    }

    /// 42901: rate limited.
    pub fn rate_limited() -> Self {
        Self::new(42901, "Too Many Requests", None)
    }

    /// 50001: internal error, also what Duo answers when an object limit would be exceeded.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(50001, "Unknown internal server error", Some(detail.into()))
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        let mut body = json!({
            "stat": "FAIL",
            "code": self.code,
            "message": self.message,
        });
        if let (Some(detail), Some(object)) = (&self.detail, body.as_object_mut()) {
            object.insert("message_detail".to_owned(), Value::String(detail.clone()));
        }
        body
    }
}

/// Duo's code on a failure response, read back by the request log.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ErrorCode(pub u32);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = json_response(status, &self.body());
        response.extensions_mut().insert(ErrorCode(self.code));
        response
    }
}

/// A success: `{"stat":"OK","response":…}`, plus top-level `metadata` for a page.
pub(crate) struct Reply {
    response: Value,
    metadata: Option<Value>,
}

impl Reply {
    pub(crate) fn page(items: Vec<Value>, metadata: Value) -> Self {
        Reply {
            response: Value::Array(items),
            metadata: Some(metadata),
        }
    }
}

/// What every handler answers: a success or Duo's failure envelope.
pub(crate) type Answer = Result<Reply, ApiError>;

/// A success without paging.
pub(crate) fn ok(response: Value) -> Answer {
    Ok(Reply {
        response,
        metadata: None,
    })
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        json_response(StatusCode::OK, &ok_body(self.response, self.metadata))
    }
}

/// `{"stat":"OK","response":…}`, plus top-level `metadata` for pages.
fn ok_body(response: Value, metadata: Option<Value>) -> Value {
    let mut body = json!({ "stat": "OK", "response": response });
    if let (Some(metadata), Some(object)) = (metadata, body.as_object_mut()) {
        object.insert("metadata".to_owned(), metadata);
    }
    body
}

pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
