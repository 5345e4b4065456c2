//! Agent sessions: what an agent's sign-in opens. Like recovery sessions (`session.rs`) the
//! token is 256 random bits of which only a keyed hash is stored, under a purpose of its own
//! so that no recovery-session token ever matches. A session lasts `help_desk.session_minutes`
//! and is never extended; an agent has one live session: signing in again ends the older ones.

use recovery_api::{help_desk::AgentSignInMethod, Secret};
use sqlx::Row;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::{
    clock::{from_unix, to_unix},
    directory::PersonId,
    session::SessionRejection,
    storage::{Database, UnitOfWork},
    token::{self, TokenHasher},
};

const PURPOSE: &str = "help-desk-session";

/// A session row that [`AgentSessions::authenticate`] accepted; the agent's role is read from
/// the configuration again on every request (an agent removed from it is signed out).
#[derive(Debug, Clone)]
pub struct StoredAgentSession {
    pub id: String,
    pub agent: PersonId,
    pub method: AgentSignInMethod,
    pub signed_in_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// A session just opened: the token is shown once, to the agent who signed in.
#[derive(Debug)]
pub struct NewAgentSession {
    pub id: String,
    pub token: Secret,
    pub expires_at: OffsetDateTime,
    pub ended_older: u64,
}

#[derive(Debug, Clone)]
pub struct AgentSessions {
    db: Database,
    hasher: TokenHasher,
    ttl: Duration,
}

pub fn method_name(method: AgentSignInMethod) -> &'static str {
    match method {
        AgentSignInMethod::SecurityKey => "security_key",
        AgentSignInMethod::Passcode => "passcode",
    }
}

fn parse_method(stored: &str) -> AgentSignInMethod {
    match stored {
        "security_key" => AgentSignInMethod::SecurityKey,
        _ => AgentSignInMethod::Passcode,
    }
}

impl AgentSessions {
    pub fn new(db: Database, hasher: TokenHasher, ttl: Duration) -> Self {
        Self { db, hasher, ttl }
    }

    /// Opens a session inside `work`, ending the agent's older sessions there too.
    pub async fn open(
        &self,
        work: &mut UnitOfWork,
        agent: &PersonId,
        role: &str,
        method: AgentSignInMethod,
        client: &str,
        now: OffsetDateTime,
    ) -> Result<NewAgentSession, sqlx::Error> {
        let token = token::generate();
        let expires_at = now + self.ttl;
        let conn = work.conn().await?;
        // Queues concurrent sign-ins of one agent, so exactly one session stays live.
        sqlx::query(
            "INSERT INTO help_desk_agent_locks (agent_person_id, touched_at) VALUES ($1, $2) \
             ON CONFLICT (agent_person_id) DO UPDATE SET touched_at = $2",
        )
        .bind(&agent.0)
        .bind(to_unix(now))
        .execute(&mut *conn)
        .await?;
        let ended = sqlx::query(
            "UPDATE help_desk_sessions SET ended_at = $1 \
             WHERE agent_person_id = $2 AND ended_at IS NULL",
        )
        .bind(to_unix(now))
        .bind(&agent.0)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        let id = Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO help_desk_sessions \
             (id, token_hash, agent_person_id, role, method, client, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(self.hasher.hash(PURPOSE, token.expose()))
        .bind(&agent.0)
        .bind(role)
        .bind(method_name(method))
        .bind(client)
        .bind(to_unix(now))
        .bind(to_unix(expires_at))
        .execute(&mut *conn)
        .await?;
        Ok(NewAgentSession {
            id,
            token,
            expires_at,
            ended_older: ended,
        })
    }

    pub async fn authenticate(
        &self,
        token: &Secret,
        now: OffsetDateTime,
    ) -> Result<Result<StoredAgentSession, SessionRejection>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT id, agent_person_id, method, created_at, expires_at FROM help_desk_sessions \
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
        Ok(Ok(StoredAgentSession {
            id: row.try_get("id")?,
            agent: PersonId(row.try_get("agent_person_id")?),
            method: parse_method(&row.try_get::<String, _>("method")?),
            signed_in_at: from_unix(row.try_get("created_at")?),
            expires_at,
        }))
    }

    /// Ends the session inside `work`; the token stops working once `work` commits.
    pub async fn end(
        &self,
        work: &mut UnitOfWork,
        session_id: &str,
        now: OffsetDateTime,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE help_desk_sessions SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL",
        )
        .bind(to_unix(now))
        .bind(session_id)
        .execute(work.conn().await?)
        .await?;
        Ok(())
    }
}
