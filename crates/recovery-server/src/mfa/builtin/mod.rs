//! The builtin provider: every second factor in the service's own SQL database.
//! One file per kind of device; this file wires them to the `MfaProvider` seam.

mod authenticators;
mod bypass_codes;
mod hardware_tokens;
mod landline;
mod phone_app;
mod security_keys;

use std::sync::Arc;

use async_trait::async_trait;
use recovery_api::{
    authenticator::Authenticator,
    phone::RemovalReason,
    security_key::{RegisterPublicKeyCredential, RegistrationStarted},
    Secret,
};
use time::{Duration, OffsetDateTime};

pub use authenticators::NewPhone;
pub use hardware_tokens::{read_tokens_csv, NewToken, TokenCsvError};

use super::{
    ActivatedApp, Activation, ActivationTexted, BypassCodeOrigin, IssuedBypassCode, MfaProvider,
    Passcode, PendingPhone, PhoneCheck, ProviderError,
};
use crate::{
    config::DevicePolicy,
    directory::Person,
    phone_number::E164Number,
    sealed::SealingKey,
    security_key::RelyingParty,
    slow_hash::SlowHasher,
    storage::{Database, UnitOfWork},
    telephony::Telephony,
    token::TokenHasher,
};

#[derive(Clone)]
pub struct BuiltinProvider {
    db: Database,
    hasher: SlowHasher,
    tokens: TokenHasher,
    sealing: SealingKey,
    telephony: Arc<dyn Telephony>,
    relying_party: Arc<RelyingParty>,
    policy: DevicePolicy,
    /// Spoken in calls and texts, and the issuer in authenticator apps.
    organisation: String,
}

impl std::fmt::Debug for BuiltinProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuiltinProvider").finish_non_exhaustive()
    }
}

/// What the builtin provider is built from.
pub struct BuiltinParts {
    pub db: Database,
    pub hasher: SlowHasher,
    pub tokens: TokenHasher,
    pub sealing: SealingKey,
    pub telephony: Arc<dyn Telephony>,
    pub relying_party: Arc<RelyingParty>,
    pub policy: DevicePolicy,
    pub organisation: String,
}

impl BuiltinProvider {
    pub fn new(parts: BuiltinParts) -> Self {
        Self {
            db: parts.db,
            hasher: parts.hasher,
            tokens: parts.tokens,
            sealing: parts.sealing,
            telephony: parts.telephony,
            relying_party: parts.relying_party,
            policy: parts.policy,
            organisation: parts.organisation,
        }
    }
}

#[async_trait]
impl MfaProvider for BuiltinProvider {
    async fn authenticators(
        &self,
        person: &Person,
        now: OffsetDateTime,
    ) -> Result<Vec<Authenticator>, ProviderError> {
        self.list(person, now).await
    }

    async fn issue_bypass_code(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        origin: BypassCodeOrigin,
        valid_for: Duration,
        now: OffsetDateTime,
    ) -> Result<IssuedBypassCode, ProviderError> {
        self.issue_code(work, person, origin, valid_for, now).await
    }

    async fn redeem_passcode(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        passcode: &Passcode,
        now: OffsetDateTime,
    ) -> Result<bool, ProviderError> {
        self.redeem(work, person, passcode, now).await
    }

    async fn add_landline(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        number: &E164Number,
        extension: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<PendingPhone, ProviderError> {
        self.add_landline_phone(work, person, number, extension, now)
            .await
    }

    async fn verify_phone(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        phone_id: &str,
        code: Option<&Secret>,
        now: OffsetDateTime,
    ) -> Result<PhoneCheck, ProviderError> {
        let code = code.ok_or(ProviderError::CodeRequired)?;
        let phone = self
            .verify_pending_phone(work, person, phone_id, code, now)
            .await?;
        Ok(PhoneCheck::Verified(phone))
    }

    async fn create_activation(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        phone_id: &str,
        now: OffsetDateTime,
    ) -> Result<Activation, ProviderError> {
        Ok(self.new_activation(work, person, phone_id, now).await?)
    }

    async fn send_activation_sms(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        phone_id: &str,
        now: OffsetDateTime,
    ) -> Result<ActivationTexted, ProviderError> {
        self.text_activation(work, person, phone_id, now).await
    }

    async fn redeem_activation(
        &self,
        work: &mut UnitOfWork,
        code: &Secret,
        now: OffsetDateTime,
    ) -> Result<ActivatedApp, ProviderError> {
        self.redeem_activation_code(work, code, now).await
    }

    async fn start_security_key_registration(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        now: OffsetDateTime,
    ) -> Result<RegistrationStarted, ProviderError> {
        self.start_key_registration(work, person, now).await
    }

    async fn finish_security_key_registration(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        registration_id: &str,
        name: &str,
        credential: &RegisterPublicKeyCredential,
        now: OffsetDateTime,
    ) -> Result<Authenticator, ProviderError> {
        self.finish_key_registration(work, person, registration_id, name, credential, now)
            .await
    }

    async fn rename_authenticator(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        id: &str,
        name: &str,
    ) -> Result<Authenticator, ProviderError> {
        self.rename(work, person, id, name).await
    }

    async fn resync_hardware_token(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        id: &str,
        codes: &[Secret],
    ) -> Result<Authenticator, ProviderError> {
        self.resync_token(work, person, id, codes).await
    }

    async fn remove_authenticator(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        id: &str,
        reason: RemovalReason,
        now: OffsetDateTime,
    ) -> Result<Authenticator, ProviderError> {
        self.remove(work, person, id, reason, now).await
    }
}
