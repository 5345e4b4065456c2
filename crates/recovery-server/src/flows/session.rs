//! Using and ending a recovery session.

use recovery_api::Secret;
use serde_json::json;

use crate::{
    app::App,
    audit::{AuditEvent, AuditRecord, Outcome},
    client::Client,
    directory::Person,
    error::RecoveryError,
    session::{Session, SessionRejection},
    storage::UnitOfWork,
};

/// The live session a bearer token names, and its person.
pub async fn authenticate(app: &App, token: &Secret) -> Result<(Session, Person), RecoveryError> {
    let session = match app.sessions.authenticate(token, app.clock.now()).await? {
        Ok(session) => session,
        Err(SessionRejection::Invalid) => return Err(RecoveryError::SessionInvalid),
        Err(SessionRejection::Expired) => return Err(RecoveryError::SessionExpired),
    };
    let person = app
        .directory
        .person(&session.person_id)
        .await?
        // The person left the directory since: the session is worth nothing.
        .ok_or(RecoveryError::SessionInvalid)?;
    Ok((session, person))
}

pub async fn end(
    app: &App,
    client: &Client,
    session: &Session,
    person: &Person,
) -> Result<(), RecoveryError> {
    let now = app.clock.now();
    let mut work = UnitOfWork::new(&app.db);
    app.sessions.end(&mut work, session, now).await?;
    let record = AuditRecord {
        event: AuditEvent::SessionEnded,
        outcome: Outcome::Success,
        person: Some(person),
        client: &client.label,
        detail: json!({}),
    };
    app.audit.append(&mut work, now, record).await?;
    work.commit().await?;
    Ok(())
}

/// Binding a new factor needs a verification from the last few minutes, whatever the
/// session's own lifetime is configured to.
pub fn require_fresh(app: &App, session: &Session) -> Result<(), RecoveryError> {
    let fresh_for = time::Duration::minutes(i64::from(app.config.devices.fresh_minutes));
    if session.verified_at + fresh_for <= app.clock.now() {
        return Err(RecoveryError::ReverificationRequired);
    }
    Ok(())
}
