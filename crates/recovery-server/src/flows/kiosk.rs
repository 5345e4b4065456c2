//! Kiosk enrollment, from both ends: the help desk's token, the kiosk's trade.

use recovery_api::Secret;
use serde_json::json;
use time::Duration;

use crate::{
    app::App,
    audit::{AuditEvent, AuditRecord, Outcome},
    client::Client,
    error::RecoveryError,
    kiosk::Kiosk,
    storage::UnitOfWork,
};

pub async fn create_enrollment(app: &App, name: &str) -> Result<(Kiosk, Secret), RecoveryError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(RecoveryError::InvalidField(
            recovery_api::fields::FieldError {
                field: "name",
                message: "A kiosk name has 1 to 80 characters.".to_owned(),
            },
        ));
    }
    let now = app.clock.now();
    let valid_for = Duration::hours(i64::from(app.config.kiosk.enrollment_valid_hours));
    let mut work = UnitOfWork::new(&app.db);
    let (kiosk, token) = app
        .kiosks
        .create_enrollment(&mut work, name, valid_for, now)
        .await?;
    let record = AuditRecord {
        event: AuditEvent::KioskTokenIssued,
        outcome: Outcome::Success,
        person: None,
        client: &Client::admin_cli().label,
        detail: json!({ "kiosk_id": kiosk.id, "kiosk_name": kiosk.name }),
    };
    app.audit.append(&mut work, now, record).await?;
    work.commit().await?;
    Ok((kiosk, token))
}

pub async fn enroll(
    app: &App,
    client: &Client,
    enrollment_token: &Secret,
) -> Result<(Kiosk, Secret), RecoveryError> {
    let now = app.clock.now();
    let mut work = UnitOfWork::new(&app.db);
    let Some((kiosk, credential)) = app.kiosks.enroll(&mut work, enrollment_token, now).await?
    else {
        let record = AuditRecord {
            event: AuditEvent::KioskEnrolled,
            outcome: Outcome::Failure,
            person: None,
            client: &client.label,
            detail: json!({}),
        };
        app.audit.append(&mut work, now, record).await?;
        work.commit().await?;
        return Err(RecoveryError::EnrollmentTokenInvalid);
    };
    let record = AuditRecord {
        event: AuditEvent::KioskEnrolled,
        outcome: Outcome::Success,
        person: None,
        client: &client.label,
        detail: json!({ "kiosk_id": kiosk.id, "kiosk_name": kiosk.name }),
    };
    app.audit.append(&mut work, now, record).await?;
    work.commit().await?;
    Ok((kiosk, credential))
}
