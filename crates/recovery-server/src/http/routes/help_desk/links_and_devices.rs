//! The help-desk actions that set a device up for the person: a security-key enrolment link
//! e-mailed to them, a phone-app activation link by text or e-mail. Each passes the guard in its flow, which audits with the help desk's
//! detail and tells the person.

use axum::{extract::State, http::StatusCode, Json};
use recovery_api::{
    help_desk::{LinkSent, SendActivation, SendSecurityKeyLink},
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

/// E-mail the person a single-use link to a page where they register a security key in their
/// browser. The link is never shown to the agent.
#[utoipa::path(post, path = "/v1/help-desk/people/{username}/security-key-links", tag = "help-desk",
    security(("help_desk_session" = [])),
    params(RequestClient, ("username" = String, Path, description = "The exact username")),
    request_body = SendSecurityKeyLink,
    responses(
        (status = 202, description = "E-mailed to the person's notification addresses (masked here)", body = LinkSent),
        (status = 403, description = "`permission_denied`, `own_account` or `caller_not_verified`; nothing was changed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no one has this username", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_field`: `reason` or `valid_hours`, or the person has no e-mail address", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`limit_reached`: the agent's hour or the person's notices; `Retry-After`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the e-mail reached none of the person's addresses", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn send_security_key_link(
    State(app): State<App>,
    RequestClient(client): RequestClient,
    CurrentAgent(session): CurrentAgent,
    PathParam(username): PathParam<String>,
    JsonBody(request): JsonBody<SendSecurityKeyLink>,
) -> Result<(StatusCode, Json<LinkSent>), ApiError> {
    let sent =
        flows::help_desk::security_key_link::send_for(&app, &session, &client, &username, &request)
            .await?;
    Ok((StatusCode::ACCEPTED, Json(sent)))
}

/// Send the person a new phone-app activation link for the phone: by text to the phone, or by
/// e-mail to their notification addresses. The link is never shown to the agent.
#[utoipa::path(post, path = "/v1/help-desk/people/{username}/phones/{id}/activation", tag = "help-desk",
    security(("help_desk_session" = [])),
    params(RequestClient, ("username" = String, Path, description = "The exact username"),
        ("id" = String, Path, description = "The phone's id, from the person's record")),
    request_body = SendActivation,
    responses(
        (status = 202, description = "Sent (number or addresses masked)", body = LinkSent),
        (status = 403, description = "`permission_denied`, `own_account` or `caller_not_verified`; nothing was changed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such person, or no such phone-app phone of theirs", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_field`: `reason`, or the person has no e-mail address", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`limit_reached`: the agent's hour or the person's texts or notices; `Retry-After`", body = Problem, content_type = "application/problem+json"),
        (status = 501, description = "`unsupported` by the MFA system", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn send_activation(
    State(app): State<App>,
    RequestClient(client): RequestClient,
    CurrentAgent(session): CurrentAgent,
    PathParam((username, id)): PathParam<(String, String)>,
    JsonBody(request): JsonBody<SendActivation>,
) -> Result<(StatusCode, Json<LinkSent>), ApiError> {
    let sent =
        flows::help_desk::activation::send(&app, &session, &client, &username, &id, &request)
            .await?;
    Ok((StatusCode::ACCEPTED, Json(sent)))
}
