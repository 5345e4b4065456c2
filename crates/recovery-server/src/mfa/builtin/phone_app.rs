//! Reactivating the phone app ("I have a new phone"): a single-use activation link of 128
//! random bits, valid minutes, shown as a QR code or texted. Redeeming it gives the new phone
//! a fresh TOTP key (standard `otpauth://` enrolment, any authenticator app) and retires the
//! old one.

use recovery_api::Secret;
use sqlx::Row;
use time::OffsetDateTime;
use uuid::Uuid;

use super::BuiltinProvider;
use crate::{
    clock::to_unix,
    directory::{Person, PersonId},
    mfa::{ActivatedApp, Activation, ActivationTexted, ProviderError},
    otp::OtpSecret,
    phone_number::E164Number,
    storage::UnitOfWork,
    token,
};

const PURPOSE: &str = "phone-activation";

impl BuiltinProvider {
    /// The phone's number and a fresh link code; nothing is written yet.
    async fn prepare_activation(
        &self,
        person: &Person,
        phone_id: &str,
    ) -> Result<(Secret, E164Number), ProviderError> {
        let phone = self.owned(person, phone_id).await?;
        let (status, phone_type): (String, Option<String>) =
            (phone.try_get("status")?, phone.try_get("phone_type")?);
        let kind: String = phone.try_get("kind")?;
        if kind != "phone" || status != "active" || phone_type.as_deref() != Some("mobile") {
            return Err(ProviderError::NotFound);
        }
        let number = E164Number::from_stored(
            phone
                .try_get::<Option<String>, _>("phone_number")?
                .unwrap_or_default(),
        );
        Ok((token::generate_bytes(16), number))
    }

    /// Stores the link's hash in `work`; only the newest link works.
    async fn store_activation(
        &self,
        work: &mut UnitOfWork,
        phone_id: &str,
        code: &Secret,
        now: OffsetDateTime,
    ) -> Result<Activation, ProviderError> {
        let expires_at = now + self.policy.activation_time();
        let tx = work.conn().await?;
        sqlx::query("UPDATE phone_activations SET expires_at = $1 WHERE phone_id = $2 AND used_at IS NULL AND expires_at > $1")
            .bind(to_unix(now))
            .bind(phone_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO phone_activations (id, phone_id, code_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(phone_id)
        .bind(self.tokens.hash(PURPOSE, code.expose()))
        .bind(to_unix(now))
        .bind(to_unix(expires_at))
        .execute(&mut *tx)
        .await?;
        let url = Secret::new(format!(
            "{}/v1/activations/{}",
            self.policy.public_url.trim_end_matches('/'),
            code.expose()
        ));
        Ok(Activation { url, expires_at })
    }

    pub(super) async fn new_activation(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        phone_id: &str,
        now: OffsetDateTime,
    ) -> Result<Activation, ProviderError> {
        let (code, _) = self.prepare_activation(person, phone_id).await?;
        self.store_activation(work, phone_id, &code, now).await
    }

    /// Texts the link before storing it: a crash in between leaves a text whose link does not
    /// work, never a working link without its audit record. The text goes out before the
    /// transaction begins, so a slow SMS provider holds no lock.
    pub(super) async fn text_activation(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        phone_id: &str,
        now: OffsetDateTime,
    ) -> Result<ActivationTexted, ProviderError> {
        let (code, number) = self.prepare_activation(person, phone_id).await?;
        let url = format!(
            "{}/v1/activations/{}",
            self.policy.public_url.trim_end_matches('/'),
            code.expose()
        );
        let body = Secret::new(format!(
            "{}: open this link on your new phone to set up your authenticator app. It works once, for {} minutes: {}",
            self.organisation,
            self.policy.activation_time().whole_minutes(),
            url
        ));
        match self.telephony.send_sms(number.as_str(), &body).await {
            Ok(()) => {}
            // The number was good enough for the phone app; a refusal here is the provider's.
            Err(crate::telephony::TelephonyError::Rejected { status, code, .. }) => {
                tracing::warn!(
                    status,
                    ?code,
                    "the SMS provider refused the activation text"
                );
                return Err(ProviderError::Unavailable(
                    "the SMS provider refused the text".to_owned(),
                ));
            }
            Err(error) => return Err(error.into()),
        }
        let activation = self.store_activation(work, phone_id, &code, now).await?;
        Ok(ActivationTexted {
            expires_at: activation.expires_at,
            number_hint: number.hint(),
        })
    }

    pub(super) async fn redeem_activation_code(
        &self,
        work: &mut UnitOfWork,
        code: &Secret,
        now: OffsetDateTime,
    ) -> Result<ActivatedApp, ProviderError> {
        let code_hash = self.tokens.hash(PURPOSE, code.expose());
        let secret = OtpSecret::generate();
        let sealed = self.sealing.seal(secret.bytes())?;
        let tx = work.conn().await?;
        let claimed = sqlx::query(
            "UPDATE phone_activations SET used_at = $1 WHERE code_hash = $2 \
             AND used_at IS NULL AND expires_at > $1 RETURNING phone_id",
        )
        .bind(to_unix(now))
        .bind(&code_hash)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(ProviderError::ActivationInvalid)?;
        let phone_id: String = claimed.try_get("phone_id")?;
        let replaced = sqlx::query(
            "UPDATE authenticators SET otp_secret = $1, otp_counter = NULL, app_activated = 1 \
             WHERE id = $2 AND status = 'active' RETURNING person_id",
        )
        .bind(&sealed)
        .bind(&phone_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(ProviderError::ActivationInvalid)?;
        let person_id = PersonId(replaced.try_get("person_id")?);
        Ok(ActivatedApp {
            person_id,
            phone_id,
            secret,
        })
    }
}
