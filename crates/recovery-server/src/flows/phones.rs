//! Phones: adding a landline proven by a call, and reactivating the phone app on a new phone.

use recovery_api::{authenticator::PhoneType, phone::AddPhone, Secret};
use serde_json::json;

use crate::{
    app::App,
    audit::{AuditEvent, AuditRecord, Outcome},
    client::Client,
    directory::Person,
    error::RecoveryError,
    flows::{notice, sending, session::require_fresh},
    mfa::{Activation, ActivationTexted, PendingPhone, PhoneCheck, ProviderError},
    notify::AccountEvent,
    otp,
    phone_number::{parse_extension, E164Number},
    sending_caps::Sending,
    session::Session,
};

pub async fn add_landline(
    app: &App,
    client: &Client,
    session: &Session,
    person: &Person,
    request: &AddPhone,
) -> Result<PendingPhone, RecoveryError> {
    if request.phone_type != PhoneType::Landline {
        return Err(field_error(
            "type",
            "Only a landline can be added here; set up a mobile with the phone app.",
        ));
    }
    let number = E164Number::parse_landline(&request.number, &app.config.phone_region)?;
    let extension = parse_extension(request.extension.as_deref())?;
    require_fresh(app, session)?;
    let charge = sending::charge(
        app,
        person,
        Some(session),
        &[Sending::Call, Sending::Notice],
    )
    .await?;
    let added = app
        .mfa
        .add_landline(person, &number, extension.as_deref(), app.clock.now())
        .await;
    let pending = charge.settle(added).await?;
    let detail = json!({ "phone_id": pending.id, "number_hint": pending.number_hint, "extension": extension.is_some() });
    let notice = AccountEvent::LandlineAdded {
        number_hint: pending.number_hint.clone(),
    };
    notice::record_change(
        app,
        client,
        person,
        AuditEvent::LandlineAdded,
        detail,
        notice,
    )
    .await?;
    Ok(pending)
}

pub async fn verify_landline(
    app: &App,
    client: &Client,
    session: &Session,
    person: &Person,
    phone_id: &str,
    code: Option<&Secret>,
) -> Result<PhoneCheck, RecoveryError> {
    if let Some(code) = code {
        let code_ok = code.expose().len() == 6 && code.expose().bytes().all(|b| b.is_ascii_digit());
        if !code_ok {
            return Err(field_error(
                "code",
                "The code is the 6 digits the call spoke.",
            ));
        }
    }
    // The notice of a verified phone is charged first; a check that verifies nothing gives
    // it back.
    let charge = sending::charge(app, person, Some(session), &[Sending::Notice]).await?;
    let checked = app
        .mfa
        .verify_phone(person, phone_id, code, app.clock.now())
        .await;
    if !matches!(checked, Ok(PhoneCheck::Verified(_))) {
        charge.give_back().await;
    }
    match checked {
        Ok(PhoneCheck::Verified(phone)) => {
            let number_hint = phone
                .phone
                .as_ref()
                .map(|p| p.number_hint.clone())
                .unwrap_or_default();
            let detail = json!({ "phone_id": phone.id });
            let notice = AccountEvent::LandlineVerified { number_hint };
            notice::record_change(
                app,
                client,
                person,
                AuditEvent::LandlineVerified,
                detail,
                notice,
            )
            .await?;
            Ok(PhoneCheck::Verified(phone))
        }
        Ok(waiting @ PhoneCheck::Waiting(_)) => Ok(waiting),
        Err(error @ (ProviderError::CodeIncorrect { .. } | ProviderError::VerificationExpired)) => {
            let detail = match &error {
                ProviderError::CodeIncorrect { attempts_left } => {
                    json!({ "phone_id": phone_id, "attempts_left": attempts_left })
                }
                _ => json!({ "phone_id": phone_id, "discarded": true }),
            };
            let record = AuditRecord {
                event: AuditEvent::LandlineVerificationFailed,
                outcome: Outcome::Failure,
                person: Some(person),
                client: &client.label,
                detail,
            };
            app.audit.record(app.clock.now(), record).await?;
            Err(error.into())
        }
        Err(error) => Err(error.into()),
    }
}

/// A new single-use activation link for the phone, to show as a QR code.
pub async fn create_activation(
    app: &App,
    client: &Client,
    session: &Session,
    person: &Person,
    phone_id: &str,
) -> Result<Activation, RecoveryError> {
    require_fresh(app, session)?;
    let device = device_name(app, person, phone_id).await?;
    let charge = sending::charge(app, person, Some(session), &[Sending::Notice]).await?;
    let created = app
        .mfa
        .create_activation(person, phone_id, app.clock.now())
        .await;
    let activation = charge.settle(created).await?;
    let detail = json!({ "phone_id": phone_id, "delivery": "shown" });
    let notice = AccountEvent::ActivationLinkCreated { device };
    notice::record_change(
        app,
        client,
        person,
        AuditEvent::ActivationLinkCreated,
        detail,
        notice,
    )
    .await?;
    Ok(activation)
}

/// The same link, texted to the phone's number instead of shown.
pub async fn text_activation(
    app: &App,
    client: &Client,
    session: &Session,
    person: &Person,
    phone_id: &str,
) -> Result<ActivationTexted, RecoveryError> {
    require_fresh(app, session)?;
    let device = device_name(app, person, phone_id).await?;
    let charge = sending::charge(
        app,
        person,
        Some(session),
        &[Sending::Text, Sending::Notice],
    )
    .await?;
    let texted = app
        .mfa
        .send_activation_sms(person, phone_id, app.clock.now())
        .await;
    let sent = charge.settle(texted).await?;
    let detail = json!({ "phone_id": phone_id, "delivery": "sms" });
    let notice = AccountEvent::ActivationLinkCreated { device };
    notice::record_change(
        app,
        client,
        person,
        AuditEvent::ActivationLinkCreated,
        detail,
        notice,
    )
    .await?;
    Ok(sent)
}

/// The new phone opens the link: it gets a fresh TOTP key as an `otpauth://` URI.
pub async fn redeem_activation(
    app: &App,
    client: &Client,
    code: &Secret,
) -> Result<Secret, RecoveryError> {
    let looks_right = (16..=64).contains(&code.expose().len())
        && code
            .expose()
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !looks_right {
        return Err(RecoveryError::ActivationInvalid);
    }
    let activated = app.mfa.redeem_activation(code, app.clock.now()).await?;
    let person = app
        .directory
        .person(&activated.person_id)
        .await?
        .ok_or(RecoveryError::ActivationInvalid)?;
    let uri = otp::otpauth_uri(
        &activated.secret,
        &app.config.organisation.name,
        &person.username,
    );
    let device = device_name(app, &person, &activated.phone_id)
        .await
        .unwrap_or_default();
    let detail = json!({ "phone_id": activated.phone_id });
    let notice = AccountEvent::PhoneAppReactivated { device };
    notice::record_change(
        app,
        client,
        &person,
        AuditEvent::PhoneAppReactivated,
        detail,
        notice,
    )
    .await?;
    Ok(uri)
}

async fn device_name(app: &App, person: &Person, id: &str) -> Result<String, RecoveryError> {
    let devices = app.mfa.authenticators(person, app.clock.now()).await?;
    devices
        .into_iter()
        .find(|d| d.id == id)
        .map(|d| d.name)
        .ok_or(RecoveryError::NotFound)
}

fn field_error(field: &'static str, message: &str) -> RecoveryError {
    RecoveryError::InvalidField(recovery_api::fields::FieldError {
        field,
        message: message.to_owned(),
    })
}
