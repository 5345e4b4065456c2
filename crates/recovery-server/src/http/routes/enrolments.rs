//! The security-key enrolment page and its two calls. No session: the code in the address is
//! the credential, so it is checked on every request and never repeated in an answer, and
//! request spans name only the route template.

use axum::{
    extract::State,
    http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use recovery_api::{
    authenticator::Authenticator, help_desk::FinishLinkRegistration,
    security_key::RegistrationStarted, Problem,
};

use crate::{
    app::App,
    error::RecoveryError,
    flows::help_desk::security_key_link,
    http::{
        extract::{JsonBody, PathParam, RequestClient},
        pages::{self, enrolment, Language},
        problem::ApiError,
    },
    security_key_link::LinkCode,
};

/// The page where the person registers a security key in their browser.
#[utoipa::path(get, path = "/v1/enrolments/{code}", tag = "enrolments",
    params(("code" = String, Path, description = "The code from the e-mailed link"),
        ("Accept-Language" = Option<String>, Header, description = "English or Spanish (`es`); English otherwise")),
    responses(
        (status = 200, description = "The enrolment page (strict CSP, its script from `/v1/enrolments/assets/enrol.js`)", content_type = "text/html"),
        (status = 404, description = "Not a link this service makes: a page that says whom to call", content_type = "text/html"),
        (status = 410, description = "The link was used, expired, or refused 5 answers: a page that says whom to call", content_type = "text/html"),
    ))]
pub async fn page(
    State(app): State<App>,
    PathParam(code): PathParam<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let language = Language::from_accept_language(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let organisation = &app.config.organisation;
    let Some(code) = LinkCode::parse(&code) else {
        let html = enrolment::invalid_page(language, organisation);
        return Ok(html_response(StatusCode::NOT_FOUND, language, html));
    };
    match security_key_link::open(&app, &code).await {
        Ok(_) => {
            let html = enrolment::page(language, organisation);
            Ok(html_response(StatusCode::OK, language, html))
        }
        Err(RecoveryError::EnrolmentLinkInvalid) => {
            let html = enrolment::invalid_page(language, organisation);
            Ok(html_response(StatusCode::GONE, language, html))
        }
        Err(error) => Err(error.into()),
    }
}

/// Creation options for the link's person.
#[utoipa::path(post, path = "/v1/enrolments/{code}/options", tag = "enrolments",
    params(RequestClient, ("code" = String, Path, description = "The code from the e-mailed link")),
    responses(
        (status = 201, body = RegistrationStarted),
        (status = 404, description = "`not_found`: not a link this service makes", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "`enrolment_link_invalid`: unknown, used, expired, or ended by refused answers", body = Problem, content_type = "application/problem+json"),
        (status = 501, description = "`unsupported`: the MFA system does not register security keys here", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn options(
    State(app): State<App>,
    RequestClient(client): RequestClient,
    PathParam(code): PathParam<String>,
) -> Result<Response, ApiError> {
    let code = LinkCode::parse(&code).ok_or(ApiError::NotFound)?;
    let started = security_key_link::start(&app, &client, &code).await?;
    Ok(no_store(
        (StatusCode::CREATED, Json(started)).into_response(),
    ))
}

/// The key's answer: registers it and spends the link.
#[utoipa::path(post, path = "/v1/enrolments/{code}/registration", tag = "enrolments",
    params(RequestClient, ("code" = String, Path, description = "The code from the e-mailed link")),
    request_body = FinishLinkRegistration,
    responses(
        (status = 201, description = "Registered; the link is spent", body = Authenticator),
        (status = 404, description = "`not_found`: not a link this service makes", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`registration_invalid` or `security_key_already_registered` (each counts against the link)", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "`enrolment_link_invalid`: unknown, used (also by a concurrent answer), expired, or ended by 5 refused answers", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`security_key_rejected` or `security_key_model_not_allowed` (each counts against the link), or `invalid_field`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`limit_reached`: today's notices are used up; nothing was changed", body = Problem, content_type = "application/problem+json"),
        (status = 501, description = "`unsupported`: the MFA system does not register security keys here", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn registration(
    State(app): State<App>,
    RequestClient(client): RequestClient,
    PathParam(code): PathParam<String>,
    JsonBody(request): JsonBody<FinishLinkRegistration>,
) -> Result<(StatusCode, Json<Authenticator>), ApiError> {
    let code = LinkCode::parse(&code).ok_or(ApiError::NotFound)?;
    let key = security_key_link::finish(&app, &client, &code, &request).await?;
    Ok((StatusCode::CREATED, Json(key)))
}

/// The page's script.
#[utoipa::path(get, path = "/v1/enrolments/assets/enrol.js", tag = "enrolments",
    responses((status = 200, description = "The enrolment page's script", content_type = "text/javascript")))]
pub async fn script() -> Response {
    asset("text/javascript; charset=utf-8", enrolment::SCRIPT)
}

/// The page's style.
#[utoipa::path(get, path = "/v1/enrolments/assets/enrol.css", tag = "enrolments",
    responses((status = 200, description = "The enrolment page's style", content_type = "text/css")))]
pub async fn style() -> Response {
    asset("text/css; charset=utf-8", enrolment::STYLE)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn html_response(status: StatusCode, language: Language, html: String) -> Response {
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(pages::CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(language.tag()),
    );
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    no_store(response)
}

/// Nothing a link opens is kept by the browser or a proxy.
fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().insert(
        HeaderName::from_static("pragma"),
        HeaderValue::from_static("no-cache"),
    );
    response
}
