use axum::{extract::State, http::StatusCode, Json};
use recovery_api::{
    authenticator::Authenticator,
    security_key::{FinishRegistration, RegistrationStarted},
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

/// Creation options for a new security key (the person's keys are excluded).
#[utoipa::path(post, path = "/v1/me/security-keys/registrations", tag = "security keys",
    params(RequestClient),
    security(("recovery_session" = [])),
    responses(
        (status = 201, body = RegistrationStarted),
        (status = 401, description = "`reverification_required`: the verification is too old to add a device", body = Problem, content_type = "application/problem+json"),
        (status = 501, description = "`unsupported`: the MFA system does not register security keys here", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn start(
    State(app): State<App>,
    RequestClient(client): RequestClient,
    current: CurrentSession,
) -> Result<(StatusCode, Json<RegistrationStarted>), ApiError> {
    let started =
        flows::security_keys::start(&app, &client, &current.session, &current.person).await?;
    Ok((StatusCode::CREATED, Json(started)))
}

/// Finish a registration with the key's answer; works once.
#[utoipa::path(post, path = "/v1/me/security-keys/registrations/{id}", tag = "security keys",
    security(("recovery_session" = [])),
    params(RequestClient, ("id" = String, Path, description = "The registration's id")),
    request_body = FinishRegistration,
    responses(
        (status = 429, description = "`limit_reached`: a daily cap on calls, texts or notices; nothing was sent or changed. `Retry-After` says when a slot frees", body = Problem, content_type = "application/problem+json"),
        (status = 201, description = "Registered", body = Authenticator),
        (status = 401, description = "`reverification_required`: the verification is too old to add a device", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`registration_invalid` or `security_key_already_registered`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`security_key_rejected`, `security_key_model_not_allowed` or `invalid_field`", body = Problem, content_type = "application/problem+json"),
        (status = 501, description = "`unsupported`: the MFA system does not register security keys here", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn finish(
    State(app): State<App>,
    RequestClient(client): RequestClient,
    current: CurrentSession,
    PathParam(id): PathParam<String>,
    JsonBody(request): JsonBody<FinishRegistration>,
) -> Result<(StatusCode, Json<Authenticator>), ApiError> {
    let key = flows::security_keys::finish(
        &app,
        &client,
        &current.session,
        &current.person,
        &id,
        &request,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(key)))
}
