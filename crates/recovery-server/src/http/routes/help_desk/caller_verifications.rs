use axum::{extract::State, http::StatusCode, Json};
use recovery_api::{
    help_desk::{CallerVerification, CheckCallerCode, StartCallerVerification},
    Problem,
};

use crate::{
    app::App,
    flows,
    http::{
        extract::{CurrentAgent, JsonBody, PathParam, RequestClient},
        problem::ApiError,
    },
};

/// Verify the caller: send a code (e-mail or text), check date of birth + recovery PIN on the
/// person's throttle, or attest an ID check in person (enrolled kiosks only).
#[utoipa::path(post, path = "/v1/help-desk/people/{username}/caller-verifications", tag = "help-desk",
    security(("help_desk_session" = [])),
    params(RequestClient, ("username" = String, Path, description = "The exact username")),
    request_body = StartCallerVerification,
    responses(
        (status = 201, description = "`pending` (a code was sent) or `verified`", body = CallerVerification),
        (status = 401, description = "`verification_failed`: date of birth or PIN do not match (counted toward the person's locks)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`permission_denied` (role, or the person is an agent), `own_account`, or `in_person_needs_kiosk`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no one has this username", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_field`: a date, PIN or ID document that is not valid, or no address or number to send to", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`limit_reached` (the agent's hour, or the person's daily sending caps), `too_many_attempts` or `locked`; `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn start(
    State(app): State<App>,
    RequestClient(client): RequestClient,
    CurrentAgent(session): CurrentAgent,
    PathParam(username): PathParam<String>,
    JsonBody(request): JsonBody<StartCallerVerification>,
) -> Result<(StatusCode, Json<CallerVerification>), ApiError> {
    let started =
        flows::help_desk::caller::start(&app, &session, &client, &username, &request).await?;
    Ok((StatusCode::CREATED, Json(started)))
}

/// The code the caller reads back; 3 tries.
#[utoipa::path(post, path = "/v1/help-desk/people/{username}/caller-verifications/{id}/code", tag = "help-desk",
    security(("help_desk_session" = [])),
    params(RequestClient,
        ("username" = String, Path, description = "The exact username"),
        ("id" = String, Path, description = "The caller verification's id"),
    ),
    request_body = CheckCallerCode,
    responses(
        (status = 200, description = "`verified`", body = CallerVerification),
        (status = 400, description = "`code_incorrect`, with `attempts_left`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`permission_denied` or `own_account`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such person, or no such verification in this session", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "`verification_expired`: out of time or out of tries; send a new code", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn check_code(
    State(app): State<App>,
    RequestClient(client): RequestClient,
    CurrentAgent(session): CurrentAgent,
    PathParam((username, id)): PathParam<(String, String)>,
    JsonBody(request): JsonBody<CheckCallerCode>,
) -> Result<Json<CallerVerification>, ApiError> {
    let checked = flows::help_desk::caller::check_code(
        &app,
        &session,
        &client,
        &username,
        &id,
        &request.code,
    )
    .await?;
    Ok(Json(checked))
}
