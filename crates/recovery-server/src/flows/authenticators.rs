//! The person's devices, as the MFA system of record holds them: list, rename, remove.

use recovery_api::{
    authenticator::Authenticator,
    fields::{self, FieldError},
    phone::RemovalReason,
};
use serde_json::json;

use crate::{
    app::App,
    audit::{AuditEvent, AuditRecord, Outcome},
    client::Client,
    directory::Person,
    error::RecoveryError,
    flows::{notice, sending},
    notify::AccountEvent,
    sending_caps::Sending,
    session::Session,
    storage::UnitOfWork,
};

pub async fn list(app: &App, person: &Person) -> Result<Vec<Authenticator>, RecoveryError> {
    Ok(app.mfa.authenticators(person, app.clock.now()).await?)
}

pub async fn rename(
    app: &App,
    client: &Client,
    person: &Person,
    id: &str,
    name: &str,
) -> Result<Authenticator, RecoveryError> {
    let name = check_name(name, false)?;
    let mut work = UnitOfWork::new(&app.db);
    let renamed = app
        .mfa
        .rename_authenticator(&mut work, person, id, &name)
        .await?;
    let record = AuditRecord {
        event: AuditEvent::AuthenticatorRenamed,
        outcome: Outcome::Success,
        person: Some(person),
        client: &client.label,
        detail: json!({ "authenticator_id": id }),
    };
    app.audit.append(&mut work, app.clock.now(), record).await?;
    work.commit().await?;
    Ok(renamed)
}

/// Disables a lost, stolen or replaced device at once.
pub async fn remove(
    app: &App,
    client: &Client,
    session: &Session,
    person: &Person,
    id: &str,
    reason: RemovalReason,
) -> Result<Authenticator, RecoveryError> {
    remove_recorded(app, client, Some(session), person, id, reason, None).await
}

/// [`remove`] by the person in their `session`, or by the help desk (no session; the help
/// desk's audit detail goes with the change).
pub async fn remove_recorded(
    app: &App,
    client: &Client,
    session: Option<&Session>,
    person: &Person,
    id: &str,
    reason: RemovalReason,
    help_desk: Option<serde_json::Value>,
) -> Result<Authenticator, RecoveryError> {
    let charge = sending::charge(app, person, session, &[Sending::Notice]).await?;
    let mut work = UnitOfWork::new(&app.db);
    let removed = match app
        .mfa
        .remove_authenticator(&mut work, person, id, reason, app.clock.now())
        .await
    {
        Ok(removed) => removed,
        Err(error) => {
            sending::refund(charge, work).await;
            return Err(error.into());
        }
    };
    let detail = notice::with_help_desk(
        json!({ "authenticator_id": id, "reason": reason.as_str() }),
        help_desk,
    );
    let notice = AccountEvent::DeviceRemoved {
        device: removed.name.clone(),
        reason: reason.as_str().to_owned(),
    };
    notice::record_change(
        app,
        client,
        person,
        work,
        AuditEvent::AuthenticatorRemoved,
        detail,
        notice,
    )
    .await?;
    Ok(removed)
}

/// A device name by the rule the app checks too ([`fields::normalize_device_name`]); empty is
/// allowed where a default exists.
pub fn check_name(name: &str, empty_allowed: bool) -> Result<String, RecoveryError> {
    match fields::normalize_device_name(name)? {
        Some(name) => Ok(name),
        None if empty_allowed => Ok(String::new()),
        None => Err(RecoveryError::InvalidField(FieldError {
            field: "name",
            message: "A device name has 1 to 64 characters.".to_owned(),
        })),
    }
}
