//! Each recovery flow, done at privacyIDEA. Device ids are token serials; every serial is
//! checked against the person's own tokens (user and realm) first, and every call that changes
//! a token names its serial: privacyIDEA applies a call with only a user to all of that
//! user's tokens.
//!
//! privacyIDEA cannot join the flow's transaction. A crash between privacyIDEA's answer and the
//! flow's commit leaves privacyIDEA changed without an audit record here; what that means is
//! said per flow.

use async_trait::async_trait;
use recovery_api::{
    authenticator::{Authenticator, AuthenticatorKind, AuthenticatorStatus},
    phone::RemovalReason,
    security_key::{RegisterPublicKeyCredential, RegistrationStarted},
    Secret,
};
use reqwest::Method;
use time::{Duration, OffsetDateTime};

use super::{
    bypass_codes,
    client::{Call, PiClient},
    config::PrivacyIdeaConfig,
    error::PiError,
    tokens::{self, PiToken},
};
use crate::{
    config::DevicePolicy,
    directory::Person,
    mfa::{
        ActivatedApp, Activation, ActivationTexted, BypassCode, BypassCodeOrigin, IssuedBypassCode,
        MfaProvider, Passcode, PendingPhone, PhoneCheck, ProviderError,
    },
    phone_number::E164Number,
    storage::UnitOfWork,
};

const LANDLINES: &str = "adding a landline here; ask the help desk to enroll a phone for you";
const TEXTED_LINKS: &str = "texting an activation link; show the QR code and scan it instead";

#[derive(Debug, Clone)]
pub struct PrivacyIdeaProvider {
    pub(super) client: PiClient,
    pub(super) realm: String,
    /// The origin security keys must report (`webauthn_origin`).
    pub(super) origin: String,
    policy: DevicePolicy,
}

impl PrivacyIdeaProvider {
    pub fn new(client: PiClient, config: &PrivacyIdeaConfig, policy: DevicePolicy) -> Self {
        Self {
            client,
            realm: config.realm.clone(),
            origin: config.origin(),
            policy,
        }
    }

    /// The person's token with this serial, as a device; someone else's is `NotFound`.
    pub(super) async fn owned(
        &self,
        person: &Person,
        serial: &str,
    ) -> Result<(PiToken, Authenticator), ProviderError> {
        let token = tokens::owned(&self.client, &person.username, &self.realm, serial)
            .await?
            .ok_or(ProviderError::NotFound)?;
        let device = token.authenticator().ok_or(ProviderError::NotFound)?;
        Ok((token, device))
    }

    async fn post(
        &self,
        segments: &[&str],
        form: &[(&str, &str)],
    ) -> Result<serde_json::Value, PiError> {
        let answer = self
            .client
            .admin(
                Method::POST,
                segments,
                Call {
                    form,
                    ..Call::default()
                },
            )
            .await?;
        Ok(answer.value)
    }
}

#[async_trait]
impl MfaProvider for PrivacyIdeaProvider {
    async fn authenticators(
        &self,
        person: &Person,
        _now: OffsetDateTime,
    ) -> Result<Vec<Authenticator>, ProviderError> {
        match tokens::list(&self.client, &person.username, &self.realm, &[]).await {
            Ok(listed) => Ok(listed.iter().filter_map(PiToken::authenticator).collect()),
            // Someone privacyIDEA does not know has no devices.
            Err(PiError::NotFound) => Ok(Vec::new()),
            Err(PiError::Refused { code: 904, .. }) => Ok(Vec::new()),
            Err(error) => Err(error.into()),
        }
    }

    /// A `registration` token (see `bypass_codes`). A crash before the flow's commit leaves a
    /// code at privacyIDEA that was never shown and expires on its own.
    async fn issue_bypass_code(
        &self,
        _work: &mut UnitOfWork,
        person: &Person,
        origin: BypassCodeOrigin,
        valid_for: Duration,
        now: OffsetDateTime,
    ) -> Result<IssuedBypassCode, ProviderError> {
        let minted = bypass_codes::issue(
            &self.client,
            &person.username,
            &self.realm,
            origin,
            valid_for,
            now,
        )
        .await?;
        Ok(IssuedBypassCode {
            code: BypassCode::from_provider(minted.code),
            expires_at: minted.expires_at,
        })
    }

    /// `/validate/check`: privacyIDEA decides, and it consumes registration codes and OTPs
    /// itself, so of concurrent redemptions only one succeeds. A crash before the commit
    /// leaves the code spent with no session here; the person asks for a new one.
    async fn redeem_passcode(
        &self,
        _work: &mut UnitOfWork,
        person: &Person,
        passcode: &Passcode,
        _now: OffsetDateTime,
    ) -> Result<bool, ProviderError> {
        let form = [
            ("user", person.username.as_str()),
            ("realm", self.realm.as_str()),
            ("pass", passcode.digits().expose()),
        ];
        let call = Call {
            form: &form,
            ..Call::default()
        };
        match self
            .client
            .public(Method::POST, &["validate", "check"], call)
            .await
        {
            Ok(answer) => Ok(answer.value.as_bool() == Some(true)),
            Err(PiError::NotFound | PiError::Refused { code: 904, .. }) => Ok(false),
            Err(error) => Err(error.into()),
        }
    }

    async fn add_landline(
        &self,
        _work: &mut UnitOfWork,
        _person: &Person,
        _number: &E164Number,
        _extension: Option<&str>,
        _now: OffsetDateTime,
    ) -> Result<PendingPhone, ProviderError> {
        Err(ProviderError::Unsupported(LANDLINES))
    }

