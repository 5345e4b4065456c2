use axum::{extract::State, http::StatusCode, Json};
use recovery_api::{bypass_code::BypassCodeIssued, Problem};

use crate::{
    app::App,
    flows,
    http::{
        extract::{CurrentSession, RequestClient},
        problem::ApiError,
    },
};

/// A new one-use bypass code; it revokes the previous self-service code.
#[utoipa::path(post, path = "/v1/me/bypass-codes", tag = "me",
    params(RequestClient),
    security(("recovery_session" = [])),
    responses(
        (status = 429, description = "`limit_reached`: a daily cap on calls, texts or notices; nothing was sent or changed. `Retry-After` says when a slot frees", body = Problem, content_type = "application/problem+json"),
        (status = 201, description = "Shown once; valid 10 minutes", body = BypassCodeIssued),
        (status = 501, description = "`unsupported` by the MFA system", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn issue_bypass_code(
    State(app): State<App>,
    RequestClient(client): RequestClient,
    current: CurrentSession,
) -> Result<(StatusCode, Json<BypassCodeIssued>), ApiError> {
    let issued =
        flows::bypass_code::issue_self_service(&app, &client, &current.session, &current.person)
            .await?;
    let body = BypassCodeIssued {
        code: issued.code.into_secret(),
        expires_at: issued.expires_at,
    };
    Ok((StatusCode::CREATED, Json(body)))
}
