use async_trait::async_trait;
use recovery_api::demo::{Channel, OutboxMessage};
use sqlx::Row;

use super::{Message, Notifier, NotifyError};
use crate::{
    clock::{from_unix, to_unix, Clock},
    storage::Database,
};
use std::sync::Arc;

/// Keeps every message in `outbox_messages` instead of sending it.
#[derive(Clone)]
pub struct OutboxNotifier {
    db: Database,
    clock: Arc<dyn Clock>,
}

impl OutboxNotifier {
    pub fn new(db: Database, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }

    /// Everything "sent", oldest first.
    pub async fn messages(&self) -> Result<Vec<OutboxMessage>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT id, channel, recipient, subject, body, created_at FROM outbox_messages ORDER BY id",
        )
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let channel: String = row.try_get("channel")?;
                Ok(OutboxMessage {
                    id: row.try_get("id")?,
                    channel: Channel::parse(&channel).unwrap_or(Channel::Email),
                    to: row.try_get("recipient")?,
                    subject: row.try_get("subject")?,
                    body: row.try_get("body")?,
                    created_at: from_unix(row.try_get("created_at")?),
                })
            })
            .collect()
    }
}

#[async_trait]
impl Notifier for OutboxNotifier {
    async fn send(&self, message: &Message) -> Result<(), NotifyError> {
        sqlx::query(
            "INSERT INTO outbox_messages (channel, recipient, subject, body, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(message.channel.as_str())
        .bind(&message.to)
        .bind(message.subject.clone())
        .bind(&message.body)
        .bind(to_unix(self.clock.now()))
        .execute(self.db.pool())
        .await?;
        Ok(())
    }
}
