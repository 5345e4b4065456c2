//! What can go wrong in the app, as one enum, and the one place it becomes what the web view
//! sees: `{code, field, retryAt, attemptsLeft}`. The UI maps each code to a message and a next
//! step in the person's language.

use recovery_api::{ErrorCode, Problem};
use serde::Serialize;
use time::OffsetDateTime;

use crate::{security_key::KeyError, service_client::ClientError};

#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// The service refused; its problem document says why.
    #[error("the service refused: {}", .0.code)]
    Service(Box<Problem>),
    #[error("the recovery service cannot be reached")]
    Unreachable,
    /// The app refused an input before sending it.
    #[error("the input `{field}` is not valid")]
    InvalidInput { field: &'static str },
    /// The new recovery PIN and its confirmation differ; nothing was sent.
    #[error("the two recovery PINs typed differ")]
    RecoveryPinMismatch,
    /// No sign-in in progress, or no session: the person starts again.
    #[error("not signed in")]
    NotSignedIn,
    #[error("copying is turned off on this computer")]
    CopyNotAllowed,
    #[error("only the demo service has an inbox")]
    DemoOnly,
    /// A help-desk command while the app is not in agent mode.
    #[error("the app is not in help-desk mode")]
    HelpDeskOnly,
    /// A help-desk action before any person was looked up in this call.
    #[error("no person is open: find the caller's account first")]
    NoPerson,
    /// A call that must be answered has not been answered yet.
    #[error("the call has not been answered yet")]
    CallNotAnswered,
    /// Registering a security key failed at the key (or the service refused the key).
    #[error("security key: {0}")]
    SecurityKey(KeyError),
    #[error("{0}")]
    Internal(String),
}

impl From<ClientError> for FlowError {
    fn from(error: ClientError) -> Self {
        match error {
            ClientError::Problem(problem) => Self::Service(problem),
            ClientError::Unreachable(error) => {
                tracing::warn!(%error, "the recovery service cannot be reached");
                Self::Unreachable
            }
            ClientError::Unexpected { status } => {
                tracing::warn!(%status, "unexpected answer from the recovery service");
                Self::Internal(format!("unexpected answer ({status})"))
            }
        }
    }
}

impl FlowError {
    /// The service's problem code, when the service refused.
    pub fn service_code(&self) -> Option<ErrorCode> {
        match self {
            Self::Service(problem) => Some(problem.code),
            _ => None,
        }
    }

    /// Whether the session is gone, so the state holding it must go too.
    pub fn ends_session(&self) -> bool {
        matches!(
            self.service_code(),
            Some(ErrorCode::SessionExpired | ErrorCode::SessionInvalid)
        )
    }
}

/// What the web view receives for any failed command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppError {
    pub code: String,
    pub field: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub retry_at: Option<OffsetDateTime>,
    pub attempts_left: Option<u32>,
}

impl AppError {
    fn code(code: &str) -> Self {
        Self {
            code: code.to_owned(),
            field: None,
            retry_at: None,
            attempts_left: None,
        }
    }
}

impl From<&FlowError> for AppError {
    fn from(error: &FlowError) -> Self {
        match error {
            FlowError::Service(problem) => Self {
                code: problem.code.as_str().to_owned(),
                field: problem.field.clone(),
                retry_at: problem.retry_at,
                attempts_left: problem.attempts_left,
            },
            FlowError::Unreachable => Self::code("service_unreachable"),
            FlowError::InvalidInput { field } => Self {
                field: Some((*field).to_owned()),
                ..Self::code("invalid_input")
            },
            FlowError::RecoveryPinMismatch => Self {
                field: Some("confirmation".to_owned()),
                ..Self::code("recovery_pin_mismatch")
            },
            FlowError::NotSignedIn => Self::code("not_signed_in"),
            FlowError::CopyNotAllowed => Self::code("copy_not_allowed"),
            FlowError::DemoOnly => Self::code("demo_only"),
            FlowError::HelpDeskOnly => Self::code("help_desk_only"),
            FlowError::NoPerson => Self::code("no_person"),
            FlowError::CallNotAnswered => Self::code("call_not_answered"),
            FlowError::SecurityKey(error) => match error {
                KeyError::PinInvalid { retries_left } => Self {
                    attempts_left: Some(*retries_left),
                    ..Self::code(key_error_code(error))
                },
                _ => Self::code(key_error_code(error)),
            },
            FlowError::Internal(_) => Self::code("internal"),
        }
    }
}

/// The web view's code for each way a security-key registration fails.
fn key_error_code(error: &KeyError) -> &'static str {
    match error {
        KeyError::NoKey => "key_not_found",
        KeyError::TooManyKeys => "key_too_many",
        KeyError::NoPermission => "key_no_permission",
        KeyError::PinNotSet => "key_pin_not_set",
        KeyError::PinInvalid { .. } => "key_pin_invalid",
        KeyError::PinBlockedForInsertion => "key_pin_blocked_until_reinserted",
        KeyError::PinBlocked => "key_pin_blocked",
        KeyError::Timeout => "key_timeout",
        KeyError::Busy => "key_busy",
        KeyError::Cancelled => "key_cancelled",
        KeyError::AlreadyRegistered => "key_already_registered",
        KeyError::ModelNotAllowed => "key_model_not_allowed",
        KeyError::NotRegistered => "key_not_registered",
        KeyError::Unsupported => "key_unsupported",
    }
}

impl From<FlowError> for AppError {
    fn from(error: FlowError) -> Self {
        Self::from(&error)
    }
}
