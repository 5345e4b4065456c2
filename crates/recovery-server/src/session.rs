//! Recovery sessions: what a successful verification opens. The token is 256 random bits held
//! by the app's Rust side; the service stores only its keyed hash. A session lasts 10 minutes
//! (configuration) from verification and is never extended: binding a new factor needs a
//! fresh verification.

use sqlx::Row;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::{
    clock::{from_unix, to_unix},
    directory::PersonId,
    token::{self, TokenHasher},
};
use recovery_api::Secret;

use crate::storage::Database;

const PURPOSE: &str = "recovery-session";

/// A session that [`Sessions::authenticate`] accepted.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub person_id: PersonId,
    /// When the person verified: binding a new factor needs this to be recent.
    pub verified_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SessionRejection {
    #[error("no such session, or it was ended")]
    Invalid,
    #[error("the session has expired")]
    Expired,
}

#[derive(Debug, Clone)]
pub struct Sessions {
    db: Database,
    hasher: TokenHasher,
    ttl: Duration,
}

impl Sessions {
    pub fn new(db: Database, hasher: TokenHasher, ttl: Duration) -> Self {
        Self { db, hasher, ttl }
    }

    pub async fn open(
        &self,
        person: &PersonId,
        client: &str,
        now: OffsetDateTime,
    ) -> Result<(Secret, OffsetDateTime), sqlx::Error> {
        let token = token::generate();
        let expires_at = now + self.ttl;
        sqlx::query(
            "INSERT INTO recovery_sessions (id, token_hash, person_id, client, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(self.hasher.hash(PURPOSE, token.expose()))
        .bind(&person.0)
        .bind(client)
        .bind(to_unix(now))
        .bind(to_unix(expires_at))
        .execute(self.db.pool())
        .await?;
        Ok((token, expires_at))
    }

    pub async fn authenticate(
        &self,
        token: &Secret,
        now: OffsetDateTime,
    ) -> Result<Result<Session, SessionRejection>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT id, person_id, created_at, expires_at FROM recovery_sessions \
             WHERE token_hash = $1 AND ended_at IS NULL",
        )
        .bind(self.hasher.hash(PURPOSE, token.expose()))
        .fetch_optional(self.db.pool())
        .await?;
        let Some(row) = row else {
            return Ok(Err(SessionRejection::Invalid));
        };
        let expires_at = from_unix(row.try_get("expires_at")?);
        if expires_at <= now {
            return Ok(Err(SessionRejection::Expired));
        }
        Ok(Ok(Session {
            id: row.try_get("id")?,
            person_id: PersonId(row.try_get("person_id")?),
            verified_at: from_unix(row.try_get("created_at")?),
            expires_at,
        }))
    }

    /// Ends the session; the token stops working at once.
    pub async fn end(&self, session: &Session, now: OffsetDateTime) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE recovery_sessions SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL",
        )
        .bind(to_unix(now))
        .bind(&session.id)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }
}
