use axum::{
    extract::State,
    http::{header, StatusCode},
    response::IntoResponse,
    Json,
};
use recovery_api::health::Health;

use crate::{app::App, error::RecoveryError, http::problem::ApiError};

/// Liveness and readiness: `200` when the database answers.
#[utoipa::path(get, path = "/healthz", tag = "meta",
    responses((status = 200, body = Health), (status = 503, body = recovery_api::Problem, content_type = "application/problem+json")))]
pub async fn healthz(State(app): State<App>) -> Result<Json<Health>, ApiError> {
    if app.db.ping().await {
        Ok(Json(Health {
            status: "ok".to_owned(),
        }))
    } else {
        Err(RecoveryError::Unavailable("database".to_owned()).into())
    }
}

/// Prometheus metrics in the OpenMetrics text format, on the admin listener only (not part of
/// the API's document).
pub async fn metrics(State(app): State<App>) -> impl IntoResponse {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        app.metrics.render(),
    )
}
