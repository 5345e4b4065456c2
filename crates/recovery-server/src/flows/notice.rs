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
    notify::{masked_address, AccountEvent, EventNotice, LinkMail, Message},
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

/// E-mails a single-use link to every notification address; answers the masked addresses it
/// reached. The link is a credential: a failure is logged and audited without it, and when no
/// address took the mail the link went to nobody (`unavailable`; it expires unused).
pub async fn send_link(
    app: &App,
    client: &Client,
    person: &Person,
    mail: &LinkMail<'_>,
) -> Result<Vec<String>, RecoveryError> {
    let organisation = &app.config.organisation;
    let mut reached = Vec::new();
    for address in &person.notification_emails {
        let message = Message {
            channel: Channel::Email,
            to: address.clone(),
            subject: Some(mail.subject(organisation)),
            body: mail.body(organisation).expose().to_owned(),
        };
        match app.notifier.send(&message).await {
            Ok(()) => reached.push(masked_address(address)),
            Err(error) => {
                tracing::warn!(person = %person.id, %error, "a link e-mail was not delivered");
                app.metrics.notifications_failed.inc();
                let record = AuditRecord {
                    event: AuditEvent::NotificationFailed,
                    outcome: Outcome::Failure,
                    person: Some(person),
                    client: &client.label,
                    detail: json!({ "channel": "email", "error": error.to_string(), "link": true }),
                };
                app.audit.record(app.clock.now(), record).await?;
            }
        }
    }
    if reached.is_empty() {
        return Err(RecoveryError::Unavailable(
            "the link e-mail reached no address".to_owned(),
        ));
    }
    Ok(reached)
}
