//! The one error of the service's flows. Each seam's error folds in with `#[from]`; the HTTP
//! layer maps it to a problem code in one place (`http::problem`).

use recovery_api::fields::FieldError;
use time::OffsetDateTime;

use crate::{
    directory::DirectoryError, mfa::ProviderError, notify::NotifyError, slow_hash::HashError,
};

/// When to try again, absolute (for people) and relative (for `Retry-After`), both read from
/// the service's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAt {
    pub at: OffsetDateTime,
    pub in_seconds: i64,
}

impl RetryAt {
    pub fn new(at: OffsetDateTime, now: OffsetDateTime) -> Self {
        let wait = at - now;
        let rounded_up = wait.whole_seconds() + i64::from(wait.subsec_nanoseconds() > 0);
        Self {
            at,
            in_seconds: rounded_up.max(1),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RecoveryError {
    /// Unknown user, wrong password, wrong date of birth or PIN, bad passcode: one answer.
    #[error("verification failed")]
    VerificationFailed,
    #[error("too many attempts")]
    TooManyAttempts(RetryAt),
    /// A daily cap on notices, calls or texts is reached; nothing was sent or changed.
    #[error("a daily sending limit is reached")]
    LimitReached(RetryAt),
    /// Until the instant, or until the help desk unlocks when `None`.
    #[error("self-service is locked")]
    Locked(Option<RetryAt>),
    /// Too many verifications under way on this service; nothing was charged or checked.
    #[error("the service is busy")]
    Busy(RetryAt),
    #[error("invalid field: {0}")]
    InvalidField(#[from] FieldError),
    #[error("no valid recovery session")]
    SessionInvalid,
    #[error("the recovery session has expired")]
    SessionExpired,
    /// No live help-desk session: missing, unknown, ended, or a recovery session's token.
    #[error("no valid help-desk session")]
    AgentSessionInvalid,
    #[error("the help-desk session has expired")]
    AgentSessionExpired,
    #[error("the kiosk credential is not valid")]
    KioskCredentialInvalid,
    #[error("the enrollment token is not valid")]
    EnrollmentTokenInvalid,
    #[error("the MFA system does not support {0}")]
    Unsupported(&'static str),
    /// The MFA system refuses the service's keys or permissions (details logged there).
    #[error("the MFA system refuses the service's configuration")]
    Misconfigured,
    #[error("binding a new factor needs a recent verification")]
    ReverificationRequired,
    #[error("setting the recovery PIN needs a session opened with a passcode")]
    PasscodeSignInRequired,
    #[error("the recovery PIN is refused: {0}")]
    RecoveryPinRejected(crate::recovery_pin::PinRejection),
    #[error("no date of birth is on record for this person")]
    DateOfBirthUnknown,
    #[error("not found")]
    NotFound,
    /// No one in the directory has the username an agent asked for.
    #[error("no such person")]
    PersonNotFound,
    /// No caller verification with this id for this agent session and person.
    #[error("no such caller verification")]
    CallerVerificationUnknown,
    /// The agent's role does not allow the action.
    #[error("the agent's role does not allow this")]
    PermissionDenied,
    #[error("an agent cannot act on their own account")]
    OwnAccount,
    /// The caller verification is missing, pending, expired, or another agent's or person's.
    #[error("the caller is not verified")]
    CallerNotVerified,
    /// Date of birth + PIN does not allow this action.
    #[error("the caller verification is too weak for this action")]
    CallerVerificationTooWeak,
    #[error("in-person checks need an enrolled kiosk")]
    InPersonNeedsKiosk,
    #[error("the security-key enrolment link is not valid")]
    EnrolmentLinkInvalid,
    #[error("phone number: {0}")]
    PhoneNumber(#[from] crate::phone_number::PhoneNumberError),
    #[error("the code is not correct")]
    CodeIncorrect { attempts_left: u32 },
    #[error("the verification is over")]
    VerificationExpired,
    /// A code sent to a caller was read back wrong.
    #[error("the caller's code is not correct")]
    CallerCodeIncorrect { attempts_left: u32 },
    /// A code sent to a caller ran out of time or of tries.
    #[error("the caller's code is over")]
    CallerCodeOver,
    #[error("the activation link is not valid")]
    ActivationInvalid,
    #[error("the registration is not valid")]
    RegistrationInvalid,
    #[error("the codes do not match the token")]
    ResyncFailed,
    #[error(transparent)]
    SecurityKey(crate::security_key::SecurityKeyError),
    #[error("{0}")]
    Conflict(String),
    #[error("a dependency is unavailable: {0}")]
    Unavailable(String),
    #[error("storage failed")]
    Storage(#[from] sqlx::Error),
    #[error("directory failed")]
    Directory(#[source] DirectoryError),
    #[error("MFA provider failed")]
    Provider(#[source] ProviderError),
    #[error("hashing failed")]
    Hash(#[from] HashError),
    #[error("notification failed")]
    Notify(#[from] NotifyError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<DirectoryError> for RecoveryError {
    fn from(error: DirectoryError) -> Self {
        match error {
            DirectoryError::Storage(e) => Self::Storage(e),
            DirectoryError::Unavailable(why) => Self::Unavailable(why),
            DirectoryError::Misconfigured(why) => {
                tracing::error!(%why, "the directory refuses the service's configuration");
                Self::Misconfigured
            }
            other => Self::Directory(other),
        }
    }
}

impl From<crate::recovery_pin::PinStoreError> for RecoveryError {
    fn from(error: crate::recovery_pin::PinStoreError) -> Self {
        match error {
            crate::recovery_pin::PinStoreError::Storage(e) => Self::Storage(e),
            crate::recovery_pin::PinStoreError::Hash(e) => Self::Hash(e),
        }
    }
}

impl From<ProviderError> for RecoveryError {
    fn from(error: ProviderError) -> Self {
        match error {
            ProviderError::Unsupported(what) => Self::Unsupported(what),
            ProviderError::Unavailable(why) => Self::Unavailable(why),
            ProviderError::Storage(e) => Self::Storage(e),
            ProviderError::NotFound => Self::NotFound,
            ProviderError::CodeIncorrect { attempts_left } => Self::CodeIncorrect { attempts_left },
            ProviderError::CodeRequired => Self::InvalidField(recovery_api::fields::FieldError {
                field: "code",
                message: "Enter the 6 digits the call spoke.".to_owned(),
            }),
            ProviderError::CodeNotUsed => Self::InvalidField(recovery_api::fields::FieldError {
                field: "code",
                message:
                    "This phone is verified by answering the call and pressing a key; send no code."
                        .to_owned(),
            }),
            ProviderError::ThreeCodesNeeded => {
                Self::InvalidField(recovery_api::fields::FieldError {
                    field: "codes",
                    message: "Enter 3 codes in a row from your token.".to_owned(),
                })
            }
            ProviderError::Misconfigured(_) => Self::Misconfigured,
            ProviderError::VerificationExpired => Self::VerificationExpired,
            ProviderError::ActivationInvalid => Self::ActivationInvalid,
            ProviderError::RegistrationInvalid => Self::RegistrationInvalid,
            ProviderError::ResyncFailed => Self::ResyncFailed,
            ProviderError::Conflict(what) => Self::Conflict(what),
            ProviderError::SecurityKey(e) => Self::SecurityKey(e),
            ProviderError::Telephony(crate::telephony::TelephonyError::Unavailable(why)) => {
                Self::Unavailable(why)
            }
            ProviderError::Telephony(crate::telephony::TelephonyError::Misconfigured(why)) => {
                tracing::error!(%why, "telephony is misconfigured");
                Self::Misconfigured
            }
            // The voice or SMS provider refused the number itself.
            ProviderError::Telephony(crate::telephony::TelephonyError::Rejected { .. }) => {
                Self::PhoneNumber(crate::phone_number::PhoneNumberError::Invalid)
            }
            other => Self::Provider(other),
        }
    }
}
