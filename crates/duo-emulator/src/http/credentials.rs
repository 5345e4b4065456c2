//! Duo's credential check, as middleware: `Authorization: Basic ikey:hex(hmac)` over the
//! request as it arrived (every signature version it could carry), Admin keys only on
//! `/admin/…` and Auth keys only on `/auth/…`, the date within ±300 s. Then the parameters
//! are read for the handlers. `GET /auth/v2/ping` alone goes unsigned.
//!
//! [`require_grant`] runs around each Admin API route: reads need "Grant read resource",
//! writes "Grant write resource" (reference section 2, [PS]).

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::params::{read_params, Incoming};
use super::Emulator;
use crate::account::Account;
use crate::date::parse_rfc2822;
use crate::envelope::ApiError;
use crate::model::{IntegrationKind, Permission};
use crate::signing::{parse_pairs, verify, Received, SignatureVersion};

/// Largest body the emulator reads.
const MAX_BODY: usize = 1 << 20;
/// How far the request date may be from the emulator's clock (Duo's mock server uses ±300 s,
/// reference section 8).
pub(crate) const DATE_WINDOW_SECS: i64 = 300;

/// What the credential check found, for the request log.
#[derive(Clone, Default)]
pub(super) struct CallerNote {
    pub ikey: Option<String>,
    pub signature_version: Option<SignatureVersion>,
    pub signature_valid: Option<bool>,
}

/// The integration key whose signature verified, for [`require_grant`].
#[derive(Clone)]
struct Caller(String);

pub(super) async fn check(
    State(shared): State<Emulator>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() == Method::GET && request.uri().path() == "/auth/v2/ping" {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let mut note = CallerNote::default();
    let body = match to_bytes(body, MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(_) => return ApiError::invalid("body").into_response(),
    };
    let incoming = Incoming {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        headers: &parts.headers,
        body: &body,
    };
    let checked = {
        let account = shared.lock();
        authenticate(&account, &incoming, &mut note)
    };
    let read = checked.and_then(|ikey| Ok((ikey, read_params(&incoming)?)));
    let mut response = match read {
        Ok((ikey, params)) => {
            parts.extensions.insert(Caller(ikey));
            parts.extensions.insert(params);
            next.run(Request::from_parts(parts, Body::from(body))).await
        }
        Err(error) => error.into_response(),
    };
    response.extensions_mut().insert(note);
    response
}

/// Route layer for the Admin API: GET is a read, anything else a write.
pub(crate) async fn require_grant(
    State(shared): State<Emulator>,
    request: Request,
    next: Next,
) -> Response {
    let permission = if matches!(*request.method(), Method::GET | Method::HEAD) {
        Permission::ReadResource
    } else {
        Permission::WriteResource
    };
    let granted = request
        .extensions()
        .get::<Caller>()
        .is_some_and(|Caller(ikey)| {
            shared
                .lock()
                .integration(ikey)
                .is_some_and(|i| i.permissions.contains(&permission))
        });
    if granted {
        next.run(request).await
    } else {
        ApiError::forbidden(permission.as_str()).into_response()
    }
}

fn family(path: &str) -> Option<IntegrationKind> {
    if path.starts_with("/admin/") {
        Some(IntegrationKind::Admin)
    } else if path.starts_with("/auth/") {
        Some(IntegrationKind::Auth)
    } else {
        None
    }
}

fn basic_credentials(headers: &HeaderMap) -> Result<(String, String), ApiError> {
    let header_value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(ApiError::missing_credentials)?;
    let (scheme, encoded) = header_value
        .trim()
        .split_once(' ')
        .ok_or_else(ApiError::missing_credentials)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(ApiError::missing_credentials());
    }
    let decoded = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(ApiError::missing_credentials)?;
    let (ikey, signature) = decoded
        .split_once(':')
        .ok_or_else(ApiError::missing_credentials)?;
    Ok((ikey.to_owned(), signature.to_owned()))
}

/// The ikey of a request whose signature and date check out.
fn authenticate(
    account: &Account,
    request: &Incoming<'_>,
    note: &mut CallerNote,
) -> Result<String, ApiError> {
    let (ikey, signature) = basic_credentials(request.headers)?;
    note.ikey = Some(ikey.clone());

    let kind = family(request.path);
    let integration = account
        .integration(&ikey)
        .filter(|i| kind.is_none_or(|kind| i.kind == kind))
        .ok_or_else(ApiError::invalid_ikey)?;

    // X-Duo-Date wins over Date, as in Duo's mock server (reference section 1.1).
    let date = request
        .headers
        .get("x-duo-date")
        .or_else(|| request.headers.get(header::DATE))
        .and_then(|v| v.to_str().ok())
        .ok_or_else(ApiError::missing_timestamp)?;
    let date_unix = parse_rfc2822(date).ok_or_else(ApiError::missing_timestamp)?;

    let query_pairs = parse_pairs(request.query.as_bytes());
    let form_pairs = request.is_form().then(|| parse_pairs(request.body));
    let x_duo: Option<Vec<(String, String)>> = request
        .headers
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("x-duo-"))
        .map(|(name, value)| {
            value
                .to_str()
                .ok()
                .map(|v| (name.as_str().to_owned(), v.to_owned()))
        })
        .collect();
    let received = Received {
        date,
        method: request.method,
        host: &account.api_host,
        path: request.path,
        query: &query_pairs,
        form: form_pairs.as_deref(),
        body: request.body,
        x_duo: x_duo.as_deref(),
    };
    match verify(&received, &integration.skey, &signature) {
        Some(version) => {
            note.signature_valid = Some(true);
            note.signature_version = Some(version);
        }
        None => {
            note.signature_valid = Some(false);
            return Err(ApiError::invalid_signature());
        }
    }
    if (date_unix - account.now()).abs() > DATE_WINDOW_SECS {
        return Err(ApiError::stale_timestamp(DATE_WINDOW_SECS));
    }
    Ok(ikey)
}
