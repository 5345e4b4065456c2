use axum::{extract::State, http::StatusCode, Json};
use recovery_api::{
    authenticator::Authenticator,
    phone::{ActivationCreated, ActivationSent, AddPhone, PhoneAdded, VerifyPhone},
    Problem,
};

use crate::{
    app::App,
    flows,
    http::{
        extract::{CurrentSession, JsonBody, PathParam, RequestClient},
        problem::ApiError,
    },
    mfa::PhoneCheck,
};

/// Add a landline; a call speaks the 6-digit code that verifies it.
#[utoipa::path(post, path = "/v1/me/phones", tag = "phones",
    params(RequestClient),
    security(("recovery_session" = [])),
    request_body = AddPhone,
    responses(
        (status = 429, description = "`limit_reached`: a daily cap on calls, texts or notices; nothing was sent or changed. `Retry-After` says when a slot frees", body = Problem, content_type = "application/problem+json"),
        (status = 201, description = "Pending; we are calling it", body = PhoneAdded),
        (status = 401, description = "`reverification_required`: the verification is too old to add a device", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`phone_number_invalid`, `phone_number_not_landline` or `invalid_field`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the call could not be placed", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn add(
    State(app): State<App>,
    RequestClient(client): RequestClient,
    current: CurrentSession,
    JsonBody(request): JsonBody<AddPhone>,
) -> Result<(StatusCode, Json<PhoneAdded>), ApiError> {
    let pending =
        flows::phones::add_landline(&app, &client, &current.session, &current.person, &request)
            .await?;
    let body = PhoneAdded {
        id: pending.id,
        number_hint: pending.number_hint,
        expires_at: pending.expires_at,
        delivery: pending.delivery,
    };
    Ok((StatusCode::CREATED, Json(body)))
}

/// Type back the code the call spoke.
#[utoipa::path(post, path = "/v1/me/phones/{id}/verify", tag = "phones",
    security(("recovery_session" = [])),
    params(RequestClient, ("id" = String, Path, description = "The pending phone's id")),
    request_body = VerifyPhone,
    responses(
        (status = 429, description = "`limit_reached`: a daily cap on calls, texts or notices; nothing was sent or changed. `Retry-After` says when a slot frees", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "Verified and active", body = Authenticator),
        (status = 202, description = "`answer_call`: not answered yet; check again in a few seconds", body = Authenticator),
        (status = 400, description = "`code_incorrect`, with `attempts_left`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such pending phone", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "`verification_expired`: too late or too many wrong codes; the phone was discarded", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn verify(
    State(app): State<App>,
    RequestClient(client): RequestClient,
    current: CurrentSession,
    PathParam(id): PathParam<String>,
    JsonBody(request): JsonBody<VerifyPhone>,
) -> Result<(StatusCode, Json<Authenticator>), ApiError> {
    let check = flows::phones::verify_landline(
        &app,
        &client,
        &current.session,
        &current.person,
        &id,
        request.code.as_ref(),
    )
    .await?;
    Ok(match check {
        PhoneCheck::Verified(phone) => (StatusCode::OK, Json(phone)),
        PhoneCheck::Waiting(phone) => (StatusCode::ACCEPTED, Json(phone)),
    })
}

/// A single-use link (QR code) that sets up the phone app on a new phone.
#[utoipa::path(post, path = "/v1/me/phones/{id}/activation", tag = "phones",
    security(("recovery_session" = [])),
    params(RequestClient, ("id" = String, Path, description = "The mobile phone's id")),
    responses(
        (status = 429, description = "`limit_reached`: a daily cap on calls, texts or notices; nothing was sent or changed. `Retry-After` says when a slot frees", body = Problem, content_type = "application/problem+json"),
        (status = 201, body = ActivationCreated),
        (status = 401, description = "`reverification_required`: the verification is too old to add a device", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such mobile phone", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_activation(
    State(app): State<App>,
    RequestClient(client): RequestClient,
    current: CurrentSession,
    PathParam(id): PathParam<String>,
) -> Result<(StatusCode, Json<ActivationCreated>), ApiError> {
    let activation =
        flows::phones::create_activation(&app, &client, &current.session, &current.person, &id)
            .await?;
    let body = ActivationCreated {
        activation_url: activation.url,
        expires_at: activation.expires_at,
    };
    Ok((StatusCode::CREATED, Json(body)))
}

/// Text the activation link to the phone's number.
#[utoipa::path(post, path = "/v1/me/phones/{id}/activation/sms", tag = "phones",
    security(("recovery_session" = [])),
    params(RequestClient, ("id" = String, Path, description = "The mobile phone's id")),
    responses(
        (status = 429, description = "`limit_reached`: a daily cap on calls, texts or notices; nothing was sent or changed. `Retry-After` says when a slot frees", body = Problem, content_type = "application/problem+json"),
        (status = 202, body = ActivationSent),
        (status = 401, description = "`reverification_required`: the verification is too old to add a device", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such mobile phone", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn text_activation(
    State(app): State<App>,
    RequestClient(client): RequestClient,
    current: CurrentSession,
    PathParam(id): PathParam<String>,
) -> Result<(StatusCode, Json<ActivationSent>), ApiError> {
    let sent =
        flows::phones::text_activation(&app, &client, &current.session, &current.person, &id)
            .await?;
    let body = ActivationSent {
        number_hint: sent.number_hint,
        expires_at: sent.expires_at,
    };
    Ok((StatusCode::ACCEPTED, Json(body)))
}
