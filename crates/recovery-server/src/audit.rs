//! The append-only, tamper-evident audit log: every verification, success or failure, and every
//! change, with time, person, client and outcome. Never a secret: details hold only ids, counts
//! and reasons. The database refuses updates and deletes of `audit_events` (triggers in the
//! migrations, grants on PostgreSQL: docs/postgres-roles.md), and each record is chained to the
//! one before it by hash ([`chain`]), so what gets past those shows in `audit verify`.
//!
//! A flow appends its record in the same [`UnitOfWork`] as the change it records, as its last
//! statement before committing: the chain head's lock is then held only for the commit.

pub mod chain;

use serde::Serialize;
use sqlx::{any::AnyRow, Row};
use time::OffsetDateTime;

use crate::{
    clock::{from_unix, to_unix},
    directory::Person,
    storage::{Database, UnitOfWork},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditEvent {
    SessionOpened,
    VerificationFailed,
    VerificationRefused,
    SessionEnded,
    BypassCodeIssued,
    AccountUnlocked,
    DirectoryImported,
    KioskTokenIssued,
    KioskEnrolled,
    NotificationFailed,
    LandlineAdded,
    LandlineVerified,
    LandlineVerificationFailed,
    ActivationLinkCreated,
    PhoneAppReactivated,
    SecurityKeyRegistrationStarted,
    SecurityKeyRegistered,
    SecurityKeyRegistrationFailed,
    AuthenticatorRenamed,
    HardwareTokenResynced,
    HardwareTokenResyncFailed,
    AuthenticatorRemoved,
    HardwareTokensImported,
    RecoveryPinSet,
    RecoveryPinCleared,
    HrFactsImported,
    /// An agent signed in to the help-desk console (or failed to: outcome failure/refused).
    HelpDeskSignIn,
    HelpDeskSignedOut,
    /// An agent registered a security key for their own sign-in.
    HelpDeskKeyRegistered,
    /// An agent looked up a person's record.
    HelpDeskLookUp,
    /// A caller verification was started (a code sent), passed or failed.
    CallerVerificationStarted,
    CallerVerified,
    CallerVerificationFailed,
    /// A help-desk action was refused by the guard (role, own account, weak verification).
    HelpDeskActionRefused,
    /// A single-use security-key enrolment link was sent, used, or refused.
    SecurityKeyLinkSent,
    SecurityKeyLinkUsed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
    /// Not attempted: throttled or locked.
    Refused,
}

/// One record to append.
#[derive(Debug, Clone)]
pub struct AuditRecord<'a> {
    pub event: AuditEvent,
    pub outcome: Outcome,
    pub person: Option<&'a Person>,
    pub client: &'a str,
    pub detail: serde_json::Value,
}

