//! The one mapping from errors to `application/problem+json`. Internal details are logged here,
//! once, and never sent.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use recovery_api::{problem::CONTENT_TYPE, ErrorCode, Problem};

use crate::{
    error::RecoveryError, phone_number::PhoneNumberError, recovery_pin::PinRejection,
    security_key::SecurityKeyError,
};

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
        E::LimitReached(retry) => Problem::new(
            ErrorCode::LimitReached,
            "You have reached today's limit of calls, text messages or e-mails for your account, so nothing was sent or changed. Try again after the time shown, or call the help desk.",
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
        E::Busy(retry) => Problem::new(
            ErrorCode::ServiceBusy,
            "The recovery service is busy checking other people's details. Nothing was checked; try again in a few seconds.",
        )
        .with_retry_at(retry.at),
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
        E::AgentSessionInvalid => Problem::new(
            ErrorCode::SessionInvalid,
            "You are not signed in to the help-desk console. Sign in with your password and your security key or passcode.",
        ),
        E::AgentSessionExpired => Problem::new(
            ErrorCode::SessionExpired,
            "Your help-desk session ran out of time. Sign in again to continue.",
        ),
        E::KioskCredentialInvalid => Problem::new(
            ErrorCode::KioskCredentialInvalid,
            "This kiosk's credential is not valid. Ask the help desk to enroll it again.",
        ),
        E::EnrollmentTokenInvalid => Problem::new(
            ErrorCode::EnrollmentTokenInvalid,
            "The enrollment token is unknown, expired or already used. Ask the help desk for a new one.",
        ),
        E::ReverificationRequired => Problem::new(
            ErrorCode::ReverificationRequired,
            "To add a device, verify who you are again: your verification is more than a few minutes old.",
        ),
        E::PasscodeSignInRequired => Problem::new(
            ErrorCode::PasscodeSignInRequired,
            "To set your recovery PIN, sign in with your password and a code from a device you still have (or a bypass code from the help desk).",
        ),
        E::RecoveryPinRejected(PinRejection::Shape { min, max }) => Problem::new(
            ErrorCode::InvalidField,
            format!("A recovery PIN is {min} to {max} digits, with no letters or spaces."),
        )
        .with_field("pin"),
        E::RecoveryPinRejected(rejection) => Problem::new(
            ErrorCode::RecoveryPinTooSimple,
            match rejection {
                PinRejection::DateOfBirth => "A PIN made from your date of birth is easy to guess. Choose other digits; nothing was changed.",
                PinRejection::Blocklisted => "This PIN is too common. Choose other digits; nothing was changed.",
                _ => "The same digit repeated, a repeated pattern or digits in a row (like 123456) are easy to guess. Choose other digits; nothing was changed.",
            },
        )
        .with_field("pin"),
        E::PermissionDenied => Problem::new(
            ErrorCode::PermissionDenied,
            "Your help-desk role does not allow this. Ask an administrator to do it; nothing was changed.",
        ),
        E::OwnAccount => Problem::new(
            ErrorCode::OwnAccount,
            "You cannot change your own account from the help-desk console. Ask another agent; nothing was changed.",
        ),
        E::CallerNotVerified => Problem::new(
            ErrorCode::CallerNotVerified,
            "Verify the caller before you act: the verification is missing, not finished, or has run out of time. Nothing was changed.",
        ),
        E::CallerVerificationTooWeak => Problem::new(
            ErrorCode::CallerVerificationTooWeak,
            "Date of birth and recovery PIN are not enough for this. Verify the caller with a code sent to them, or in person; nothing was changed.",
        ),
        E::InPersonNeedsKiosk => Problem::new(
            ErrorCode::InPersonNeedsKiosk,
            "You can only confirm that you saw the person with photo ID at an enrolled help-desk kiosk. Use a sent code instead.",
        ),
        E::EnrolmentLinkInvalid => Problem::new(
            ErrorCode::EnrolmentLinkInvalid,
            "This security-key link is unknown, has run out of time or was already used. Ask the help desk for a new one.",
        ),
        E::DateOfBirthUnknown => Problem::new(
            ErrorCode::DateOfBirthUnknown,
            "We have no date of birth on record for you, so a recovery PIN cannot be set. Call the help desk to have your record completed.",
        ),
        E::PersonNotFound => Problem::new(
            ErrorCode::NotFound,
            "There is no one with this username. Check the spelling: the username must be exact.",
        ),
        E::CallerVerificationUnknown => Problem::new(
            ErrorCode::NotFound,
            "This caller verification is unknown, or belongs to another call or agent. Verify the caller again.",
        ),
        E::NotFound => Problem::new(
            ErrorCode::NotFound,
            "You have no device with this id. Refresh your list of devices.",
        ),
        E::PhoneNumber(PhoneNumberError::MobileOnly) => Problem::new(
            ErrorCode::PhoneNumberNotLandline,
            "This is a mobile number. Add a landline here, or set up your mobile with the phone app.",
        )
        .with_field("number"),
        E::PhoneNumber(PhoneNumberError::Extension) => Problem::new(
            ErrorCode::PhoneNumberInvalid,
            "An extension has only digits, up to 10 of them.",
        )
        .with_field("extension"),
        E::PhoneNumber(_) => Problem::new(
            ErrorCode::PhoneNumberInvalid,
            "This is not a phone number we can call. Check it, and include the country code if it is abroad (for example +34 912 345 678).",
        )
        .with_field("number"),
        E::CodeIncorrect { attempts_left } => Problem::new(
            ErrorCode::CodeIncorrect,
            format!(
                "That code is not the one we spoke. Check it and try again ({attempts_left} {} left).",
                if *attempts_left == 1 { "try" } else { "tries" }
            ),
        )
        .with_attempts_left(*attempts_left),
        E::CallerCodeIncorrect { attempts_left } => Problem::new(
            ErrorCode::CodeIncorrect,
            format!(
                "That is not the code we sent. Ask the caller to read it again ({attempts_left} {} left).",
                if *attempts_left == 1 { "try" } else { "tries" }
            ),
        )
        .with_attempts_left(*attempts_left),
        E::CallerCodeOver => Problem::new(
            ErrorCode::VerificationExpired,
            "This code ran out of time or was read back wrong too often. Send the caller a new code, or use another method.",
        ),
        E::VerificationExpired => Problem::new(
            ErrorCode::VerificationExpired,
            "This phone was not verified in time or the code was wrong too often, so it was not added. Add it again to get a new call.",
        ),
        E::ActivationInvalid => Problem::new(
            ErrorCode::ActivationInvalid,
            "This activation link is unknown, expired or already used. Ask for a new one in Recovery Desk.",
        ),
        E::RegistrationInvalid => Problem::new(
            ErrorCode::RegistrationInvalid,
            "This security-key registration is unknown, expired or already finished. Start again.",
        ),
        E::ResyncFailed => Problem::new(
            ErrorCode::ResyncFailed,
            "These codes do not match your token. Press its button again and enter the next codes in the order it shows them.",
        ),
        E::Conflict(what) => Problem::new(ErrorCode::InvalidField, what.clone()),
        E::SecurityKey(error) => security_key_problem(error),
        E::Unsupported(what) => Problem::new(
            ErrorCode::Unsupported,
            format!("Your organisation's MFA system does not support {what}."),
        ),
        E::Misconfigured => Problem::new(
            ErrorCode::ServiceMisconfigured,
            "The recovery service cannot work with your organisation's directory or MFA system as they are set up. Call the help desk; nothing was changed.",
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
            "Something went wrong on our side. Try again, or call the help desk.",
        ),
    }
}

