//! Preparing before it is needed: the person sets or changes their recovery PIN in a session
//! opened with a passcode (a device they still have, or a bypass code), and the help desk can
//! clear it so the person sets a new one. Every change is audited with the change and
//! announced on every notification address; the announcement is charged to the daily caps
//! first, so no change is made unannounced.

use recovery_api::{fields, Secret};
use serde_json::json;

use crate::{
    app::App,
    audit::AuditEvent,
    client::Client,
    directory::Person,
    error::RecoveryError,
    flows::{notice, sending, session::require_fresh},
    help_desk::guard::check_reason,
    notify::AccountEvent,
    recovery_pin::{PinChange, PinStatus},
    sending_caps::Sending,
    session::{Session, SessionMethod},
    storage::UnitOfWork,
};

pub async fn status(app: &App, person: &Person) -> Result<PinStatus, RecoveryError> {
    Ok(app.recovery_pins.status(&person.id).await?)
}

/// Sets or replaces the person's PIN; answers what changed and when, as stored (whole seconds). Needs a passcode session from the last few minutes: a
/// session opened with the date of birth + PIN could otherwise replace the PIN it was opened
/// with, and a stolen PIN would keep working for whoever changed it.
pub async fn set(
    app: &App,
    client: &Client,
    session: &Session,
    person: &Person,
    pin: &Secret,
) -> Result<(PinChange, time::OffsetDateTime), RecoveryError> {
    if session.method != SessionMethod::Passcode {
        return Err(RecoveryError::PasscodeSignInRequired);
    }
    require_fresh(app, session)?;
    let date_of_birth = app
        .directory
        .date_of_birth(person)
        .await?
        .ok_or(RecoveryError::DateOfBirthUnknown)?;
    app.config
        .recovery_pin
        .check(pin.expose(), date_of_birth)
        .map_err(RecoveryError::RecoveryPinRejected)?;
    let hash = app.recovery_pins.hash(date_of_birth, pin).await?;

    let charge = sending::charge(app, person, Some(session), &[Sending::Notice]).await?;
    let now = app.clock.now();
    let mut work = UnitOfWork::new(&app.db);
    let change = match app
        .recovery_pins
        .set(&mut work, &person.id, &hash, now)
        .await
    {
        Ok(change) => change,
        Err(error) => {
            sending::refund(charge, work).await;
            return Err(error.into());
        }
    };
    let event = match change {
        PinChange::Set => AccountEvent::RecoveryPinSet,
        PinChange::Changed => AccountEvent::RecoveryPinChanged,
    };
    let detail = json!({ "change": change.as_str(), "by": "person" });
    let recorded = notice::record_change(
        app,
        client,
        person,
        work,
        AuditEvent::RecoveryPinSet,
        detail,
        event,
    )
    .await;
    let stored_at = crate::clock::from_unix(crate::clock::to_unix(now));
    charge.settle(recorded.map(|()| (change, stored_at))).await
}

/// The help desk clears a person's PIN (forgotten, or told to someone): they then set a new
/// one with a passcode, or recover with the help desk. `false` when none was set; nothing is
/// announced then.
pub async fn clear(
    app: &App,
    client: &Client,
    username: &str,
    reason: &str,
) -> Result<bool, RecoveryError> {
    let reason = check_reason(reason)?;
    let username = fields::normalize_username(username)?;
    let person = app
        .directory
        .find_by_username(&username)
        .await?
        .ok_or(RecoveryError::NotFound)?;
    clear_recorded(app, client, &person, &reason, None).await
}

/// [`clear`] for a person already found, with the help desk's audit detail when an agent
/// clears it (the reason is then checked by the guard).
pub async fn clear_recorded(
    app: &App,
    client: &Client,
    person: &Person,
    reason: &str,
    help_desk: Option<serde_json::Value>,
) -> Result<bool, RecoveryError> {
    let person = person.clone();
    let mut work = UnitOfWork::new(&app.db);
    if !app.recovery_pins.clear(&mut work, &person.id).await? {
        work.rollback().await?;
        return Ok(false);
    }
    let detail = notice::with_help_desk(json!({ "by": "help_desk", "reason": reason }), help_desk);
    notice::record_change(
        app,
        client,
        &person,
        work,
        AuditEvent::RecoveryPinCleared,
        detail,
        AccountEvent::RecoveryPinCleared,
    )
    .await?;
    Ok(true)
}
