//! The `MfaProvider` seam: the system of record for a person's second factors.
//!
//! The builtin provider keeps them in SQL; Duo and privacyIDEA are further implementations.
//! A provider that cannot do something answers [`ProviderError::Unsupported`], which the app
//! turns into the right next step instead of an error.

pub mod builtin;
mod bypass_code;
pub mod duo;
pub mod privacyidea;

use async_trait::async_trait;
use recovery_api::{
    authenticator::Authenticator,
    phone::{CodeDelivery, RemovalReason},
    security_key::{RegisterPublicKeyCredential, RegistrationStarted},
    Secret,
};
use time::{Duration, OffsetDateTime};

pub use builtin::BuiltinProvider;
pub use bypass_code::{BypassCode, Passcode};

use crate::{
    directory::{Person, PersonId},
    otp::OtpSecret,
    phone_number::E164Number,
    sealed::SealError,
    security_key::SecurityKeyError,
    storage::UnitOfWork,
    telephony::TelephonyError,
};

/// Who asked for a bypass code: the person themself, or the help desk for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BypassCodeOrigin {
    /// Issued in a recovery session; a new one revokes the previous self-service code.
    SelfService,
    /// Issued by the help desk; a new one revokes the previous help-desk code (builtin provider),
    /// and self-service never revokes it.
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

/// A landline waiting to be proven.
#[derive(Debug, Clone)]
pub struct PendingPhone {
    pub id: String,
    pub number_hint: String,
    pub expires_at: OffsetDateTime,
    pub delivery: CodeDelivery,
}

/// Where a phone's proof stands.
#[derive(Debug, Clone)]
pub enum PhoneCheck {
    Verified(Authenticator),
    /// The call is not answered yet; check again shortly.
    Waiting(Authenticator),
}

/// A single-use link that gives a new phone the phone app.
#[derive(Debug)]
pub struct Activation {
    pub url: Secret,
    pub expires_at: OffsetDateTime,
}

/// An activation link sent by text message.
#[derive(Debug, Clone)]
pub struct ActivationTexted {
    pub expires_at: OffsetDateTime,
    /// The last digits of the number it went to.
    pub number_hint: String,
}

/// A redeemed activation: the new TOTP key of the phone's app.
#[derive(Debug)]
pub struct ActivatedApp {
    pub person_id: PersonId,
    pub phone_id: String,
    pub secret: OtpSecret,
}

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// What is not supported, to end "… does not support {0}." (say "here" where it helps).
    #[error("the MFA system does not support {0}")]
    Unsupported(&'static str),
    #[error("no such device for this person")]
    NotFound,
    #[error("the code is not correct")]
    CodeIncorrect { attempts_left: u32 },
    #[error("this phone is verified with the code the call speaks")]
    CodeRequired,
    #[error("this phone is verified by answering the call; there is no code")]
    CodeNotUsed,
    #[error("the MFA system needs three codes in a row")]
    ThreeCodesNeeded,
    /// The MFA system refuses the service's keys or permissions; details are in the log.
    #[error("the MFA system refuses the service's configuration: {0}")]
    Misconfigured(String),
    #[error("the verification is over")]
    VerificationExpired,
    #[error("the activation link is not valid")]
    ActivationInvalid,
    #[error("the registration is not valid")]
    RegistrationInvalid,
    #[error("the codes do not match the token")]
    ResyncFailed,
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    SecurityKey(#[from] SecurityKeyError),
    #[error(transparent)]
    Telephony(#[from] TelephonyError),
    #[error("a sealed secret cannot be opened")]
    Sealed(#[from] SealError),
    #[error("the MFA system cannot be reached: {0}")]
    Unavailable(String),
    #[error("MFA storage failed")]
    Storage(#[from] sqlx::Error),
    #[error("hashing failed")]
    Hash(#[from] crate::slow_hash::HashError),
}

/// What the service asks of the system of record. Device ids are the provider's; a device
/// that is not the person's is [`ProviderError::NotFound`], never someone else's.
///
/// Every method that changes state takes the flow's [`UnitOfWork`]: the provider writes its
/// local rows there, and the flow adds its audit record (and at sign-in the session) and
/// commits them together, so a crash leaves either all of them or none. A provider does its
/// slow work (hashing) and its reads before its first write to `work`, never while it holds
/// the transaction, and does not write through its own pool connections after that write.
/// A remote system of record (Duo) cannot join the transaction: its doc says what a crash
/// between its answer and the commit leaves.
#[async_trait]
pub trait MfaProvider: Send + Sync {
    async fn authenticators(
        &self,
        person: &Person,
        now: OffsetDateTime,
    ) -> Result<Vec<Authenticator>, ProviderError>;

    async fn issue_bypass_code(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        origin: BypassCodeOrigin,
        valid_for: Duration,
        now: OffsetDateTime,
    ) -> Result<IssuedBypassCode, ProviderError>;

    /// Checks a passcode and consumes it: of any number of concurrent redemptions of one code,
    /// exactly one returns `true`.
    async fn redeem_passcode(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        passcode: &Passcode,
        now: OffsetDateTime,
    ) -> Result<bool, ProviderError>;

    /// Adds a landline as pending and places the call that proves it.
    async fn add_landline(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        number: &E164Number,
        extension: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<PendingPhone, ProviderError>;

    /// Checks the proof: the spoken code for `voice_call`, none for `answer_call`.
    async fn verify_phone(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        phone_id: &str,
        code: Option<&Secret>,
        now: OffsetDateTime,
    ) -> Result<PhoneCheck, ProviderError>;

    async fn create_activation(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        phone_id: &str,
        now: OffsetDateTime,
    ) -> Result<Activation, ProviderError>;

    /// Texts a new activation link to the phone; returns it and the number's hint.
    async fn send_activation_sms(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        phone_id: &str,
        now: OffsetDateTime,
    ) -> Result<ActivationTexted, ProviderError>;

    /// Redeems an activation link (providers whose links point elsewhere never see this).
    async fn redeem_activation(
        &self,
        work: &mut UnitOfWork,
        code: &Secret,
        now: OffsetDateTime,
    ) -> Result<ActivatedApp, ProviderError>;

    async fn start_security_key_registration(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        now: OffsetDateTime,
    ) -> Result<RegistrationStarted, ProviderError>;

    async fn finish_security_key_registration(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        registration_id: &str,
        name: &str,
        credential: &RegisterPublicKeyCredential,
        now: OffsetDateTime,
    ) -> Result<Authenticator, ProviderError>;

    async fn rename_authenticator(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        id: &str,
        name: &str,
    ) -> Result<Authenticator, ProviderError>;

    /// Moves a hardware token's counter to where 2 or 3 consecutive codes say it is.
    async fn resync_hardware_token(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        id: &str,
        codes: &[Secret],
    ) -> Result<Authenticator, ProviderError>;

    /// Disables the device at once.
    async fn remove_authenticator(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        id: &str,
        reason: RemovalReason,
        now: OffsetDateTime,
    ) -> Result<Authenticator, ProviderError>;
}
