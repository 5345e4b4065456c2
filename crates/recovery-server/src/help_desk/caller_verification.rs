//! Caller verifications: how an agent established that the caller is the person. Each belongs
//! to one agent session and one person, and is stored with its method.
//!
//! A sent code is 6 random digits, stored only as an argon2id hash; it works for
//! `help_desk.caller_code_minutes` and 3 tries. A try is *charged before the code is checked*
//! (one conditional UPDATE), so parallel guesses never get a fourth check. Once verified, the
//! verification lasts `help_desk.caller_verification_minutes` for the agent's actions.

use rand::{rngs::OsRng, Rng};
use recovery_api::{help_desk::CallerVerificationMethod, Secret};
use sqlx::Row;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::VerifiedCaller;
use crate::{
    clock::{from_unix, to_unix},
    directory::PersonId,
    slow_hash::SlowHasher,
    storage::{Database, UnitOfWork},
};

/// Tries a sent code allows.
pub const CODE_TRIES: u32 = 3;

/// A fresh code for the caller to read back.
pub fn generate_code() -> Secret {
    let value: u32 = OsRng.gen_range(0..1_000_000);
    Secret::new(format!("{value:06}"))
}

fn method_of(stored: &str) -> Option<CallerVerificationMethod> {
    match stored {
        "sent_code" => Some(CallerVerificationMethod::SentCode),
        "date_of_birth_and_pin" => Some(CallerVerificationMethod::DateOfBirthAndPin),
        "in_person" => Some(CallerVerificationMethod::InPerson),
        _ => None,
    }
}

/// What a code check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    Verified {
        expires_at: OffsetDateTime,
    },
    Wrong {
        attempts_left: u32,
    },
    /// Out of tries or out of time: start again.
    Over,
    /// No pending verification with this id for this agent session and person.
    Unknown,
}

#[derive(Debug, Clone)]
pub struct CallerVerifications {
    db: Database,
    hasher: SlowHasher,
}

impl CallerVerifications {
    pub fn new(db: Database, hasher: SlowHasher) -> Self {
        Self { db, hasher }
    }

    pub async fn hash_code(&self, code: &Secret) -> Result<String, crate::slow_hash::HashError> {
        self.hasher.hash(code.expose().as_bytes()).await
    }

