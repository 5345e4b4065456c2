//! Bypass codes in SQL, and sign-in with a passcode: a bypass code, or a 6-digit code from the
//! person's phone app (TOTP) or hardware token (HOTP).

use recovery_api::fields::PasscodeKind;
use sqlx::Row;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::BuiltinProvider;
use crate::{
    clock::to_unix,
    directory::Person,
    mfa::{BypassCode, BypassCodeOrigin, IssuedBypassCode, Passcode, ProviderError},
    otp::{self, OtpSecret},
    storage::UnitOfWork,
};

/// How far ahead of its counter a hardware token may be at sign-in (resync covers more).
const SIGN_IN_HOTP_WINDOW: u64 = 10;

impl BuiltinProvider {
    pub(super) async fn issue_code(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        origin: BypassCodeOrigin,
        valid_for: Duration,
        now: OffsetDateTime,
    ) -> Result<IssuedBypassCode, ProviderError> {
        let code = BypassCode::generate();
        let code_hash = self.hasher.hash(code.secret().expose().as_bytes()).await?;
        let expires_at = now + valid_for;
        self.store_code(work, person, origin, &code_hash, now, expires_at)
            .await?;
        Ok(IssuedBypassCode { code, expires_at })
    }

    /// Revokes the previous code of the same origin and stores the new one in `work`, first
    /// taking the person's lock row, so concurrent issuing leaves exactly one live code of each
    /// origin.
    async fn store_code(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        origin: BypassCodeOrigin,
        code_hash: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<(), sqlx::Error> {
        let tx = work.conn().await?;
        sqlx::query(
            "INSERT INTO mfa_person_locks (person_id, touched_at) VALUES ($1, $2) \
             ON CONFLICT (person_id) DO UPDATE SET touched_at = $2",
        )
        .bind(&person.id.0)
        .bind(to_unix(now))
        .execute(&mut *tx)
        .await?;
        // A code replaces the previous code of its own origin only: the help desk's code
        // survives a self-service one, and the other way round.
        sqlx::query(
            "UPDATE bypass_codes SET revoked_at = $1 WHERE person_id = $2 \
             AND origin = $3 AND used_at IS NULL AND revoked_at IS NULL",
        )
        .bind(to_unix(now))
        .bind(&person.id.0)
        .bind(origin.as_str())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO bypass_codes (id, person_id, code_hash, origin, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(&person.id.0)
        .bind(code_hash)
        .bind(origin.as_str())
        .bind(to_unix(now))
        .bind(to_unix(expires_at))
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    pub(super) async fn redeem(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        passcode: &Passcode,
        now: OffsetDateTime,
    ) -> Result<bool, ProviderError> {
        match passcode.kind() {
            PasscodeKind::BypassCode => self.redeem_bypass_code(work, person, passcode, now).await,
            PasscodeKind::DeviceCode => {
                // The same slow work as a bypass code, so the kind of code does not show.
                self.hasher
                    .verify_dummy(passcode.digits().expose().as_bytes())
                    .await?;
                self.redeem_device_code(work, person, passcode.digits().expose(), now)
                    .await
            }
        }
    }

    /// Reads and hashes first; only the consuming write goes into `work`.
    async fn redeem_bypass_code(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        passcode: &Passcode,
        now: OffsetDateTime,
    ) -> Result<bool, ProviderError> {
        let candidates = sqlx::query(
            "SELECT id, code_hash FROM bypass_codes WHERE person_id = $1 \
             AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2",
        )
        .bind(&person.id.0)
        .bind(to_unix(now))
        .fetch_all(self.db.pool())
        .await?;
        let typed = passcode.digits().expose().as_bytes();
        if candidates.is_empty() {
            self.hasher.verify_dummy(typed).await?;
            return Ok(false);
        }
        for row in candidates {
            let (id, code_hash): (String, String) = (row.try_get("id")?, row.try_get("code_hash")?);
            if !self.hasher.verify(typed, &code_hash).await? {
                continue;
            }
            // Of all concurrent redemptions, only one finds the code still unused.
            let consumed = sqlx::query(
                "UPDATE bypass_codes SET used_at = $1 WHERE id = $2 \
                 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $1",
            )
            .bind(to_unix(now))
            .bind(&id)
            .execute(work.conn().await?)
            .await?
            .rows_affected();
            return Ok(consumed == 1);
        }
        Ok(false)
    }

    /// A code from an activated phone app (TOTP) or a hardware token (HOTP), each usable once.
    async fn redeem_device_code(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        code: &str,
        now: OffsetDateTime,
    ) -> Result<bool, ProviderError> {
        let devices = sqlx::query(
            "SELECT id, kind, otp_secret, otp_counter FROM authenticators WHERE person_id = $1 \
             AND status = 'active' AND otp_secret IS NOT NULL",
        )
        .bind(&person.id.0)
        .fetch_all(self.db.pool())
        .await?;
        for row in devices {
            let id: String = row.try_get("id")?;
            let kind: String = row.try_get("kind")?;
            let sealed: String = row.try_get("otp_secret")?;
            let counter: Option<i64> = row.try_get("otp_counter")?;
            let secret = OtpSecret::from_bytes(self.sealing.open(&sealed)?.to_vec());
            let matched = if kind == "hardware_token" {
                let from = counter.and_then(|c| u64::try_from(c).ok()).unwrap_or(0);
                otp::hotp_match(&secret, code, from, SIGN_IN_HOTP_WINDOW)
            } else {
                let last = counter.and_then(|c| u64::try_from(c).ok());
                otp::totp_match(&secret, code, now, last)
            };
            let Some(matched) = matched else { continue };
            let next = i64::try_from(matched).unwrap_or(i64::MAX);
            // Moving the counter only forward makes each code work once, even in parallel.
            let moved = sqlx::query(
                "UPDATE authenticators SET otp_counter = $1 WHERE id = $2 \
                 AND (otp_counter IS NULL OR otp_counter < $1)",
            )
            .bind(next)
            .bind(&id)
            .execute(work.conn().await?)
            .await?
            .rows_affected();
            return Ok(moved == 1);
        }
        Ok(false)
    }
}
