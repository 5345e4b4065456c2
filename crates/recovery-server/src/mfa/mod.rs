//! The `MfaProvider` seam: the system of record for a person's second factors.
//!
//! The builtin provider keeps them in SQL; Duo and privacyIDEA are further implementations.
//! A provider that cannot do something answers [`ProviderError::Unsupported`], which the app
//! turns into the right next step instead of an error.

pub mod builtin;
mod bypass_code;

use async_trait::async_trait;
use recovery_api::authenticator::Authenticator;
use time::{Duration, OffsetDateTime};

pub use builtin::BuiltinProvider;
pub use bypass_code::{BypassCode, Passcode};

use crate::directory::Person;

/// Who asked for a bypass code: the person themself, or the help desk for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BypassCodeOrigin {
    /// Issued in a recovery session; a new one revokes the previous self-service code.
    SelfService,
    /// Issued by the help desk; never revoked by self-service.
    HelpDesk,
}

impl BypassCodeOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SelfService => "self_service",
            Self::HelpDesk => "help_desk",
        }
    }
}

#[derive(Debug)]
pub struct IssuedBypassCode {
    pub code: BypassCode,
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("the MFA system does not support {0}")]
    Unsupported(&'static str),
    #[error("the MFA system cannot be reached: {0}")]
    Unavailable(String),
    #[error("MFA storage failed")]
    Storage(#[from] sqlx::Error),
    #[error("hashing failed")]
    Hash(#[from] crate::slow_hash::HashError),
}

#[async_trait]
pub trait MfaProvider: Send + Sync {
    async fn authenticators(&self, person: &Person) -> Result<Vec<Authenticator>, ProviderError>;

    async fn issue_bypass_code(
        &self,
        person: &Person,
        origin: BypassCodeOrigin,
        valid_for: Duration,
        now: OffsetDateTime,
    ) -> Result<IssuedBypassCode, ProviderError>;

    /// Checks a passcode and consumes it: of any number of concurrent redemptions of one code,
    /// exactly one returns `true`.
    async fn redeem_passcode(
        &self,
        person: &Person,
        passcode: &Passcode,
        now: OffsetDateTime,
    ) -> Result<bool, ProviderError>;
}
