//! The person's devices, as the MFA system of record holds them: list, rename, remove.

use recovery_api::{authenticator::Authenticator, fields::FieldError, phone::RemovalReason};
use serde_json::json;

use crate::{
    app::App,
    audit::{AuditEvent, AuditRecord, Outcome},
    client::Client,
    directory::Person,
    error::RecoveryError,
    flows::notice,
    notify::AccountEvent,
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
    person: &Person,
    id: &str,
    reason: RemovalReason,
) -> Result<Authenticator, RecoveryError> {
    let mut work = UnitOfWork::new(&app.db);
    let removed = app
        .mfa
        .remove_authenticator(&mut work, person, id, reason, app.clock.now())
        .await?;
    let detail = json!({ "authenticator_id": id, "reason": reason.as_str() });
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

/// A device name: 1 to 64 printable characters (empty allowed where a default exists).
pub fn check_name(name: &str, empty_allowed: bool) -> Result<String, RecoveryError> {
    let name = name.trim();
    let ok = (empty_allowed || !name.is_empty())
        && name.chars().count() <= 64
        && !name.chars().any(char::is_control);
    if ok {
        Ok(name.to_owned())
    } else {
        Err(RecoveryError::InvalidField(FieldError {
            field: "name",
            message: "A device name has 1 to 64 characters.".to_owned(),
        }))
    }
}
