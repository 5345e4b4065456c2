//! The help desk's unlock of a locked account: every lock and failure of the username is
//! cleared, and the audit record commits with the change.

use recovery_api::fields;
use serde_json::json;

use crate::{
    app::App,
    audit::{AuditEvent, AuditRecord, Outcome},
    client::Client,
    directory::Person,
    error::RecoveryError,
    flows::notice::with_help_desk,
    storage::UnitOfWork,
};

/// Clears every lock and failure of the username; `false` when there was nothing to clear.
pub async fn unlock(app: &App, client: &Client, username: &str) -> Result<bool, RecoveryError> {
    let username = fields::normalize_username(username)?;
    let person = app.directory.find_by_username(&username).await?;
    unlock_recorded(app, client, &username, person.as_ref(), json!({}), None).await
}

/// [`unlock`] with more detail (what was lifted) and the help desk's part of the audit detail.
pub async fn unlock_recorded(
    app: &App,
    client: &Client,
    username: &str,
    person: Option<&Person>,
    mut detail: serde_json::Value,
    help_desk: Option<serde_json::Value>,
) -> Result<bool, RecoveryError> {
    let now = app.clock.now();
    let mut work = UnitOfWork::new(&app.db);
    let cleared = app.throttle.unlock(&mut work, username).await?;
    detail["had_failures"] = json!(cleared);
    let record = AuditRecord {
        event: AuditEvent::AccountUnlocked,
        outcome: Outcome::Success,
        person,
        client: &client.label,
        detail: with_help_desk(detail, help_desk),
    };
    app.audit.append(&mut work, now, record).await?;
    work.commit().await?;
    Ok(cleared)
}
