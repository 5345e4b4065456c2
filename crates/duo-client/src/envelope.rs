//! Reading Duo's answers: the `{stat: "OK", response, metadata?}` and `{stat: "FAIL", code,
//! message, message_detail?}` envelope, paging metadata, and the typed calls' shapes. No
//! error quotes a body or a value: either may hold a code or a link.

use serde::{de::DeserializeOwned, Deserialize};
use serde_json::Value;

use crate::DuoError;

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
pub(crate) struct Envelope {
    pub(crate) response: Value,
    pub(crate) metadata: Option<Value>,
}

pub(crate) async fn read_envelope(response: reqwest::Response) -> Result<Envelope, DuoError> {
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

pub(crate) fn next_offset(metadata: Option<&Value>) -> Result<Option<u64>, DuoError> {
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
pub(crate) fn unavailable(error: &reqwest::Error) -> DuoError {
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
