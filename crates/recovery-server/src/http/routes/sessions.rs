use axum::{extract::State, http::StatusCode, Json};
use recovery_api::{
    session::{CreateSession, PersonSummary, SessionCreated},
    Problem,
};

use crate::{
    app::App,
    flows,
    http::{
        extract::{CurrentSession, JsonBody, RequestClient},
        problem::ApiError,
    },
};

/// Verify who you are and open a recovery session.
#[utoipa::path(post, path = "/v1/recovery/sessions", tag = "recovery",
    params(RequestClient),
    request_body = CreateSession,
    responses(
        (status = 201, description = "Verified; the session lasts 10 minutes", body = SessionCreated),
        (status = 401, description = "`verification_failed`, the same for every cause", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too_many_attempts` or `locked`, with `Retry-After` when known", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`service_busy`: too many verifications under way, nothing was checked; `Retry-After` says when to retry", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(app): State<App>,
    RequestClient(client): RequestClient,
    JsonBody(request): JsonBody<CreateSession>,
) -> Result<(StatusCode, Json<SessionCreated>), ApiError> {
    // Run apart from this request: hanging up must not cancel a check half-way.
    let opened = flows::verify::open_session_to_the_end(&app, client, request).await?;
    let created = SessionCreated {
        token: opened.token,
        expires_at: opened.expires_at,
        person: PersonSummary {
            display_name: opened.person.display_name,
        },
    };
    Ok((StatusCode::CREATED, Json(created)))
}

/// End the recovery session now; its token stops working.
#[utoipa::path(delete, path = "/v1/recovery/sessions/current", tag = "recovery",
    params(RequestClient),
    security(("recovery_session" = [])),
    responses(
        (status = 204, description = "Ended"),
    ))]
pub async fn end_current(
    State(app): State<App>,
    RequestClient(client): RequestClient,
    current: CurrentSession,
) -> Result<StatusCode, ApiError> {
    flows::session::end(&app, &client, &current.session, &current.person).await?;
    Ok(StatusCode::NO_CONTENT)
}
