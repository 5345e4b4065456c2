//! Registering a security key: the service issues creation options, the app runs the CTAP2
//! ceremony, the service checks the answer and keeps the credential.

use recovery_api::{
    authenticator::Authenticator,
    security_key::{FinishRegistration, RegistrationStarted},
};
use serde_json::json;

use crate::{
    app::App,
    audit::{AuditEvent, AuditRecord, Outcome},
    client::Client,
    directory::Person,
    error::RecoveryError,
    flows::{notice, sending, session::require_fresh},
    notify::AccountEvent,
    sending_caps::Sending,
    session::Session,
    storage::UnitOfWork,
};

pub async fn start(
    app: &App,
    client: &Client,
    session: &Session,
    person: &Person,
) -> Result<RegistrationStarted, RecoveryError> {
    require_fresh(app, session)?;
    let mut work = UnitOfWork::new(&app.db);
    let started = app
        .mfa
        .start_security_key_registration(&mut work, person, app.clock.now())
        .await?;
    let record = AuditRecord {
        event: AuditEvent::SecurityKeyRegistrationStarted,
        outcome: Outcome::Success,
        person: Some(person),
        client: &client.label,
        detail: json!({ "registration_id": started.id }),
    };
    app.audit.append(&mut work, app.clock.now(), record).await?;
    work.commit().await?;
    Ok(started)
}

pub async fn finish(
    app: &App,
    client: &Client,
    session: &Session,
    person: &Person,
    registration_id: &str,
    request: &FinishRegistration,
) -> Result<Authenticator, RecoveryError> {
    let name = super::authenticators::check_name(&request.name, true)?;
    require_fresh(app, session)?;
    let charge = sending::charge(app, person, Some(session), &[Sending::Notice]).await?;
    let mut work = UnitOfWork::new(&app.db);
    let result = app
        .mfa
        .finish_security_key_registration(
            &mut work,
            person,
            registration_id,
            &name,
            &request.credential,
            app.clock.now(),
        )
        .await;
    match result {
        Ok(key) => {
            let detail = json!({ "authenticator_id": key.id, "registration_id": registration_id });
            let notice = AccountEvent::SecurityKeyRegistered {
                device: key.name.clone(),
            };
            notice::record_change(
                app,
                client,
                person,
                work,
                AuditEvent::SecurityKeyRegistered,
                detail,
                notice,
            )
            .await?;
            Ok(key)
        }
        Err(error) => {
            let error = RecoveryError::from(error);
            let detail = json!({ "registration_id": registration_id, "reason": error.to_string() });
            let recorded = notice::record_failure(
                app,
                client,
                person,
                work,
                AuditEvent::SecurityKeyRegistrationFailed,
                detail,
            )
            .await;
            charge.give_back().await;
            recorded?;
            Err(error)
        }
    }
}
