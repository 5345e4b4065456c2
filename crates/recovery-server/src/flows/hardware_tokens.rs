//! Resyncing a hardware token that gives bad codes.

use recovery_api::{authenticator::Authenticator, Secret};
use serde_json::json;

use crate::{
    app::App,
    audit::AuditEvent,
    client::Client,
    directory::Person,
    error::RecoveryError,
    flows::{notice, sending},
    notify::AccountEvent,
    sending_caps::Sending,
    session::Session,
    storage::UnitOfWork,
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
    let mut work = UnitOfWork::new(&app.db);
    match app
        .mfa
        .resync_hardware_token(&mut work, person, token_id, codes)
        .await
    {
        Ok(token) => {
            let detail = json!({ "authenticator_id": token.id, "codes": codes.len() });
            let notice = AccountEvent::HardwareTokenResynced {
                device: token.name.clone(),
            };
            notice::record_change(
                app,
                client,
                person,
                work,
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
                let detail = json!({ "authenticator_id": token_id });
                let recorded = notice::record_failure(
                    app,
                    client,
                    person,
                    work,
                    AuditEvent::HardwareTokenResyncFailed,
                    detail,
                )
                .await;
                charge.give_back().await;
                recorded?;
            } else {
                sending::refund(charge, work).await;
            }
            Err(error)
        }
    }
}
