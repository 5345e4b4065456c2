//! The outermost layer: every request goes into the log with what the inner layers noted
//! on the response (fault, credentials, Duo's error code), and every answer carries a
//! `Date` from the emulator's own, possibly skewed, clock.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use super::credentials::CallerNote;
use super::faults::FaultNote;
use super::Emulator;
use crate::date::format_date;
use crate::envelope::ErrorCode;
use crate::model::RequestRecord;

pub(super) async fn record(
    State(shared): State<Emulator>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or("").to_owned();
    let mut response = next.run(request).await;
    let caller = response
        .extensions_mut()
        .remove::<CallerNote>()
        .unwrap_or_default();
    let fault = response.extensions_mut().remove::<FaultNote>().map(|f| f.0);
    let record = RequestRecord {
        method,
        path,
        query,
        ikey: caller.ikey,
        signature_version: caller.signature_version,
        signature_valid: caller.signature_valid,
        fault,
        status: response.status().as_u16(),
        error_code: response.extensions().get::<ErrorCode>().map(|c| c.0),
    };
    let mut account = shared.lock();
    if let Ok(value) = HeaderValue::from_str(&format_date(account.now(), "GMT")) {
        response.headers_mut().insert(header::DATE, value);
    }
    account.log.push(record);
    response
}
