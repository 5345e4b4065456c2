//! What can go wrong talking to privacyIDEA, typed by its numeric error code and HTTP status
//! (`privacyidea/lib/error.py`, `map_error_to_code`). privacyIDEA's message texts stay in the
//! admin log (`Refused::message` is not in `Display`); no variant carries a password, a JWT
//! or a code.

use crate::mfa::ProviderError;

#[derive(Debug, thiserror::Error)]
pub enum PiError {
    /// 4031: the service's admin user, password or API key is wrong.
    #[error("privacyIDEA refused the service's admin credentials (code 4031)")]
    WrongCredentials,
    /// 4304/4305: the admin's JWT cannot be used any more; signing in again fixes it.
    #[error("the privacyIDEA admin session expired")]
    SessionExpired,
    /// 303 (policy), 4306 (missing right), 4032/4033, or another 401/403: the service's admin
    /// lacks a right or a policy is missing.
    #[error("privacyIDEA refused the service's admin this action (code {code}); check its admin and enrollment policies")]
    NotAllowed { code: i64 },
    /// 601 or HTTP 404: no such token (or user).
    #[error("privacyIDEA has no such object")]
    NotFound,
    /// 2012: the token has no owner (a lost-token call on an unassigned token).
    #[error("the privacyIDEA token has no owner (code 2012)")]
    Unassigned,
    /// Any other refusal (905 parameter, 904 user, 301 token admin, …).
    #[error("privacyIDEA refused the request (code {code}, HTTP {status})")]
    Refused {
        code: i64,
        status: u16,
        message: String,
    },
    /// Network failure, timeout, 5xx.
    #[error("privacyIDEA cannot be reached: {0}")]
    Unavailable(String),
    /// An answer that is not privacyIDEA's envelope or not the expected shape.
    #[error("privacyIDEA's answer was not understood: {0}")]
    Protocol(String),
}

impl PiError {
    pub(super) fn from_failure(status: u16, code: i64, message: String) -> Self {
        match (code, status) {
            (4031, _) => Self::WrongCredentials,
            (4304 | 4305, _) => Self::SessionExpired,
            (303 | 4306 | 4032 | 4033, _) | (_, 401 | 403) => Self::NotAllowed { code },
            (601, _) | (_, 404) => Self::NotFound,
            (2012, _) => Self::Unassigned,
            (_, 500..=599) => Self::Unavailable(format!("privacyIDEA answered HTTP {status}")),
            _ => Self::Refused {
                code,
                status,
                message,
            },
        }
    }
}

/// privacyIDEA's failures, as the person's next step needs them; its words stay in the log.
impl From<PiError> for ProviderError {
    fn from(error: PiError) -> Self {
        match error {
            PiError::WrongCredentials | PiError::NotAllowed { .. } | PiError::SessionExpired => {
                tracing::error!(%error, "privacyIDEA refused the service's configuration");
                ProviderError::Misconfigured(error.to_string())
            }
            PiError::NotFound | PiError::Unassigned => ProviderError::NotFound,
            PiError::Refused {
                code,
                status,
                ref message,
            } => {
                tracing::warn!(code, status, %message, "privacyIDEA refused a request");
                ProviderError::Unavailable(error.to_string())
            }
            PiError::Unavailable(_) | PiError::Protocol(_) => {
                tracing::warn!(%error, "privacyIDEA is not answering as expected");
                ProviderError::Unavailable(error.to_string())
            }
        }
    }
}
