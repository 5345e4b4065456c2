//! Injected faults, before any credential check: the next pending fault whose path prefix
//! matches answers instead of the request (or, for [`Fault::Slow`], delays it).

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::Emulator;
use crate::envelope::ApiError;
use crate::model::Fault;

/// The fault a request ran into, for the request log.
#[derive(Clone)]
pub(super) struct FaultNote(pub Fault);

pub(super) async fn inject(
    State(shared): State<Emulator>,
    request: Request,
    next: Next,
) -> Response {
    let fault = shared.lock().take_fault(request.uri().path());
    let Some(fault) = fault else {
        return next.run(request).await;
    };
    let mut response = match &fault {
        Fault::Slow(delay) => {
            tokio::time::sleep(*delay).await;
            next.run(request).await
        }
        Fault::RateLimited => ApiError::rate_limited().into_response(),
        Fault::ServerError => ApiError::internal("injected server error").into_response(),
        Fault::ServiceUnavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/html")],
            "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
        )
            .into_response(),
        Fault::Answer { status, body } => (
            StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            [(header::CONTENT_TYPE, "application/json")],
            body.clone(),
        )
            .into_response(),
    };
    response.extensions_mut().insert(FaultNote(fault));
    response
}
