use axum::{extract::State, Json};
use recovery_api::{authenticator::Authenticator, hardware_token::ResyncToken, Problem};

use crate::{
    app::App,
    flows,
    http::{
        extract::{CurrentSession, JsonBody, PathParam, RequestClient},
        problem::ApiError,
    },
};

/// Bring a hardware token back in step from 2 or 3 consecutive codes.
#[utoipa::path(post, path = "/v1/me/hardware-tokens/{id}/resync", tag = "hardware tokens",
    security(("recovery_session" = [])),
    params(RequestClient, ("id" = String, Path, description = "The token's id")),
    request_body = ResyncToken,
    responses(
        (status = 429, description = "`limit_reached`: a daily cap on calls, texts or notices; nothing was sent or changed. `Retry-After` says when a slot frees", body = Problem, content_type = "application/problem+json"),
        (status = 200, body = Authenticator),
        (status = 404, description = "Not one of the person's tokens", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`resync_failed` or `invalid_field`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn resync(
    State(app): State<App>,
    RequestClient(client): RequestClient,
    current: CurrentSession,
    PathParam(id): PathParam<String>,
    JsonBody(request): JsonBody<ResyncToken>,
) -> Result<Json<Authenticator>, ApiError> {
    let token = flows::hardware_tokens::resync(
        &app,
        &client,
        &current.session,
        &current.person,
        &id,
        &request.codes,
    )
    .await?;
    Ok(Json(token))
}
