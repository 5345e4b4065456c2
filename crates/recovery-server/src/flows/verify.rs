//! Identify and verify: password, then date of birth + recovery PIN, or a passcode.
//! Success opens a recovery session. Every failure gives the same answer, whatever failed.

use recovery_api::{fields, session::CreateSession, Secret};
use serde_json::json;
use time::OffsetDateTime;

use crate::{
    app::App,
    audit::{AuditEvent, AuditRecord, Outcome},
    client::Client,
    directory::{PasswordCheck, PasswordRefusal, Person},
    error::{RecoveryError, RetryAt},
    mfa::Passcode,
    session::SessionMethod,
    storage::UnitOfWork,
    throttle::{AfterFailure, Refusal},
};

/// The second check after the password, as typed.
#[derive(Debug)]
struct Knowledge {
    date_of_birth: time::Date,
    pin: Secret,
}

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
    Knowledge(Knowledge),
    Passcode(Passcode),
}

impl Proof {
    fn method(&self) -> &'static str {
        match self {
            Self::Knowledge(_) => "date_of_birth_and_pin",
            Self::Passcode(_) => "passcode",
        }
    }

    fn session_method(&self) -> SessionMethod {
        match self {
            Self::Knowledge(_) => SessionMethod::DateOfBirthAndPin,
            Self::Passcode(_) => SessionMethod::Passcode,
        }
    }
}

/// When every place in the verification queue is taken, ask to come back this much later.
const BUSY_RETRY_SECONDS: i64 = 2;

/// [`open_session`], run to its end on its own task: a client that hangs up mid-check does not
/// cancel it, so the attempt is still counted and audited, and its hashing slot is freed only
/// when its hash is done. Refused with [`RecoveryError::Busy`] when the verification queue is
/// full, before anything is charged or checked.
pub async fn open_session_to_the_end(
    app: &App,
    client: Client,
    request: CreateSession,
) -> Result<OpenedSession, RecoveryError> {
    let Some(place) = app.verification_queue.enter() else {
        app.metrics.count_verification("busy");
        let now = app.clock.now();
        let retry_at = now + time::Duration::seconds(BUSY_RETRY_SECONDS);
        return Err(RecoveryError::Busy(RetryAt::new(retry_at, now)));
    };
    let app = app.clone();
    let verification = tokio::spawn(async move {
        let _place = place;
        open_session(&app, &client, &request).await
    });
    verification.await.map_err(|error| {
        RecoveryError::Internal(format!("the verification task failed: {error}"))
    })?
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

    // The passcode's consumption, the new session (ending the older ones) and the audit record
    // commit together or not at all.
    let mut work = UnitOfWork::new(&app.db);
    // The password and the second check are both checked whatever the first says, so every
    // failure costs the same work.
    let password = app
        .directory
        .verify_password(&username, &request.password)
        .await?;
    let refusal = match &password {
        PasswordCheck::Refused(reason) => Some(*reason),
        PasswordCheck::Verified(_) => None,
    };
    let verified = match (password.verified(), &proof) {
        (person, Proof::Knowledge(knowledge)) => {
            let pin_ok = app
                .recovery_pins
                .check(
                    person.as_ref().map(|p| &p.id),
                    knowledge.date_of_birth,
                    &knowledge.pin,
                )
                .await?;
            person.filter(|_| pin_ok)
        }
        (Some(person), Proof::Passcode(passcode)) => app
            .mfa
            .redeem_passcode(&mut work, &person, passcode, now)
            .await?
            .then_some(person),
        (None, Proof::Passcode(passcode)) => {
            // The same work as checking a wrong passcode.
            app.hasher
                .verify_dummy(passcode.digits().expose().as_bytes())
                .await?;
            None
        }
    };

    let Some(person) = verified else {
        // A code found already spent leaves the transaction open: give its lock back first.
        work.rollback().await?;
        let after = app.throttle.failed(reservation, now).await?;
        app.metrics.count_verification("failure");
        let known = app.directory.find_by_username(&username).await?;
        let lock = match after {
            AfterFailure::StillOpen => None,
            AfterFailure::Locked { until: Some(_) } => Some("temporary"),
            AfterFailure::Locked { until: None } => Some("help_desk"),
        };
        // Inward only: an account state the directory refused (AD: expired, disabled, locked
        // out…) tells the help desk what to fix; the person hears the same as for a typo.
        let directory_refusal = refusal
            .filter(|reason| *reason != PasswordRefusal::Invalid)
            .map(PasswordRefusal::as_str);
        let detail = json!({
            "method": proof.method(),
            "lock": lock,
            "directory_refusal": directory_refusal,
        });
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

    let session = app
        .sessions
        .open(
            &mut work,
            &person.id,
            proof.session_method(),
            &client.label,
            now,
        )
        .await?;
    let record = AuditRecord {
        event: AuditEvent::SessionOpened,
        outcome: Outcome::Success,
        person: Some(&person),
        client: &client.label,
        detail: json!({ "method": proof.method(), "ended_sessions": session.ended_older }),
    };
    app.audit.append(&mut work, now, record).await?;
    work.commit().await?;
    // After the commit: on SQLite the open transaction holds the one write lock.
    app.throttle.succeeded(reservation).await?;
    app.metrics.count_verification("success");
    upgrade_hashes(app, &person, request, &proof).await;
    Ok(OpenedSession {
        token: session.token,
        expires_at: session.expires_at,
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
            Ok(Proof::Knowledge(Knowledge {
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

/// After a success: hashes stored at another cost than the configured one are redone. A failure
/// here costs nothing but the upgrade, so it is only logged.
async fn upgrade_hashes(app: &App, person: &Person, request: &CreateSession, proof: &Proof) {
    if let Err(error) = app
        .directory
        .after_verification(person, &request.password)
        .await
    {
        tracing::warn!(%error, "an outdated password hash was not upgraded");
    }
    if let Proof::Knowledge(knowledge) = proof {
        if let Err(error) = app
            .recovery_pins
            .upgrade(&person.id, knowledge.date_of_birth, &knowledge.pin)
            .await
        {
            tracing::warn!(%error, "an outdated recovery PIN hash was not upgraded");
        }
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
