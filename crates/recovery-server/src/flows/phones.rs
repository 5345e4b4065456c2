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
    storage::UnitOfWork,
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
    let mut work = UnitOfWork::new(&app.db);
    let pending = match app
        .mfa
        .add_landline(
            &mut work,
            person,
            &number,
            extension.as_deref(),
            app.clock.now(),
        )
        .await
    {
        Ok(pending) => pending,
        Err(error) => {
            sending::refund(charge, work).await;
            return Err(error.into());
        }
    };
    let detail = json!({ "phone_id": pending.id, "number_hint": pending.number_hint, "extension": extension.is_some() });
    let notice = AccountEvent::LandlineAdded {
        number_hint: pending.number_hint.clone(),
    };
    notice::record_change(
        app,
        client,
        person,
        work,
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
    let mut work = UnitOfWork::new(&app.db);
    match app
        .mfa
        .verify_phone(&mut work, person, phone_id, code, app.clock.now())
        .await
    {
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
                work,
                AuditEvent::LandlineVerified,
                detail,
                notice,
            )
            .await?;
            Ok(PhoneCheck::Verified(phone))
        }
        Ok(waiting @ PhoneCheck::Waiting(_)) => {
            sending::refund(charge, work).await;
            Ok(waiting)
        }
        Err(error @ (ProviderError::CodeIncorrect { .. } | ProviderError::VerificationExpired)) => {
            let detail = match &error {
                ProviderError::CodeIncorrect { attempts_left } => {
                    json!({ "phone_id": phone_id, "attempts_left": attempts_left })
                }
                _ => json!({ "phone_id": phone_id, "discarded": true }),
            };
            let recorded = notice::record_failure(
                app,
                client,
                person,
                work,
                AuditEvent::LandlineVerificationFailed,
                detail,
            )
            .await;
            charge.give_back().await;
            recorded?;
            Err(error.into())
        }
        Err(error) => {
            sending::refund(charge, work).await;
            Err(error.into())
        }
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
    create_activation_as(app, client, Some(session), person, phone_id, "shown", None).await
}

/// [`create_activation`] for a recovery session or the help desk (`session` none, its
/// `help_desk` detail joining the audit record); `delivery` says where the link goes.
pub async fn create_activation_as(
    app: &App,
    client: &Client,
    session: Option<&Session>,
    person: &Person,
    phone_id: &str,
    delivery: &'static str,
    help_desk: Option<serde_json::Value>,
) -> Result<Activation, RecoveryError> {
    let device = device_name(app, person, phone_id).await?;
    let charge = sending::charge(app, person, session, &[Sending::Notice]).await?;
    let mut work = UnitOfWork::new(&app.db);
    let activation = match app
        .mfa
        .create_activation(&mut work, person, phone_id, app.clock.now())
        .await
    {
        Ok(activation) => activation,
        Err(error) => {
            sending::refund(charge, work).await;
            return Err(error.into());
        }
    };
    let mut detail = json!({ "phone_id": phone_id, "delivery": delivery });
    if let Some(help_desk) = help_desk {
        detail["help_desk"] = help_desk;
    }
    let notice = AccountEvent::ActivationLinkCreated { device };
    notice::record_change(
        app,
        client,
        person,
        work,
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
    text_activation_as(app, client, Some(session), person, phone_id, None).await
}

/// [`text_activation`] for a recovery session or the help desk (`session` none, its
/// `help_desk` detail joining the audit record).
pub async fn text_activation_as(
    app: &App,
    client: &Client,
    session: Option<&Session>,
    person: &Person,
    phone_id: &str,
    help_desk: Option<serde_json::Value>,
) -> Result<ActivationTexted, RecoveryError> {
    let device = device_name(app, person, phone_id).await?;
    let charge = sending::charge(app, person, session, &[Sending::Text, Sending::Notice]).await?;
    let mut work = UnitOfWork::new(&app.db);
    let sent = match app
        .mfa
        .send_activation_sms(&mut work, person, phone_id, app.clock.now())
        .await
    {
        Ok(sent) => sent,
        Err(error) => {
            sending::refund(charge, work).await;
            return Err(error.into());
        }
    };
    let mut detail = json!({ "phone_id": phone_id, "delivery": "sms" });
    if let Some(help_desk) = help_desk {
        detail["help_desk"] = help_desk;
    }
    let notice = AccountEvent::ActivationLinkCreated { device };
    notice::record_change(
        app,
        client,
        person,
        work,
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
    let mut work = UnitOfWork::new(&app.db);
    let now = app.clock.now();
    let activated = app.mfa.redeem_activation(&mut work, code, now).await?;
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
    let record = AuditRecord {
        event: AuditEvent::PhoneAppReactivated,
        outcome: Outcome::Success,
        person: Some(&person),
        client: &client.label,
        detail: json!({ "phone_id": activated.phone_id }),
    };
    app.audit.append(&mut work, now, record).await?;
    work.commit().await?;
    // Listing devices may tidy expired ones up: only after the commit.
    let device = device_name(app, &person, &activated.phone_id)
        .await
        .unwrap_or_default();
    let notice = AccountEvent::PhoneAppReactivated { device };
    notice::tell_person(app, client, &person, notice, now).await?;
    Ok(uri)
}

/// The device's name as the person sees it; `not_found` when it is not theirs.
pub async fn device_name(app: &App, person: &Person, id: &str) -> Result<String, RecoveryError> {
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
