//! Identify and verify: password, then date of birth + recovery PIN, or a passcode.
//! Success opens a recovery session. Every failure gives the same answer, whatever failed.

use recovery_api::{fields, session::CreateSession, Secret};
use serde_json::json;
use time::OffsetDateTime;

use crate::{
    app::App,
    audit::{AuditEvent, AuditRecord, Outcome},
    client::Client,
    directory::{Person, RecoveryKnowledge},
    error::{RecoveryError, RetryAt},
    mfa::Passcode,
    throttle::{AfterFailure, Refusal},
};

/// A verified person and their new session.
#[derive(Debug)]
pub struct OpenedSession {
    pub token: Secret,
    pub expires_at: OffsetDateTime,
    pub person: Person,
}

/// The second check, parsed.
#[derive(Debug)]
enum Proof {
    Knowledge(RecoveryKnowledge),
    Passcode(Passcode),
}

impl Proof {
    fn method(&self) -> &'static str {
        match self {
            Self::Knowledge(_) => "date_of_birth_and_pin",
            Self::Passcode(_) => "passcode",
        }
    }
}

pub async fn open_session(
    app: &App,
    client: &Client,
    request: &CreateSession,
) -> Result<OpenedSession, RecoveryError> {
    let username = fields::normalize_username(&request.username)?;
    fields::check_password(request.password.expose())?;
    let proof = parse_proof(request, app.clock.now().date())?;
    let now = app.clock.now();

    let reservation = match app
        .throttle
        .reserve(&username, &client.throttle_key, now)
        .await?
    {
        Ok(reservation) => reservation,
        Err(refusal) => {
            app.metrics.count_verification("refused");
            let known = app.directory.find_by_username(&username).await?;
            let detail = json!({ "method": proof.method(), "refusal": refusal_name(&refusal) });
            record(
                app,
                now,
                AuditEvent::VerificationRefused,
                Outcome::Refused,
                known.as_ref(),
                client,
                detail,
            )
            .await?;
            return Err(match refusal {
                Refusal::Locked { until } => {
                    RecoveryError::Locked(until.map(|at| RetryAt::new(at, now)))
                }
                Refusal::TooManyAttempts { retry_at } => {
                    RecoveryError::TooManyAttempts(RetryAt::new(retry_at, now))
                }
            });
        }
    };

    let verified = match &proof {
        Proof::Knowledge(knowledge) => {
            app.directory
                .verify(&username, &request.password, Some(knowledge))
                .await?
        }
        Proof::Passcode(passcode) => {
            match app
                .directory
                .verify(&username, &request.password, None)
                .await?
            {
                Some(person) => app
                    .mfa
                    .redeem_passcode(&person, passcode, now)
                    .await?
                    .then_some(person),
                None => {
                    // The same work as checking a wrong passcode.
                    app.hasher
                        .verify_dummy(passcode.digits().expose().as_bytes())
                        .await?;
                    None
                }
            }
        }
    };

    let Some(person) = verified else {
        let after = app.throttle.failed(reservation, now).await?;
        app.metrics.count_verification("failure");
        let known = app.directory.find_by_username(&username).await?;
        let lock = match after {
            AfterFailure::StillOpen => None,
            AfterFailure::Locked { until: Some(_) } => Some("temporary"),
            AfterFailure::Locked { until: None } => Some("help_desk"),
        };
        let detail = json!({ "method": proof.method(), "lock": lock });
        record(
            app,
            now,
            AuditEvent::VerificationFailed,
            Outcome::Failure,
            known.as_ref(),
            client,
            detail,
        )
        .await?;
        return Err(match after {
            AfterFailure::StillOpen => RecoveryError::VerificationFailed,
            AfterFailure::Locked { until } => {
                RecoveryError::Locked(until.map(|at| RetryAt::new(at, now)))
            }
        });
    };

    app.throttle.succeeded(reservation).await?;
    let (token, expires_at) = app.sessions.open(&person.id, &client.label, now).await?;
    app.metrics.count_verification("success");
    let detail = json!({ "method": proof.method() });
    record(
        app,
        now,
        AuditEvent::SessionOpened,
        Outcome::Success,
        Some(&person),
        client,
        detail,
    )
    .await?;
    Ok(OpenedSession {
        token,
        expires_at,
        person,
    })
}

/// Exactly one of date of birth + PIN, or passcode; a date of birth is not after `today`.
fn parse_proof(request: &CreateSession, today: time::Date) -> Result<Proof, RecoveryError> {
    let missing = |field: &'static str, message: &str| {
        RecoveryError::InvalidField(fields::FieldError {
            field,
            message: message.to_owned(),
        })
    };
    match (&request.date_of_birth, &request.pin, &request.passcode) {
        (Some(date), Some(pin), None) => {
            let date_of_birth = fields::parse_date_of_birth(date, today)?;
            fields::check_pin(pin.expose())?;
            Ok(Proof::Knowledge(RecoveryKnowledge {
                date_of_birth,
                pin: pin.clone(),
            }))
        }
        (None, None, Some(passcode)) => Ok(Proof::Passcode(Passcode::parse(passcode)?)),
        (Some(_), None, None) => Err(missing("pin", "Enter your recovery PIN.")),
        (None, Some(_), None) => Err(missing("date_of_birth", "Enter your date of birth.")),
        (None, None, None) => Err(missing(
            "date_of_birth",
            "Enter your date of birth and recovery PIN, or a passcode.",
        )),
        (_, _, Some(_)) => Err(missing(
            "passcode",
            "Send either a passcode, or date of birth and recovery PIN, not both.",
        )),
    }
}

fn refusal_name(refusal: &Refusal) -> &'static str {
    match refusal {
        Refusal::Locked { until: Some(_) } => "locked_temporarily",
        Refusal::Locked { until: None } => "locked_until_help_desk",
        Refusal::TooManyAttempts { .. } => "too_many_attempts",
    }
}

async fn record(
    app: &App,
    at: OffsetDateTime,
    event: AuditEvent,
    outcome: Outcome,
    person: Option<&Person>,
    client: &Client,
    detail: serde_json::Value,
) -> Result<(), RecoveryError> {
    let record = AuditRecord {
        event,
        outcome,
        person,
        client: &client.label,
        detail,
    };
    app.audit.record(at, record).await?;
    Ok(())
}
