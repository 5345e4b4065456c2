//! Telling the person, on every notification address, that their account changed.
//! A delivery failure does not undo the change: it is logged, counted and audited.

use serde_json::json;
use time::OffsetDateTime;

use crate::{
    app::App,
    audit::{AuditEvent, AuditRecord, Outcome},
    client::Client,
    directory::Person,
    error::RecoveryError,
    notify::{AccountEvent, EventNotice, Message},
    storage::UnitOfWork,
};
use recovery_api::demo::Channel;

/// A change's audit detail with the help desk's part added under `help_desk`, when an agent
/// made the change.
pub fn with_help_desk(
    mut detail: serde_json::Value,
    help_desk: Option<serde_json::Value>,
) -> serde_json::Value {
    if let (Some(help_desk), Some(object)) = (help_desk, detail.as_object_mut()) {
        object.insert("help_desk".to_owned(), help_desk);
    }
    detail
}

pub async fn tell_person(
    app: &App,
    client: &Client,
    person: &Person,
    event: AccountEvent,
    at: OffsetDateTime,
) -> Result<(), RecoveryError> {
    let notice = EventNotice {
        event,
        display_name: &person.display_name,
        at,
        from: &client.label,
    };
    let organisation = &app.config.organisation;
    for address in &person.notification_emails {
        let message = Message {
            channel: Channel::Email,
            to: address.clone(),
            subject: Some(notice.subject(organisation)),
            body: notice.body(organisation),
        };
        if let Err(error) = app.notifier.send(&message).await {
            tracing::warn!(person = %person.id, %error, "notification not delivered");
            app.metrics.notifications_failed.inc();
            let record = AuditRecord {
                event: AuditEvent::NotificationFailed,
                outcome: Outcome::Failure,
                person: Some(person),
                client: &client.label,
                detail: json!({ "channel": "email", "error": error.to_string() }),
            };
            app.audit.record(at, record).await?;
        }
    }
    Ok(())
}

/// The usual end of a change: its audit record joins the change in `work`, both commit, and
/// only then is the person told (never about a change that did not happen).
pub async fn record_change(
    app: &App,
    client: &Client,
    person: &Person,
    mut work: UnitOfWork,
    audit_event: AuditEvent,
    detail: serde_json::Value,
    notice: AccountEvent,
) -> Result<(), RecoveryError> {
    let now = app.clock.now();
    let record = AuditRecord {
        event: audit_event,
        outcome: Outcome::Success,
        person: Some(person),
        client: &client.label,
        detail,
    };
    app.audit.append(&mut work, now, record).await?;
    work.commit().await?;
    tell_person(app, client, person, notice, now).await
}

/// A failure worth auditing: its record commits with what the provider wrote in `work` on the
/// way (a claimed registration, a discarded phone).
pub async fn record_failure(
    app: &App,
    client: &Client,
    person: &Person,
    mut work: UnitOfWork,
    audit_event: AuditEvent,
    detail: serde_json::Value,
) -> Result<(), RecoveryError> {
    let record = AuditRecord {
        event: audit_event,
        outcome: Outcome::Failure,
        person: Some(person),
        client: &client.label,
        detail,
    };
    app.audit.append(&mut work, app.clock.now(), record).await?;
    work.commit().await?;
    Ok(())
}
