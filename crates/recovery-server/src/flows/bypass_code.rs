//! Issuing bypass codes: by the person in a recovery session, or by the help desk.
//! Every code issued is audited in the same transaction that stores it, then announced on
//! every notification address: a code a client was told about always has its audit record.

use serde_json::json;
use time::Duration;

use crate::{
    app::App,
    audit::{AuditEvent, AuditRecord, Outcome},
    client::Client,
    directory::Person,
    error::RecoveryError,
    flows::notice::with_help_desk,
    flows::{notice, sending},
    mfa::{BypassCodeOrigin, IssuedBypassCode},
    notify::AccountEvent,
    sending_caps::Sending,
    session::Session,
    storage::UnitOfWork,
};

/// A code the person asks for in their recovery session. Its notice is charged to the daily
/// caps first: when they are reached no code is issued, so none is ever issued unannounced.
pub async fn issue_self_service(
    app: &App,
    client: &Client,
    session: &Session,
    person: &Person,
) -> Result<IssuedBypassCode, RecoveryError> {
    let charge = sending::charge(app, person, Some(session), &[Sending::Notice]).await?;
    let issued = issue(app, client, person, BypassCodeOrigin::SelfService, None).await;
    charge.settle(issued).await
}

pub async fn issue(
    app: &App,
    client: &Client,
    person: &Person,
    origin: BypassCodeOrigin,
    valid_for: Option<Duration>,
) -> Result<IssuedBypassCode, RecoveryError> {
    issue_recorded(app, client, person, origin, valid_for, None).await
}

/// [`issue`], with the help desk's part of the audit detail (`detail.help_desk`, see
/// [`crate::help_desk::Authorized::audit_detail`]) recorded with the code.
pub async fn issue_recorded(
    app: &App,
    client: &Client,
    person: &Person,
    origin: BypassCodeOrigin,
    valid_for: Option<Duration>,
    help_desk: Option<serde_json::Value>,
) -> Result<IssuedBypassCode, RecoveryError> {
    let now = app.clock.now();
    let valid_for = valid_for
        .unwrap_or_else(|| Duration::seconds(i64::from(app.config.bypass_code.valid_seconds)));
    let mut work = UnitOfWork::new(&app.db);
    let issued = app
        .mfa
        .issue_bypass_code(&mut work, person, origin, valid_for, now)
        .await?;
    let record = AuditRecord {
        event: AuditEvent::BypassCodeIssued,
        outcome: Outcome::Success,
        person: Some(person),
        client: &client.label,
        detail: with_help_desk(
            json!({
                "origin": origin.as_str(),
                "valid_seconds": valid_for.whole_seconds(),
            }),
            help_desk,
        ),
    };
    app.audit.append(&mut work, now, record).await?;
    work.commit().await?;
    app.metrics.bypass_codes_issued.inc();
    let event = match origin {
        BypassCodeOrigin::SelfService => AccountEvent::BypassCodeCreated,
        BypassCodeOrigin::HelpDesk => AccountEvent::HelpDeskBypassCodeCreated,
    };
    notice::tell_person(app, client, person, event, now).await?;
    Ok(issued)
}
