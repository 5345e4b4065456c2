//! The actions an agent takes for a verified caller. Each passes the guard
//! (`help_desk::guard::authorize`), then changes the account through the same flow as
//! self-service, audited with the help desk's detail and announced to the person.

use axum::{extract::State, http::StatusCode, Json};
use recovery_api::{
    bypass_code::BypassCodeIssued,
    help_desk::{
        ActionContext, IssueHelpDeskCode, RecoveryPinCleared, RemoveDeviceForPerson, Unlocked,
    },
    Problem,
};
use serde_json::{json, Value};

use crate::{
    app::App,
    flows,
    http::{
        extract::{CurrentAgent, JsonBody, PathParam, RequestClient},
        problem::ApiError,
    },
};

/// Issue a bypass code for the person (needs a strong caller verification). It replaces their
/// previous help-desk code; their self-service code is left alone. Shown once.
#[utoipa::path(post, path = "/v1/help-desk/people/{username}/bypass-codes", tag = "help-desk",
    security(("help_desk_session" = [])),
    params(RequestClient, ("username" = String, Path, description = "The exact username")),
    request_body = IssueHelpDeskCode,
    responses(
        (status = 201, description = "Shown once", body = BypassCodeIssued),
        (status = 403, description = "`permission_denied`, `own_account`, `caller_not_verified` or `caller_verification_too_weak`; nothing was changed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no one has this username", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_field`: `reason` or `valid_minutes`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`limit_reached`: the agent's hour or the person's notices; `Retry-After`", body = Problem, content_type = "application/problem+json"),
        (status = 501, description = "`unsupported` by the MFA system", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn issue_bypass_code(
    State(app): State<App>,
    RequestClient(client): RequestClient,
    CurrentAgent(session): CurrentAgent,
    PathParam(username): PathParam<String>,
    JsonBody(request): JsonBody<IssueHelpDeskCode>,
) -> Result<(StatusCode, Json<BypassCodeIssued>), ApiError> {
    let issued =
        flows::help_desk::bypass_code::issue(&app, &session, &client, &username, &request).await?;
    let body = BypassCodeIssued {
        code: issued.code.into_secret(),
        expires_at: issued.expires_at,
    };
    Ok((StatusCode::CREATED, Json(body)))
}

/// Lift the person's lock: the temporary one (`unlock_temporary`), or the one that holds until
/// the help desk unlocks (`unlock_daily`, admins).
#[utoipa::path(post, path = "/v1/help-desk/people/{username}/unlock", tag = "help-desk",
    security(("help_desk_session" = [])),
    params(RequestClient, ("username" = String, Path, description = "The exact username")),
    request_body = ActionContext,
    responses(
        (status = 200, description = "What was lifted", body = Unlocked),
        (status = 403, description = "`permission_denied`, `own_account` or `caller_not_verified`; nothing was changed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no one has this username", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_field`: `reason`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`limit_reached`: the agent's hour or the person's notices; `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn unlock(
    State(app): State<App>,
    RequestClient(client): RequestClient,
    CurrentAgent(session): CurrentAgent,
    PathParam(username): PathParam<String>,
    JsonBody(context): JsonBody<ActionContext>,
) -> Result<Json<Unlocked>, ApiError> {
    let unlocked =
        flows::help_desk::unlock::unlock(&app, &session, &client, &username, &context).await?;
    Ok(Json(unlocked))
}

/// Clear the person's recovery PIN; they set a new one with a passcode.
#[utoipa::path(post, path = "/v1/help-desk/people/{username}/recovery-pin/clear", tag = "help-desk",
    security(("help_desk_session" = [])),
    params(RequestClient, ("username" = String, Path, description = "The exact username")),
    request_body = ActionContext,
    responses(
        (status = 200, description = "Whether there was a PIN to clear", body = RecoveryPinCleared),
        (status = 403, description = "`permission_denied`, `own_account` or `caller_not_verified`; nothing was changed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no one has this username", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_field`: `reason`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`limit_reached`: the agent's hour; `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn clear_recovery_pin(
    State(app): State<App>,
    RequestClient(client): RequestClient,
    CurrentAgent(session): CurrentAgent,
    PathParam(username): PathParam<String>,
    JsonBody(context): JsonBody<ActionContext>,
) -> Result<Json<RecoveryPinCleared>, ApiError> {
    let cleared =
        flows::help_desk::recovery_pin::clear(&app, &session, &client, &username, &context).await?;
    Ok(Json(cleared))
}

/// Disable one of the person's devices at once (lost, stolen, replaced).
#[utoipa::path(post, path = "/v1/help-desk/people/{username}/authenticators/{id}/removal", tag = "help-desk",
    security(("help_desk_session" = [])),
    params(RequestClient,
        ("username" = String, Path, description = "The exact username"),
        ("id" = String, Path, description = "The device's id"),
    ),
    request_body = RemoveDeviceForPerson,
    responses(
        (status = 200, description = "Disabled", body = Object),
        (status = 403, description = "`permission_denied`, `own_account` or `caller_not_verified`; nothing was changed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such person, or not one of their devices", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_field`: `reason` or `removal_reason`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`limit_reached`: the agent's hour or the person's notices; `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn remove_device(
    State(app): State<App>,
    RequestClient(client): RequestClient,
    CurrentAgent(session): CurrentAgent,
    PathParam((username, id)): PathParam<(String, String)>,
    JsonBody(request): JsonBody<RemoveDeviceForPerson>,
) -> Result<Json<Value>, ApiError> {
    flows::help_desk::removal::remove(&app, &session, &client, &username, &id, &request).await?;
    Ok(Json(json!({})))
}