    async fn verify_phone(
        &self,
        _work: &mut UnitOfWork,
        _person: &Person,
        _phone_id: &str,
        _code: Option<&Secret>,
        _now: OffsetDateTime,
    ) -> Result<PhoneCheck, ProviderError> {
        Err(ProviderError::Unsupported(LANDLINES))
    }

    /// A new TOTP token at privacyIDEA (server-made key) whose `otpauth://` URI is the QR code
    /// to scan, and the old phone's token disabled. The QR code *is* the key, not a link: it
    /// works once scanned, for as long as the token lives, so the screen shows it only for
    /// `activation_minutes`. A crash before the commit leaves the new token enrolled and the
    /// old one disabled without an audit record here (privacyIDEA's own audit has both).
    async fn create_activation(
        &self,
        _work: &mut UnitOfWork,
        person: &Person,
        phone_id: &str,
        now: OffsetDateTime,
    ) -> Result<Activation, ProviderError> {
        let (old, device) = self.owned(person, phone_id).await?;
        // A phone already replaced (disabled) gets no second key: one live key per phone.
        if !old.tokentype.eq_ignore_ascii_case("totp")
            || device.status != AuthenticatorStatus::Active
        {
            return Err(ProviderError::NotFound);
        }
        let form = [
            ("type", "totp"),
            ("genkey", "1"),
            ("user", person.username.as_str()),
            ("realm", self.realm.as_str()),
            ("description", "Authenticator app (new phone)"),
        ];
        let answer = self
            .client
            .admin(
                Method::POST,
                &["token", "init"],
                Call {
                    form: &form,
                    ..Call::default()
                },
            )
            .await?;
        let (Some(uri), Some(serial)) = (
            answer.detail["googleurl"]["value"].as_str(),
            answer.detail["serial"].as_str(),
        ) else {
            return Err(PiError::Protocol("TOTP enrolment gave no otpauth URI".to_owned()).into());
        };
        if answer.detail["rollout_state"] == "verify" {
            // `verify_enrollment` would keep the token unusable until a code comes back, and
            // this flow has no step for that.
            let _ = self
                .client
                .admin(Method::DELETE, &["token", serial], Call::default())
                .await;
            return Err(ProviderError::Misconfigured(
                "privacyIDEA's verify_enrollment policy covers TOTP".to_owned(),
            ));
        }
        let url = Secret::new(uri);
        if let Err(error) = self.post(&["token", "disable", &old.serial], &[]).await {
            let _ = self
                .client
                .admin(Method::DELETE, &["token", serial], Call::default())
                .await;
            return Err(error.into());
        }
        Ok(Activation {
            url,
            expires_at: now + self.policy.activation_time(),
        })
    }

    async fn send_activation_sms(
        &self,
        _work: &mut UnitOfWork,
        _person: &Person,
        _phone_id: &str,
        _now: OffsetDateTime,
    ) -> Result<ActivationTexted, ProviderError> {
        Err(ProviderError::Unsupported(TEXTED_LINKS))
    }

    async fn redeem_activation(
        &self,
        _work: &mut UnitOfWork,
        _code: &Secret,
        _now: OffsetDateTime,
    ) -> Result<ActivatedApp, ProviderError> {
        // The QR code holds the key itself; no link ever comes back here.
        Err(ProviderError::ActivationInvalid)
    }

    async fn start_security_key_registration(
        &self,
        _work: &mut UnitOfWork,
        person: &Person,
        _now: OffsetDateTime,
    ) -> Result<RegistrationStarted, ProviderError> {
        self.start_key(person).await
    }

    async fn finish_security_key_registration(
        &self,
        _work: &mut UnitOfWork,
        person: &Person,
        registration_id: &str,
        name: &str,
        credential: &RegisterPublicKeyCredential,
        _now: OffsetDateTime,
    ) -> Result<Authenticator, ProviderError> {
        self.finish_key(person, registration_id, name, credential)
            .await
    }

    async fn rename_authenticator(
        &self,
        _work: &mut UnitOfWork,
        person: &Person,
        id: &str,
        name: &str,
    ) -> Result<Authenticator, ProviderError> {
        let (token, device) = self.owned(person, id).await?;
        self.post(
            &["token", "description", &token.serial],
            &[("description", name)],
        )
        .await?;
        Ok(Authenticator {
            name: name.to_owned(),
            ..device
        })
    }

    /// `/token/resync` with the first two codes (privacyIDEA needs two in a row).
    async fn resync_hardware_token(
        &self,
        _work: &mut UnitOfWork,
        person: &Person,
        id: &str,
        codes: &[Secret],
    ) -> Result<Authenticator, ProviderError> {
        let (token, device) = self.owned(person, id).await?;
        if device.kind != AuthenticatorKind::HardwareToken {
            return Err(ProviderError::NotFound);
        }
        let [first, second, ..] = codes else {
            return Err(ProviderError::ThreeCodesNeeded);
        };
        let form = [
            ("serial", token.serial.as_str()),
            ("otp1", first.expose()),
            ("otp2", second.expose()),
        ];
        match self.post(&["token", "resync"], &form).await?.as_bool() {
            Some(true) => Ok(device),
            _ => Err(ProviderError::ResyncFailed),
        }
    }

    /// `/token/revoke/<serial>`: disabled and locked for good, its record kept. A crash before
    /// the commit leaves it revoked without an audit record here; privacyIDEA's audit has it.
    async fn remove_authenticator(
        &self,
        _work: &mut UnitOfWork,
        person: &Person,
        id: &str,
        _reason: RemovalReason,
        _now: OffsetDateTime,
    ) -> Result<Authenticator, ProviderError> {
        let (token, device) = self.owned(person, id).await?;
        self.post(&["token", "revoke", &token.serial], &[]).await?;
        Ok(Authenticator {
            status: AuthenticatorStatus::Disabled,
            ..device
        })
    }
}
