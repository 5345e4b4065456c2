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
};
use recovery_api::demo::Channel;

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

/// The usual end of a change: one audit record, then the notice to the person.
pub async fn record_change(
    app: &App,
    client: &Client,
    person: &Person,
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
    app.audit.record(now, record).await?;
    tell_person(app, client, person, notice, now).await
}
