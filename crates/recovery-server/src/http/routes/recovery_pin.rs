use axum::{extract::State, Json};
use recovery_api::{
    recovery_pin::{RecoveryPinSet, RecoveryPinStatus, SetRecoveryPin},
    Problem,
};

use crate::{
    app::App,
    flows,
    http::{
        extract::{CurrentSession, JsonBody, RequestClient},
        problem::ApiError,
    },
    recovery_pin::PinChange,
    session::SessionMethod,
};

/// Whether the person has a recovery PIN, and whether this session may set one.
#[utoipa::path(get, path = "/v1/me/recovery-pin", tag = "me",
    security(("recovery_session" = [])),
    responses(
        (status = 200, body = RecoveryPinStatus),
    ))]
pub async fn status(
    State(app): State<App>,
    current: CurrentSession,
) -> Result<Json<RecoveryPinStatus>, ApiError> {
    let status = flows::recovery_pin::status(&app, &current.person).await?;
    let policy = &app.config.recovery_pin;
    Ok(Json(RecoveryPinStatus {
        set: status.set_at.is_some(),
        set_at: status.set_at,
        can_set: current.session.method == SessionMethod::Passcode,
        min_digits: policy.min_digits,
        max_digits: policy.max_digits,
    }))
}

/// Set or change the recovery PIN (it goes with the date of birth on record). Needs a session
/// opened with a passcode in the last few minutes; every notification address is told.
#[utoipa::path(put, path = "/v1/me/recovery-pin", tag = "me",
    security(("recovery_session" = [])),
    params(RequestClient),
    request_body = SetRecoveryPin,
    responses(
        (status = 200, body = RecoveryPinSet),
        (status = 401, description = "`reverification_required`: the passcode sign-in is more than a few minutes old", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`passcode_sign_in_required`: the session was opened with date of birth + PIN", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`date_of_birth_unknown`: no date of birth on record; the help desk completes the record", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_field` (length, digits) or `recovery_pin_too_simple`; nothing was changed", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`limit_reached`: today's notices are used up; nothing was changed", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn set(
    State(app): State<App>,
    RequestClient(client): RequestClient,
    current: CurrentSession,
    JsonBody(request): JsonBody<SetRecoveryPin>,
) -> Result<Json<RecoveryPinSet>, ApiError> {
    let (change, set_at) = flows::recovery_pin::set(
        &app,
        &client,
        &current.session,
        &current.person,
        &request.pin,
    )
    .await?;
    Ok(Json(RecoveryPinSet {
        changed: change == PinChange::Changed,
        set_at,
    }))
}
