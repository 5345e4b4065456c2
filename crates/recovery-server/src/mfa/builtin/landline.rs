//! Adding a landline: pending until the person types back the 6-digit code a call spoke.
//! 3 wrong codes or the end of the verification time discard it. Each try is charged before
//! it is checked, so parallel guesses get no more than 3: the charge commits on its own, before
//! the hash is checked; what the check decides goes into the flow's unit of work.

use rand::{rngs::OsRng, Rng};
use recovery_api::{
    authenticator::{Authenticator, AuthenticatorStatus},
    phone::CodeDelivery,
    Secret,
};
use sqlx::Row;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{
    authenticators::{authenticator_from_row, discard_pending_in},
    BuiltinProvider,
};
use crate::{
    clock::{from_unix, to_unix},
    directory::Person,
    mfa::{PendingPhone, ProviderError},
    phone_number::E164Number,
    storage::UnitOfWork,
    telephony::CodeCall,
};

impl BuiltinProvider {
    /// Places the call first and only then writes the pending phone into `work`: a crash in
    /// between leaves a spoken code that matches nothing, never a stored phone without its
    /// audit record.
    pub(super) async fn add_landline_phone(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        number: &E164Number,
        extension: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<PendingPhone, ProviderError> {
        // One call at a time: each one is placed (and paid for) for real.
        self.discard_expired_pending(person, now).await?;
        let waiting = sqlx::query(
            "SELECT id FROM authenticators WHERE person_id = $1 AND status = 'pending'",
        )
        .bind(&person.id.0)
        .fetch_optional(self.db.pool())
        .await?;
        if waiting.is_some() {
            return Err(ProviderError::Conflict(
                "A phone is already waiting for its code. Enter that code, or wait until it expires."
                    .to_owned(),
            ));
        }
        let id = Uuid::new_v4().to_string();
        let code = Secret::new(format!("{:06}", OsRng.gen_range(0..1_000_000u32)));
        let code_hash = self.hasher.hash(code.expose().as_bytes()).await?;
        let expires_at = now + self.policy.verification_time();
        let call = CodeCall {
            to: number.as_str(),
            extension,
            code: &code,
            organisation: &self.organisation,
        };
        self.telephony.place_code_call(&call).await?;
        let tx = work.conn().await?;
        sqlx::query(
            "INSERT INTO authenticators (id, person_id, kind, name, status, phone_number, \
             phone_type, phone_extension, app_activated, created_at) \
             VALUES ($1, $2, 'phone', $3, 'pending', $4, 'landline', $5, 0, $6)",
        )
        .bind(&id)
        .bind(&person.id.0)
        .bind(format!("Landline {}", number.hint()))
        .bind(number.as_str())
        .bind(extension.map(str::to_owned))
        .bind(to_unix(now))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO phone_verifications (phone_id, code_hash, attempts_left, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&id)
        .bind(&code_hash)
        .bind(i64::from(self.policy.verification_attempts))
        .bind(to_unix(expires_at))
        .execute(&mut *tx)
        .await?;
        Ok(PendingPhone {
            delivery: CodeDelivery::VoiceCall,
            id,
            number_hint: number.hint(),
            expires_at,
        })
    }

    pub(super) async fn verify_pending_phone(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        phone_id: &str,
        code: &Secret,
        now: OffsetDateTime,
    ) -> Result<Authenticator, ProviderError> {
        let phone = self.owned(person, phone_id).await?;
        let status: String = phone.try_get("status")?;
        if status != "pending" {
            return Err(ProviderError::NotFound);
        }
        let charged = sqlx::query(
            "UPDATE phone_verifications SET attempts_left = attempts_left - 1 \
             WHERE phone_id = $1 AND attempts_left > 0 AND expires_at > $2 \
             RETURNING attempts_left, code_hash, expires_at",
        )
        .bind(phone_id)
        .bind(to_unix(now))
        .fetch_optional(self.db.pool())
        .await?;
        let Some(charged) = charged else {
            discard_pending_in(work, phone_id).await?;
            return Err(ProviderError::VerificationExpired);
        };
        let attempts_left: i64 = charged.try_get("attempts_left")?;
        let code_hash: String = charged.try_get("code_hash")?;
        let _expires_at = from_unix(charged.try_get("expires_at")?);
        if self
            .hasher
            .verify(code.expose().as_bytes(), &code_hash)
            .await?
        {
            let tx = work.conn().await?;
            sqlx::query("DELETE FROM phone_verifications WHERE phone_id = $1")
                .bind(phone_id)
                .execute(&mut *tx)
                .await?;
            let activated = sqlx::query(
                "UPDATE authenticators SET status = 'active' WHERE id = $1 AND status = 'pending'",
            )
            .bind(phone_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if activated != 1 {
                return Err(ProviderError::VerificationExpired);
            }
            return Ok(Authenticator {
                status: AuthenticatorStatus::Active,
                ..authenticator_from_row(&phone)?
            });
        }
        if attempts_left <= 0 {
            discard_pending_in(work, phone_id).await?;
            return Err(ProviderError::VerificationExpired);
        }
        Err(ProviderError::CodeIncorrect {
            attempts_left: u32::try_from(attempts_left).unwrap_or(0),
        })
    }
}
