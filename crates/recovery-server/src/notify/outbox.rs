//! The outbox: messages kept in the database instead of sent (demo mode, tests).
//!
//! Its messages carry what the real ones would: landline codes, activation links, bypass-code
//! notices. Each body is sealed at rest under the service's OTP key (as TOTP secrets are), so
//! the database, its backups and its replicas hold no code in plain text; only the service,
//! through `GET /v1/demo/outbox` in demo mode, reads them back.

use async_trait::async_trait;
use recovery_api::demo::{Channel, OutboxMessage};
use sqlx::Row;

use super::{Message, Notifier, NotifyError};
use crate::{
    clock::{from_unix, to_unix, Clock},
    sealed::SealingKey,
    storage::Database,
};
use std::sync::Arc;

/// What the inbox shows for a body that does not open (sealed under another key).
const UNREADABLE: &str = "(This message was sealed under another key and cannot be shown.)";

/// Keeps every message in `outbox_messages` instead of sending it, its body sealed.
#[derive(Clone)]
pub struct OutboxNotifier {
    db: Database,
    clock: Arc<dyn Clock>,
    sealing: SealingKey,
}

impl OutboxNotifier {
    pub fn new(db: Database, clock: Arc<dyn Clock>, sealing: SealingKey) -> Self {
        Self { db, clock, sealing }
    }

    /// Everything "sent", oldest first, bodies opened.
    pub async fn messages(&self) -> Result<Vec<OutboxMessage>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT id, channel, recipient, subject, body, created_at FROM outbox_messages ORDER BY id",
        )
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let channel: String = row.try_get("channel")?;
                let sealed: String = row.try_get("body")?;
                Ok(OutboxMessage {
                    id: row.try_get("id")?,
                    channel: Channel::parse(&channel).unwrap_or(Channel::Email),
                    to: row.try_get("recipient")?,
                    subject: row.try_get("subject")?,
                    body: self.open(&sealed),
                    created_at: from_unix(row.try_get("created_at")?),
                })
            })
            .collect()
    }

    fn open(&self, sealed: &str) -> String {
        self.sealing
            .open(sealed)
            .ok()
            .and_then(|body| String::from_utf8(body.to_vec()).ok())
            .unwrap_or_else(|| UNREADABLE.to_owned())
    }
}

#[async_trait]
impl Notifier for OutboxNotifier {
    async fn send(&self, message: &Message) -> Result<(), NotifyError> {
        let body = self
            .sealing
            .seal(message.body.as_bytes())
            .map_err(|e| NotifyError::Config(e.to_string()))?;
        sqlx::query(
            "INSERT INTO outbox_messages (channel, recipient, subject, body, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(message.channel.as_str())
        .bind(&message.to)
        .bind(message.subject.clone())
        .bind(&body)
        .bind(to_unix(self.clock.now()))
        .execute(self.db.pool())
        .await?;
        Ok(())
    }
}