    /// A sent code waiting to be read back, in `work`; its id comes back.
    pub async fn create_pending(
        &self,
        work: &mut UnitOfWork,
        agent_session: &str,
        person: &PersonId,
        code_hash: &str,
        now: OffsetDateTime,
        code_time: Duration,
    ) -> Result<String, sqlx::Error> {
        let id = Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO caller_verifications (id, agent_session_id, person_id, method, \
             code_hash, attempts_left, status, created_at, expires_at) \
             VALUES ($1, $2, $3, 'sent_code', $4, $5, 'pending', $6, $7)",
        )
        .bind(&id)
        .bind(agent_session)
        .bind(&person.0)
        .bind(code_hash)
        .bind(i64::from(CODE_TRIES))
        .bind(to_unix(now))
        .bind(to_unix(now + code_time))
        .execute(work.conn().await?)
        .await?;
        Ok(id)
    }

    /// A verification that passed at once (date of birth + PIN, in person), in `work`.
    pub async fn create_verified(
        &self,
        work: &mut UnitOfWork,
        agent_session: &str,
        person: &PersonId,
        method: CallerVerificationMethod,
        now: OffsetDateTime,
        lasts: Duration,
    ) -> Result<String, sqlx::Error> {
        let id = Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO caller_verifications (id, agent_session_id, person_id, method, \
             attempts_left, status, created_at, verified_at, expires_at) \
             VALUES ($1, $2, $3, $4, 0, 'verified', $5, $5, $6)",
        )
        .bind(&id)
        .bind(agent_session)
        .bind(&person.0)
        .bind(method.as_str())
        .bind(to_unix(now))
        .bind(to_unix(now + lasts))
        .execute(work.conn().await?)
        .await?;
        Ok(id)
    }

    /// Charges a try, then checks the code; a right code makes the verification last
    /// `lasts` from now.
    pub async fn check_code(
        &self,
        id: &str,
        agent_session: &str,
        person: &PersonId,
        code: &Secret,
        now: OffsetDateTime,
        lasts: Duration,
    ) -> Result<CodeCheck, CheckError> {
        let pool = self.db.pool();
        let charged = sqlx::query(
            "UPDATE caller_verifications SET attempts_left = attempts_left - 1 \
             WHERE id = $1 AND agent_session_id = $2 AND person_id = $3 AND status = 'pending' \
             AND attempts_left > 0 AND expires_at > $4 RETURNING code_hash, attempts_left",
        )
        .bind(id)
        .bind(agent_session)
        .bind(&person.0)
        .bind(to_unix(now))
        .fetch_optional(pool)
        .await?;
        let Some(charged) = charged else {
            let known = sqlx::query(
                "SELECT status FROM caller_verifications \
                 WHERE id = $1 AND agent_session_id = $2 AND person_id = $3",
            )
            .bind(id)
            .bind(agent_session)
            .bind(&person.0)
            .fetch_optional(pool)
            .await?;
            return Ok(match known {
                Some(_) => CodeCheck::Over,
                None => CodeCheck::Unknown,
            });
        };
        let code_hash: Option<String> = charged.try_get("code_hash")?;
        let attempts_left: i64 = charged.try_get("attempts_left")?;
        let right = match &code_hash {
            Some(hash) => self.hasher.verify(code.expose().as_bytes(), hash).await?,
            None => false,
        };
        if right {
            let expires_at = now + lasts;
            let verified = sqlx::query(
                "UPDATE caller_verifications SET status = 'verified', verified_at = $1, \
                 expires_at = $2 WHERE id = $3 AND status = 'pending'",
            )
            .bind(to_unix(now))
            .bind(to_unix(expires_at))
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected();
            return Ok(if verified == 1 {
                CodeCheck::Verified { expires_at }
            } else {
                CodeCheck::Over
            });
        }
        if attempts_left <= 0 {
            sqlx::query(
                "UPDATE caller_verifications SET status = 'failed' \
                 WHERE id = $1 AND status = 'pending'",
            )
            .bind(id)
            .execute(pool)
            .await?;
            return Ok(CodeCheck::Over);
        }
        Ok(CodeCheck::Wrong {
            attempts_left: u32::try_from(attempts_left).unwrap_or(0),
        })
    }

    /// The verification an action names, when it is verified, this agent session's, this
    /// person's and not expired.
    pub async fn verified(
        &self,
        id: &str,
        agent_session: &str,
        person: &PersonId,
        now: OffsetDateTime,
    ) -> Result<Option<VerifiedCaller>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT method, verified_at FROM caller_verifications \
             WHERE id = $1 AND agent_session_id = $2 AND person_id = $3 \
             AND status = 'verified' AND expires_at > $4",
        )
        .bind(id)
        .bind(agent_session)
        .bind(&person.0)
        .bind(to_unix(now))
        .fetch_optional(self.db.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let Some(method) = method_of(&row.try_get::<String, _>("method")?) else {
            return Ok(None);
        };
        let verified_at: Option<i64> = row.try_get("verified_at")?;
        Ok(Some(VerifiedCaller {
            id: id.to_owned(),
            method,
            verified_at: from_unix(verified_at.unwrap_or_default()),
        }))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Storage(#[from] sqlx::Error),
    #[error(transparent)]
    Hash(#[from] crate::slow_hash::HashError),
}

impl From<CheckError> for crate::error::RecoveryError {
    fn from(error: CheckError) -> Self {
        match error {
            CheckError::Storage(e) => Self::Storage(e),
            CheckError::Hash(e) => Self::Hash(e),
        }
    }
}