/// One record as exported (`audit export`, one JSON object per line), with its links in the
/// chain so that the export can be verified on its own (`audit verify --export`).
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct ExportedRecord {
    pub seq: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub event: String,
    pub outcome: String,
    pub person_id: Option<String>,
    pub username: Option<String>,
    pub client: String,
    pub detail: serde_json::Value,
    /// The previous record's hash; absent on records written before the chain existed.
    #[serde(default)]
    pub prev_hash: Option<String>,
    #[serde(default)]
    pub hash: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Storage(#[from] sqlx::Error),
    /// Appends need the head; without it nothing more is recorded rather than an unchained log.
    #[error("the audit chain head is missing; the audit log cannot be appended to")]
    NoHead,
}

impl From<AuditError> for sqlx::Error {
    fn from(error: AuditError) -> Self {
        match error {
            AuditError::Storage(error) => error,
            AuditError::NoHead => sqlx::Error::Protocol(error.to_string()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct AuditLog {
    db: Database,
}

impl AuditLog {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Appends one record in its own transaction: for records that go with no other change
    /// (a failed verification, a refused one, a failed notification).
    pub async fn record(
        &self,
        at: OffsetDateTime,
        record: AuditRecord<'_>,
    ) -> Result<(), sqlx::Error> {
        let mut work = UnitOfWork::new(&self.db);
        self.append(&mut work, at, record).await?;
        work.commit().await
    }

    /// Appends one record to the chain inside `work`; it is kept only if `work` commits.
    /// The head row is updated first, so concurrent appends queue on it and see each other.
    pub async fn append(
        &self,
        work: &mut UnitOfWork,
        at: OffsetDateTime,
        record: AuditRecord<'_>,
    ) -> Result<(), sqlx::Error> {
        let conn = work.conn().await?;
        let head = sqlx::query(
            "UPDATE audit_chain_head SET last_seq = last_seq WHERE id = 1 \
             RETURNING last_seq, last_hash",
        )
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AuditError::NoHead)?;
        let last_seq: i64 = head.try_get("last_seq")?;
        let prev_hash: String = head.try_get("last_hash")?;
        let seq = last_seq + 1;
        let event = name(&record.event);
        let outcome = name(&record.outcome);
        let person_id = record.person.map(|p| p.id.0.clone());
        let username = record.person.map(|p| p.username.clone());
        let detail = record.detail.to_string();
        let hash = chain::Link {
            seq,
            at_unix: to_unix(at),
            event: &event,
            outcome: &outcome,
            person_id: person_id.as_deref(),
            username: username.as_deref(),
            client: record.client,
            detail: &detail,
            prev_hash: &prev_hash,
        }
        .hash();
        sqlx::query(
            "INSERT INTO audit_events (seq, at, event, outcome, person_id, username, client, \
             detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(seq)
        .bind(to_unix(at))
        .bind(event)
        .bind(outcome)
        .bind(person_id)
        .bind(username)
        .bind(record.client)
        .bind(detail)
        .bind(prev_hash)
        .bind(&hash)
        .execute(&mut *conn)
        .await?;
        sqlx::query("UPDATE audit_chain_head SET last_seq = $1, last_hash = $2 WHERE id = 1")
            .bind(seq)
            .bind(hash)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Records after `after_seq` (0 for all), oldest first.
    pub async fn export(&self, after_seq: i64) -> Result<Vec<ExportedRecord>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT seq, at, event, outcome, person_id, username, client, detail, prev_hash, hash \
             FROM audit_events WHERE seq > $1 ORDER BY seq",
        )
        .bind(after_seq)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(exported).collect()
    }

    /// The person's newest records, newest first (the help desk's view of their account).
    pub async fn recent_for(
        &self,
        person: &crate::directory::PersonId,
        limit: u32,
    ) -> Result<Vec<ExportedRecord>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT seq, at, event, outcome, person_id, username, client, detail, prev_hash, hash              FROM audit_events WHERE person_id = $1 ORDER BY seq DESC LIMIT $2",
        )
        .bind(&person.0)
        .bind(i64::from(limit))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(exported).collect()
    }

    /// Walks the whole chain against its head, in one read snapshot where the database gives
    /// one (PostgreSQL: one transaction; SQLite in WAL mode: one read transaction).
    pub async fn verify(&self) -> Result<Result<chain::Verified, chain::Break>, sqlx::Error> {
        let mut tx = self.db.pool().begin().await?;
        let head =
            sqlx::query("SELECT start_seq, last_seq, last_hash FROM audit_chain_head WHERE id = 1")
                .fetch_optional(&mut *tx)
                .await?;
        let Some(head) = head else {
            return Ok(Err(chain::Break::NoHead));
        };
        let head = chain::Head {
            start_seq: head.try_get("start_seq")?,
            last_seq: head.try_get("last_seq")?,
            last_hash: head.try_get("last_hash")?,
        };
        let rows = sqlx::query(
            "SELECT seq, at, event, outcome, person_id, username, client, detail, prev_hash, hash \
             FROM audit_events ORDER BY seq",
        )
        .fetch_all(&mut *tx)
        .await?;
        tx.rollback().await?;
        let records = rows.iter().map(exported).collect::<Result<Vec<_>, _>>()?;
        Ok(chain::verify(records, Some(&head)))
    }
}

fn exported(row: &AnyRow) -> Result<ExportedRecord, sqlx::Error> {
    let detail: String = row.try_get("detail")?;
    Ok(ExportedRecord {
        seq: row.try_get("seq")?,
        at: from_unix(row.try_get("at")?),
        event: row.try_get("event")?,
        outcome: row.try_get("outcome")?,
        person_id: row.try_get("person_id")?,
        username: row.try_get("username")?,
        client: row.try_get("client")?,
        // Not JSON (written by hand): shown as a string, and it cannot match its hash.
        detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::String(detail)),
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

fn name(value: &impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::from("unknown"),
    }
}
