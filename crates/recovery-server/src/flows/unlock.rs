//! The help desk's unlock of a locked account.

use recovery_api::fields;
use serde_json::json;

use crate::{
    app::App,
    audit::{AuditEvent, AuditRecord, Outcome},
    client::Client,
    error::RecoveryError,
};

/// Clears every lock and failure of the username; `false` when there was nothing to clear.
pub async fn unlock(app: &App, client: &Client, username: &str) -> Result<bool, RecoveryError> {
    let username = fields::normalize_username(username)?;
    let cleared = app.throttle.unlock(&username).await?;
    let person = app.directory.find_by_username(&username).await?;
    let record = AuditRecord {
        event: AuditEvent::AccountUnlocked,
        outcome: Outcome::Success,
        person: person.as_ref(),
        client: &client.label,
        detail: json!({ "had_failures": cleared }),
    };
    app.audit.record(app.clock.now(), record).await?;
    Ok(cleared)
}