fn security_key_problem(error: &SecurityKeyError) -> Problem {
    match error {
        SecurityKeyError::AlreadyRegistered => Problem::new(
            ErrorCode::SecurityKeyAlreadyRegistered,
            "This security key is already registered to you. Use another key, or keep this one.",
        ),
        SecurityKeyError::ModelNotAllowed => Problem::new(
            ErrorCode::SecurityKeyModelNotAllowed,
            "Your organisation does not accept this model of security key. Ask the help desk which keys you can use.",
        ),
        SecurityKeyError::UserNotVerified => Problem::new(
            ErrorCode::SecurityKeyRejected,
            "Your security key did not confirm its PIN, so it was not added. Start again and enter the key's PIN when asked.",
        ),
        SecurityKeyError::PossiblyCloned => Problem::new(
            ErrorCode::SecurityKeyRejected,
            "This security key's answer looks like it came from a copy of the key. It was not accepted; call the help desk.",
        ),
        SecurityKeyError::StateCorrupt | SecurityKeyError::Config(_) => Problem::new(
            ErrorCode::Internal,
            "Something went wrong on our side. Try again, or call the help desk.",
        ),
        _ => Problem::new(
            ErrorCode::SecurityKeyRejected,
            "The security key's answer could not be accepted, and it was not added. Start again.",
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
            | Self::Recovery(RecoveryError::Locked(Some(retry)))
            | Self::Recovery(RecoveryError::Busy(retry))
            | Self::Recovery(RecoveryError::LimitReached(retry)) => Some(retry.in_seconds),
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
