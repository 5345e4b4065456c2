//! Recovery sessions: what a successful verification opens. The token is 256 random bits held
//! by the app's Rust side; the service stores only its keyed hash. A session lasts 10 minutes
//! (configuration) from verification and is never extended: binding a new factor needs a
//! fresh verification. A person has one live session: opening one ends their older ones.

use sqlx::Row;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::{
    clock::{from_unix, to_unix},
    directory::PersonId,
    token::{self, TokenHasher},
};
use recovery_api::Secret;

use crate::storage::{Database, UnitOfWork};

const PURPOSE: &str = "recovery-session";

/// How the person proved who they are when the session opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionMethod {
    /// Password + date of birth + recovery PIN: what someone who lost every device has.
    DateOfBirthAndPin,
    /// Password + a passcode from a device they still have, or a bypass code: strong enough to
    /// set the recovery PIN.
    Passcode,
}

impl SessionMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DateOfBirthAndPin => "date_of_birth_and_pin",
            Self::Passcode => "passcode",
        }
    }

    fn parse(stored: &str) -> Self {
        match stored {
            "passcode" => Self::Passcode,
            _ => Self::DateOfBirthAndPin,
        }
    }
}

/// A session that [`Sessions::authenticate`] accepted.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub person_id: PersonId,
    pub method: SessionMethod,
    /// When the person verified: binding a new factor needs this to be recent.
    pub verified_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// A session just opened: the token is shown once, to the person who verified.
#[derive(Debug)]
pub struct NewSession {
    pub token: Secret,
    pub expires_at: OffsetDateTime,
    /// The person's older sessions that this one ended.
    pub ended_older: u64,
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

    /// Opens a session for the person inside `work`, ending their older sessions there too, so
    /// that the new token, the end of the old ones and the audit record commit together.
    /// Returns the token, its expiry and how many older sessions it ended.
    pub async fn open(
        &self,
        work: &mut UnitOfWork,
        person: &PersonId,
        method: SessionMethod,
        client: &str,
        now: OffsetDateTime,
    ) -> Result<NewSession, sqlx::Error> {
        let token = token::generate();
        let expires_at = now + self.ttl;
        let conn = work.conn().await?;
        // Queues concurrent sign-ins of one person, so exactly one session stays live.
        sqlx::query(
            "INSERT INTO session_person_locks (person_id, touched_at) VALUES ($1, $2) \
             ON CONFLICT (person_id) DO UPDATE SET touched_at = $2",
        )
        .bind(&person.0)
        .bind(to_unix(now))
        .execute(&mut *conn)
        .await?;
        let ended = sqlx::query(
            "UPDATE recovery_sessions SET ended_at = $1 WHERE person_id = $2 AND ended_at IS NULL",
        )
        .bind(to_unix(now))
        .bind(&person.0)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        sqlx::query(
            "INSERT INTO recovery_sessions \
             (id, token_hash, person_id, method, client, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(self.hasher.hash(PURPOSE, token.expose()))
        .bind(&person.0)
        .bind(method.as_str())
        .bind(client)
        .bind(to_unix(now))
        .bind(to_unix(expires_at))
        .execute(&mut *conn)
        .await?;
        Ok(NewSession {
            token,
            expires_at,
            ended_older: ended,
        })
    }

    pub async fn authenticate(
        &self,
        token: &Secret,
        now: OffsetDateTime,
    ) -> Result<Result<Session, SessionRejection>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT id, person_id, method, created_at, expires_at FROM recovery_sessions \
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
            method: SessionMethod::parse(&row.try_get::<String, _>("method")?),
            verified_at: from_unix(row.try_get("created_at")?),
            expires_at,
        }))
    }

    /// Ends the session inside `work`; the token stops working once `work` commits.
    pub async fn end(
        &self,
        work: &mut UnitOfWork,
        session: &Session,
        now: OffsetDateTime,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE recovery_sessions SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL",
        )
        .bind(to_unix(now))
        .bind(&session.id)
        .execute(work.conn().await?)
        .await?;
        Ok(())
    }
}
