//! The one mapping from errors to `application/problem+json`. Internal details are logged here,
//! once, and never sent.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use recovery_api::{problem::CONTENT_TYPE, ErrorCode, Problem};

use crate::error::RecoveryError;

/// Every way a request can fail, as the HTTP layer sees it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Recovery(#[from] RecoveryError),
    #[error("malformed request: {0}")]
    Malformed(String),
    #[error("invalid field {field}: {message}")]
    InvalidField { field: String, message: String },
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        Self::Recovery(error.into())
    }
}

impl ApiError {
    pub fn problem(&self) -> Problem {
        match self {
            Self::Recovery(error) => recovery_problem(error),
            Self::Malformed(detail) => Problem::new(ErrorCode::MalformedRequest, detail.clone()),
            Self::InvalidField { field, message } => {
                Problem::new(ErrorCode::InvalidField, message.clone()).with_field(field.clone())
            }
            Self::PayloadTooLarge => Problem::new(
                ErrorCode::PayloadTooLarge,
                "The request body is larger than 16 KiB; nothing was changed.",
            ),
            Self::UnsupportedMediaType => Problem::new(
                ErrorCode::UnsupportedMediaType,
                "Send the body as JSON with the header Content-Type: application/json.",
            ),
            Self::NotFound => {
                Problem::new(ErrorCode::NotFound, "There is nothing at this address.")
            }
            Self::MethodNotAllowed => Problem::new(
                ErrorCode::MethodNotAllowed,
                "This address does not take this method.",
            ),
        }
    }
}

fn recovery_problem(error: &RecoveryError) -> Problem {
    use RecoveryError as E;
    match error {
        E::VerificationFailed => Problem::new(
            ErrorCode::VerificationFailed,
            "The details you entered do not match our records. Check them and try again.",
        ),
        E::TooManyAttempts(retry) => Problem::new(
            ErrorCode::TooManyAttempts,
            "There were too many attempts. Wait a little, then try again.",
        )
        .with_retry_at(retry.at),
        E::Locked(Some(retry)) => Problem::new(
            ErrorCode::Locked,
            "Self-service recovery is locked for this account after too many attempts. Try again later, or call the help desk.",
        )
        .with_retry_at(retry.at),
        E::Locked(None) => Problem::new(
            ErrorCode::Locked,
            "Self-service recovery is locked for this account after too many attempts. Call the help desk to unlock it.",
        ),
        E::InvalidField(field) => {
            Problem::new(ErrorCode::InvalidField, field.message.clone()).with_field(field.field)
        }
        E::SessionInvalid => Problem::new(
            ErrorCode::SessionInvalid,
            "There is no active recovery session. Verify who you are to start one.",
        ),
        E::SessionExpired => Problem::new(
            ErrorCode::SessionExpired,
            "Your recovery session ran out of time. Verify who you are again to continue.",
        ),
        E::KioskCredentialInvalid => Problem::new(
            ErrorCode::KioskCredentialInvalid,
            "This kiosk's credential is not valid. Ask the help desk to enroll it again.",
        ),
        E::EnrollmentTokenInvalid => Problem::new(
            ErrorCode::EnrollmentTokenInvalid,
            "The enrollment token is unknown, expired or already used. Ask the help desk for a new one.",
        ),
        E::Unsupported(what) => Problem::new(
            ErrorCode::Unsupported,
            format!("Your organisation's MFA system does not support {what} here."),
        ),
        E::Unavailable(_) => Problem::new(
            ErrorCode::Unavailable,
            "A system we depend on is not answering. Try again in a few minutes, or call the help desk.",
        ),
        E::Storage(_)
        | E::Directory(_)
        | E::Provider(_)
        | E::Hash(_)
        | E::Notify(_)
        | E::Internal(_) => Problem::new(
            ErrorCode::Internal,
            "Something went wrong on our side and nothing was changed. Try again, or call the help desk.",
        ),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        if problem.code == ErrorCode::Internal || problem.code == ErrorCode::Unavailable {
            tracing::error!(error = %error_chain(&self), "request failed");
        }
        let retry_after = match &self {
            Self::Recovery(RecoveryError::TooManyAttempts(retry))
            | Self::Recovery(RecoveryError::Locked(Some(retry))) => Some(retry.in_seconds),
            _ => None,
        };
        problem_response(&problem, retry_after)
    }
}

pub fn problem_response(problem: &Problem, retry_after_seconds: Option<i64>) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(problem).unwrap_or_default();
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    if let Some(seconds) = retry_after_seconds {
        if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
            headers.insert(header::RETRY_AFTER, value);
        }
    }
    if matches!(
        problem.code,
        ErrorCode::SessionInvalid | ErrorCode::SessionExpired
    ) {
        headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
