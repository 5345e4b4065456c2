use axum::{extract::State, http::StatusCode, Json};
use recovery_api::{
    help_desk::{
        AgentKeyRegistered, AgentSessionCreated, AgentSummary, CreateAgentSession,
        KeySignInStarted, StartKeySignIn,
    },
    security_key::{FinishRegistration, RegistrationStarted},
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

/// Start signing in with a security key: assertion options for the agent's keys (the same
/// shape for anyone else). Then `POST /v1/help-desk/sessions` with the password and the answer.
#[utoipa::path(post, path = "/v1/help-desk/sign-in/security-key", tag = "help-desk",
    request_body = StartKeySignIn,
    responses(
        (status = 201, description = "Valid 2 minutes, one use; user verification required", body = KeySignInStarted),
    ))]
pub async fn start_key_sign_in(
    State(app): State<App>,
    JsonBody(request): JsonBody<StartKeySignIn>,
) -> Result<(StatusCode, Json<KeySignInStarted>), ApiError> {
    let started = flows::help_desk::sign_in::start_key_sign_in(&app, &request).await?;
    Ok((StatusCode::CREATED, Json(started)))
}

/// Sign in as an agent: password, then the agent's own passcode or a security-key answer.
#[utoipa::path(post, path = "/v1/help-desk/sessions", tag = "help-desk",
    params(RequestClient),
    request_body = CreateAgentSession,
    responses(
        (status = 201, description = "Signed in; the session is never extended", body = AgentSessionCreated),
        (status = 401, description = "`verification_failed`, the same for every cause (password, second factor, not an agent, unknown username)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too_many_attempts` or `locked`, with `Retry-After` when known", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`service_busy`: too many verifications under way, nothing was checked", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(app): State<App>,
    RequestClient(client): RequestClient,
    JsonBody(request): JsonBody<CreateAgentSession>,
) -> Result<(StatusCode, Json<AgentSessionCreated>), ApiError> {
    let created =
        flows::help_desk::sign_in::create_session_to_the_end(&app, client, request).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// The signed-in agent: role, permissions, how they signed in.
#[utoipa::path(get, path = "/v1/help-desk/me", tag = "help-desk",
    security(("help_desk_session" = [])),
    responses(
        (status = 200, body = AgentSummary),
    ))]
pub async fn me(
    State(app): State<App>,
    CurrentAgent(session): CurrentAgent,
) -> Result<Json<AgentSummary>, ApiError> {
    Ok(Json(flows::help_desk::summary(&app, &session).await?))
}

/// Sign out now; the agent's token stops working.
#[utoipa::path(delete, path = "/v1/help-desk/sessions/current", tag = "help-desk",
    params(RequestClient),
    security(("help_desk_session" = [])),
    responses(
        (status = 204, description = "Signed out"),
    ))]
pub async fn end_current(
    State(app): State<App>,
    RequestClient(client): RequestClient,
    CurrentAgent(session): CurrentAgent,
) -> Result<StatusCode, ApiError> {
    flows::help_desk::sign_out(&app, &client, &session).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Start registering a security key for the agent's own sign-in.
#[utoipa::path(post, path = "/v1/help-desk/me/security-keys/registrations", tag = "help-desk",
    security(("help_desk_session" = [])),
    responses(
        (status = 201, description = "Touch the key within 5 minutes", body = RegistrationStarted),
    ))]
pub async fn start_key_registration(
    State(app): State<App>,
    CurrentAgent(session): CurrentAgent,
) -> Result<(StatusCode, Json<RegistrationStarted>), ApiError> {
    let started = flows::help_desk::sign_in::start_key_registration(&app, &session).await?;
    Ok((StatusCode::CREATED, Json(started)))
}

/// Finish it with the key's answer; the agent is told on every notification address.
#[utoipa::path(post, path = "/v1/help-desk/me/security-keys/registrations/{id}", tag = "help-desk",
    security(("help_desk_session" = [])),
    params(RequestClient, ("id" = String, Path, description = "The registration's id")),
    request_body = FinishRegistration,
    responses(
        (status = 201, description = "Registered; it signs the agent in from now on", body = AgentKeyRegistered),
        (status = 409, description = "`registration_invalid` (unknown, expired, finished) or `security_key_already_registered`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`security_key_rejected` (a key that cannot verify its user is refused too) or `security_key_model_not_allowed`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`limit_reached`: today's notices are used up; nothing was changed", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn finish_key_registration(
    State(app): State<App>,
    RequestClient(client): RequestClient,
    CurrentAgent(session): CurrentAgent,
    PathParam(id): PathParam<String>,
    JsonBody(request): JsonBody<FinishRegistration>,
) -> Result<(StatusCode, Json<AgentKeyRegistered>), ApiError> {
    let name =
        flows::help_desk::sign_in::finish_key_registration(&app, &client, &session, &id, &request)
            .await?;
    Ok((StatusCode::CREATED, Json(AgentKeyRegistered { name })))
}
