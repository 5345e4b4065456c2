//! Telling the person what happened to their account, on every notification address.
//!
//! The outbox notifier keeps messages in the database (demo and tests: `GET /v1/demo/outbox`);
//! the SMTP notifier sends e-mail through lettre in production.

mod link_mail;
mod messages;
mod outbox;
mod smtp;

use async_trait::async_trait;
use recovery_api::{demo::Channel, Secret};
use serde::{Deserialize, Serialize};

pub use link_mail::{masked_address, LinkMail, LinkPurpose};
pub use messages::{AccountEvent, EventNotice};
pub use outbox::OutboxNotifier;
pub use smtp::SmtpNotifier;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum NotifyConfig {
    /// Keep messages in the database, readable at `GET /v1/demo/outbox` in demo mode.
    #[default]
    Outbox,
    /// Send e-mail through an SMTP relay.
    Smtp {
        /// `smtps://user:password@host:465` or `smtp://host:587?tls=required`.
        url: Secret,
        /// The sender, for example `Recovery Desk <no-reply@example.org>`.
        from: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub channel: Channel,
    pub to: String,
    pub subject: Option<String>,
    pub body: String,
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("the notification could not be stored")]
    Storage(#[from] sqlx::Error),
    #[error("the notification could not be sent: {0}")]
    Delivery(String),
    #[error("the notifier is misconfigured: {0}")]
    Config(String),
}

#[async_trait]
pub trait Notifier: Send + Sync {
    async fn send(&self, message: &Message) -> Result<(), NotifyError>;
}
