//! Security keys through privacyIDEA's two-step WebAuthn enrolment (see [`super::webauthn`]).
//! Step 1 leaves a token in `clientwait`; step 2 finishes only the person's own pending token,
//! with the `Origin` header. A registration that is never finished stays in `clientwait` at
//! privacyIDEA (it cannot authenticate) until an admin deletes it.

use recovery_api::{
    authenticator::Authenticator,
    security_key::{RegisterPublicKeyCredential, RegistrationStarted},
};
use reqwest::Method;

use super::{client::Call, error::PiError, provider::PrivacyIdeaProvider, tokens, webauthn};
use crate::{directory::Person, mfa::ProviderError, security_key::SecurityKeyError};

impl PrivacyIdeaProvider {
    /// Step 1: `/token/init type=webauthn`, as creation options for the app.
    pub(super) async fn start_key(
        &self,
        person: &Person,
    ) -> Result<RegistrationStarted, ProviderError> {
        let form = [
            ("type", "webauthn"),
            ("user", person.username.as_str()),
            ("realm", self.realm.as_str()),
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
        let request = &answer.detail["webAuthnRegisterRequest"];
        let serial = request["serialNumber"].as_str().unwrap_or_default();
        let transaction = request["transaction_id"]
            .as_str()
            .or_else(|| answer.detail["transaction_id"].as_str())
            .unwrap_or_default();
        let options = webauthn::creation_options(request)?;
        Ok(RegistrationStarted {
            id: webauthn::registration_id(serial, transaction),
            options,
            origin: self.origin.clone(),
        })
    }

    /// Step 2: the key's answer, for the person's own pending token only.
    pub(super) async fn finish_key(
        &self,
        person: &Person,
        registration_id: &str,
        name: &str,
        credential: &RegisterPublicKeyCredential,
    ) -> Result<Authenticator, ProviderError> {
        let (serial, transaction) = webauthn::split_registration_id(registration_id)
            .ok_or(ProviderError::RegistrationInvalid)?;
        let pending = tokens::owned(&self.client, &person.username, &self.realm, serial)
            .await?
            .filter(|t| {
                t.tokentype.eq_ignore_ascii_case("webauthn") && t.rollout_state == "clientwait"
            })
            .ok_or(ProviderError::RegistrationInvalid)?;
        let enrolment = webauthn::enrolment(credential)?;
        if !webauthn::same_origin(&enrolment.origin, &self.origin) {
            return Err(SecurityKeyError::WrongOrigin.into());
        }
        let name = if name.trim().is_empty() {
            "Security key"
        } else {
            name.trim()
        };
        let form = [
            ("type", "webauthn"),
            ("user", person.username.as_str()),
            ("realm", self.realm.as_str()),
            ("serial", pending.serial.as_str()),
            ("transaction_id", transaction),
            ("clientdata", enrolment.clientdata.as_str()),
            ("regdata", enrolment.regdata.as_str()),
            ("description", name),
        ];
        let call = Call {
            form: &form,
            origin: Some(&enrolment.origin),
            ..Call::default()
        };
        match self
            .client
            .admin(Method::POST, &["token", "init"], call)
            .await
        {
            Ok(_) => {}
            Err(PiError::Refused {
                code, ref message, ..
            }) => {
                tracing::info!(code, %message, "privacyIDEA refused the security key's answer");
                return Err(SecurityKeyError::InvalidCredential.into());
            }
            Err(error) => return Err(error.into()),
        }
        let (_, device) = self.owned(person, serial).await?;
        Ok(device)
    }
}
