//! The activation link a new phone opens. `GET` only shows a page with a button (link
//! previewers and prefetchers must not use the link up); `POST` redeems it.

use axum::{
    extract::State,
    http::{header, HeaderMap},
    response::{Html, IntoResponse, Response},
    Json,
};
use recovery_api::{phone::AppEnrollment, Problem, Secret};

use crate::{
    app::App,
    flows,
    http::{
        extract::{PathParam, RequestClient},
        problem::ApiError,
    },
};

/// A page for the phone's browser: one button that redeems the link.
#[utoipa::path(get, path = "/v1/activations/{code}", tag = "activations",
    params(("code" = String, Path, description = "The activation code from the link")),
    responses((status = 200, description = "An HTML page with a button that redeems the link", content_type = "text/html")))]
pub async fn page(State(app): State<App>, PathParam(_code): PathParam<String>) -> Html<String> {
    let organisation = html_escape(&app.config.organisation.name);
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Set up your authenticator app</title></head>\
         <body style=\"font-family: sans-serif; max-width: 32rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5\">\
         <h1>Set up your authenticator app</h1>\
         <p>{organisation} will give this phone a new sign-in code generator. The link works once.</p>\
         <form method=\"post\"><button type=\"submit\" style=\"font-size: 1.25rem; padding: .75rem 1.5rem\">Set up this phone</button></form>\
         </body></html>"
    ))
}

/// Redeem the link once: the answer is the new `otpauth://` enrolment.
#[utoipa::path(post, path = "/v1/activations/{code}", tag = "activations",
    params(RequestClient, ("code" = String, Path, description = "The activation code from the link")),
    responses(
        (status = 200, description = "JSON, or an HTML page when the browser asks for one", body = AppEnrollment),
        (status = 410, description = "`activation_invalid`: unknown, expired or used", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn redeem(
    State(app): State<App>,
    RequestClient(client): RequestClient,
    PathParam(code): PathParam<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let uri = flows::phones::redeem_activation(&app, &client, &Secret::new(code)).await?;
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if !wants_html {
        return Ok(Json(AppEnrollment { otpauth_uri: uri }).into_response());
    }
    let link = html_escape(uri.expose());
    Ok(Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Open your authenticator app</title></head>\
         <body style=\"font-family: sans-serif; max-width: 32rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5\">\
         <h1>Almost done</h1><p><a href=\"{link}\" style=\"font-size: 1.25rem\">Open in my authenticator app</a></p>\
         <p>Then close this page. The old phone's codes no longer work.</p></body></html>"
    ))
    .into_response())
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
