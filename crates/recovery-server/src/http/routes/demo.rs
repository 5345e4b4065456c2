use axum::{extract::State, Json};
use recovery_api::demo::Outbox;

use crate::{app::App, http::problem::ApiError};

/// What the service would have sent (demo mode only; the route does not exist otherwise).
#[utoipa::path(get, path = "/v1/demo/outbox", tag = "demo",
    responses(
        (status = 200, body = Outbox),
        (status = 500, description = "`internal`: something went wrong on the service's side", body = recovery_api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn outbox(State(app): State<App>) -> Result<Json<Outbox>, ApiError> {
    let messages = match &app.outbox {
        Some(outbox) => outbox.messages().await?,
        None => Vec::new(),
    };
    Ok(Json(Outbox { messages }))
}
