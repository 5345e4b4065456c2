use axum::{extract::State, Json};
use recovery_api::{help_desk::PersonRecord, Problem};

use crate::{
    app::App,
    flows,
    http::{
        extract::{CurrentAgent, PathParam, RequestClient},
        problem::ApiError,
    },
};

/// A person's record by exact username (no search): masked addresses and devices, lock state,
/// recovery PIN, recent events. Audited; counted against the agent's hourly look-ups.
#[utoipa::path(get, path = "/v1/help-desk/people/{username}", tag = "help-desk",
    security(("help_desk_session" = [])),
    params(RequestClient, ("username" = String, Path, description = "The exact username")),
    responses(
        (status = 200, body = PersonRecord),
        (status = 403, description = "`permission_denied`: the agent's role does not allow looking up", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no one has this username", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_field`: not a username", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`limit_reached`: the agent's look-ups for this hour are used up; `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn look_up(
    State(app): State<App>,
    RequestClient(client): RequestClient,
    CurrentAgent(session): CurrentAgent,
    PathParam(username): PathParam<String>,
) -> Result<Json<PersonRecord>, ApiError> {
    let record = flows::help_desk::look_up::look_up(&app, &session, &client, &username).await?;
    Ok(Json(record))
}
