//! Resyncing a hardware token that gives bad codes.

use recovery_api::{authenticator::Authenticator, Secret};
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
};

pub async fn resync(
    app: &App,
    client: &Client,
    session: &Session,
    person: &Person,
    token_id: &str,
    codes: &[Secret],
) -> Result<Authenticator, RecoveryError> {
    let six_digits =
        |c: &Secret| c.expose().len() == 6 && c.expose().bytes().all(|b| b.is_ascii_digit());
    if !(2..=3).contains(&codes.len()) || !codes.iter().all(six_digits) {
        return Err(RecoveryError::InvalidField(
            recovery_api::fields::FieldError {
                field: "codes",
                message: "Enter 2 or 3 codes in a row from your token, 6 digits each.".to_owned(),
            },
        ));
    }
    let charge = sending::charge(app, person, Some(session), &[Sending::Notice]).await?;
    let resynced = app.mfa.resync_hardware_token(person, token_id, codes).await;
    match charge.settle(resynced).await {
        Ok(token) => {
            let detail = json!({ "authenticator_id": token.id, "codes": codes.len() });
            let notice = AccountEvent::HardwareTokenResynced {
                device: token.name.clone(),
            };
            notice::record_change(
                app,
                client,
                person,
                AuditEvent::HardwareTokenResynced,
                detail,
                notice,
            )
            .await?;
            Ok(token)
        }
        Err(error) => {
            let error = RecoveryError::from(error);
            if matches!(error, RecoveryError::ResyncFailed) {
                let record = AuditRecord {
                    event: AuditEvent::HardwareTokenResyncFailed,
                    outcome: Outcome::Failure,
                    person: Some(person),
                    client: &client.label,
                    detail: json!({ "authenticator_id": token_id }),
                };
                app.audit.record(app.clock.now(), record).await?;
            }
            Err(error)
        }
    }
}
