//! The append-only audit log: every verification, success or failure, and every change, with
//! time, person, client and outcome. Never a secret: details hold only ids, counts and reasons.
//! The database refuses updates and deletes of `audit_events` (triggers in the migrations).

use serde::Serialize;
use sqlx::Row;
use time::OffsetDateTime;

use crate::{
    clock::{from_unix, to_unix},
    directory::Person,
    storage::Database,
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

/// One record as exported (`audit export`, one JSON object per line).
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
}

#[derive(Debug, Clone)]
pub struct AuditLog {
    db: Database,
}

impl AuditLog {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    pub async fn record(
        &self,
        at: OffsetDateTime,
        record: AuditRecord<'_>,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO audit_events (at, event, outcome, person_id, username, client, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(to_unix(at))
        .bind(name(&record.event))
        .bind(name(&record.outcome))
        .bind(record.person.map(|p| p.id.0.clone()))
        .bind(record.person.map(|p| p.username.clone()))
        .bind(record.client)
        .bind(record.detail.to_string())
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Records after `after_seq` (0 for all), oldest first.
    pub async fn export(&self, after_seq: i64) -> Result<Vec<ExportedRecord>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT seq, at, event, outcome, person_id, username, client, detail \
             FROM audit_events WHERE seq > $1 ORDER BY seq",
        )
        .bind(after_seq)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let detail: String = row.try_get("detail")?;
                Ok(ExportedRecord {
                    seq: row.try_get("seq")?,
                    at: from_unix(row.try_get("at")?),
                    event: row.try_get("event")?,
                    outcome: row.try_get("outcome")?,
                    person_id: row.try_get("person_id")?,
                    username: row.try_get("username")?,
                    client: row.try_get("client")?,
                    detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
                })
            })
            .collect()
    }
}

fn name(value: &impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::from("unknown"),
    }
}
