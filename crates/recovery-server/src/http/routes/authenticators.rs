use axum::{
    extract::{RawQuery, State},
    http::StatusCode,
    Json,
};
use recovery_api::{
    authenticator::{Authenticator, AuthenticatorList},
    phone::RemovalReason,
    security_key::RenameAuthenticator,
    Problem,
};

use crate::{
    app::App,
    flows,
    http::{
        extract::{CurrentSession, JsonBody, PathParam, RequestClient},
        problem::ApiError,
    },
};

/// The devices of the verified person.
#[utoipa::path(get, path = "/v1/me/authenticators", tag = "me",
    security(("recovery_session" = [])),
    responses(
        (status = 200, body = AuthenticatorList),
    ))]
pub async fn list(
    State(app): State<App>,
    current: CurrentSession,
) -> Result<Json<AuthenticatorList>, ApiError> {
    let authenticators = flows::authenticators::list(&app, &current.person).await?;
    Ok(Json(AuthenticatorList { authenticators }))
}

/// Give a device a name the person recognises.
#[utoipa::path(patch, path = "/v1/me/authenticators/{id}", tag = "me",
    security(("recovery_session" = [])),
    params(RequestClient, ("id" = String, Path, description = "The device's id")),
    request_body = RenameAuthenticator,
    responses(
        (status = 200, body = Authenticator),
        (status = 404, description = "Not one of the person's devices", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_field`: the name is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 501, description = "`unsupported`: the MFA system does not rename devices", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn rename(
    State(app): State<App>,
    RequestClient(client): RequestClient,
    current: CurrentSession,
    PathParam(id): PathParam<String>,
    JsonBody(request): JsonBody<RenameAuthenticator>,
) -> Result<Json<Authenticator>, ApiError> {
    let renamed =
        flows::authenticators::rename(&app, &client, &current.person, &id, &request.name).await?;
    Ok(Json(renamed))
}

/// Disable a lost, stolen or replaced device at once.
#[utoipa::path(delete, path = "/v1/me/authenticators/{id}", tag = "me",
    security(("recovery_session" = [])),
    params(RequestClient,
        ("id" = String, Path, description = "The device's id"),
        ("reason" = RemovalReason, Query, description = "lost, stolen or replaced"),
    ),
    responses(
        (status = 429, description = "`limit_reached`: a daily cap on calls, texts or notices; nothing was sent or changed. `Retry-After` says when a slot frees", body = Problem, content_type = "application/problem+json"),
        (status = 204, description = "Disabled"),
        (status = 404, description = "Not one of the person's devices", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_field` for a missing or unknown reason", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn remove(
    State(app): State<App>,
    RequestClient(client): RequestClient,
    current: CurrentSession,
    PathParam(id): PathParam<String>,
    RawQuery(query): RawQuery,
) -> Result<StatusCode, ApiError> {
    let reason = removal_reason(query.as_deref())?;
    flows::authenticators::remove(
        &app,
        &client,
        &current.session,
        &current.person,
        &id,
        reason,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn removal_reason(query: Option<&str>) -> Result<RemovalReason, ApiError> {
    let reason = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(key, _)| key == "reason")
        .map(|(_, value)| value.into_owned());
    match reason.as_deref() {
        Some("lost") => Ok(RemovalReason::Lost),
        Some("stolen") => Ok(RemovalReason::Stolen),
        Some("replaced") => Ok(RemovalReason::Replaced),
        _ => Err(ApiError::InvalidField {
            field: "reason".to_owned(),
            message: "Say why the device goes: reason=lost, reason=stolen or reason=replaced."
                .to_owned(),
        }),
    }
}
