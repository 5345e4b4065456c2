//! Agents sign in: password first, always, then their own passcode or a security-key assertion
//! (user verified). Every failure is `verification_failed`, throttled like self-service (the
//! same `Throttle`, by username and client). An unknown username, a person who is no agent and
//! an agent with a wrong password cost the same work: the password is always checked, and the
//! second factor gets the same work (a hash for a passcode, a challenge claimed for a key).

use recovery_api::{
    fields::{self, PasscodeKind},
    help_desk::{
        AgentSessionCreated, AgentSignInMethod, CreateAgentSession, KeyAssertion, KeySignInStarted,
        StartKeySignIn,
    },
    security_key::{FinishRegistration, RegistrationStarted},
};
use serde_json::json;
use time::OffsetDateTime;

use super::summary;
use crate::{
    app::App,
    audit::{AuditEvent, AuditRecord, Outcome},
    client::Client,
    directory::{PasswordCheck, PasswordRefusal, Person},
    error::{RecoveryError, RetryAt},
    flows::{authenticators::check_name, notice},
    help_desk::{agents, sessions::method_name, Agent, AgentSession},
    mfa::Passcode,
    notify::AccountEvent,
    storage::UnitOfWork,
    throttle::{AfterFailure, Refusal},
};

/// The second factor, parsed.
#[derive(Debug)]
enum Proof<'a> {
    Passcode(Passcode),
    Key(&'a KeyAssertion),
}

impl Proof<'_> {
    fn method(&self) -> AgentSignInMethod {
        match self {
            Self::Passcode(_) => AgentSignInMethod::Passcode,
            Self::Key(_) => AgentSignInMethod::SecurityKey,
        }
    }
}

/// When every place in the verification queue is taken, ask to come back this much later.
const BUSY_RETRY_SECONDS: i64 = 2;

/// The assertion options for the agent's keys, or options of the same shape for anyone else.
pub async fn start_key_sign_in(
    app: &App,
    request: &StartKeySignIn,
) -> Result<KeySignInStarted, RecoveryError> {
    let username = fields::normalize_username(&request.username)?;
    let person = app.directory.find_by_username(&username).await?;
    let agent = match &person {
        Some(person) => agents::role_of(&app.config.help_desk, app.directory.as_ref(), person)
            .await?
            .map(|_| &person.id),
        None => None,
    };
    app.help_desk
        .keys
        .start_sign_in(&username, agent, app.clock.now())
        .await
        .map_err(RecoveryError::SecurityKey)
}

/// [`create_session`] on its own task, so that a client hanging up does not cancel a check
/// half-way; refused with `service_busy` when the verification queue is full.
pub async fn create_session_to_the_end(
    app: &App,
    client: Client,
    request: CreateAgentSession,
) -> Result<AgentSessionCreated, RecoveryError> {
    let Some(place) = app.verification_queue.enter() else {
        let now = app.clock.now();
        let retry_at = now + time::Duration::seconds(BUSY_RETRY_SECONDS);
        return Err(RecoveryError::Busy(RetryAt::new(retry_at, now)));
    };
    let app = app.clone();
    let signing_in = tokio::spawn(async move {
        let _place = place;
        create_session(&app, &client, &request).await
    });
    signing_in
        .await
        .map_err(|error| RecoveryError::Internal(format!("the sign-in task failed: {error}")))?
}

pub async fn create_session(
    app: &App,
    client: &Client,
    request: &CreateAgentSession,
) -> Result<AgentSessionCreated, RecoveryError> {
    let username = fields::normalize_username(&request.username)?;
    fields::check_password(request.password.expose())?;
    let proof = parse_proof(request)?;
    let method = proof.method();
    let now = app.clock.now();

    let reservation = match app
        .throttle
        .reserve(&username, &client.throttle_key, now)
        .await?
    {
        Ok(reservation) => reservation,
        Err(refusal) => {
            let known = app.directory.find_by_username(&username).await?;
            let detail =
                json!({ "method": method_name(method), "refusal": refusal_name(&refusal) });
            record(app, now, Outcome::Refused, known.as_ref(), client, detail).await?;
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

    // The passcode's consumption (or the challenge's), the new session and the audit record
    // commit together or not at all.
    let mut work = UnitOfWork::new(&app.db);
    let password = app
        .directory
        .verify_password(&username, &request.password)
        .await?;
    let directory_refusal = match &password {
        PasswordCheck::Refused(reason) if *reason != PasswordRefusal::Invalid => {
            Some(reason.as_str())
        }
        _ => None,
    };
    let agent = match password.verified() {
        Some(person) => agents::role_of(&app.config.help_desk, app.directory.as_ref(), &person)
            .await?
            .map(|role| Agent { person, role }),
        None => None,
    };
    let (passed, key_refusal) = match (&agent, &proof) {
        (Some(agent), Proof::Passcode(passcode)) => (
            app.mfa
                .redeem_passcode(&mut work, &agent.person, passcode, now)
                .await?,
            None,
        ),
        (None, Proof::Passcode(passcode)) => {
            // The same work as checking a wrong passcode.
            app.hasher
                .verify_dummy(passcode.digits().expose().as_bytes())
                .await?;
            (false, None)
        }
        (agent, Proof::Key(assertion)) => {
            let checked = app
                .help_desk
                .keys
                .check_sign_in(
                    &mut work,
                    &assertion.challenge_id,
                    &username,
                    agent.as_ref().map(|a| &a.person.id),
                    &assertion.credential,
                    now,
                )
                .await?;
            (checked.is_ok(), checked.err())
        }
    };

    let Some(agent) = agent.filter(|_| passed) else {
        work.rollback().await?;
        let after = app.throttle.failed(reservation, now).await?;
        let known = app.directory.find_by_username(&username).await?;
        let lock = match after {
            AfterFailure::StillOpen => None,
            AfterFailure::Locked { until: Some(_) } => Some("temporary"),
            AfterFailure::Locked { until: None } => Some("help_desk"),
        };
        let detail = json!({
            "method": method_name(method),
            "lock": lock,
            "directory_refusal": directory_refusal,
            "security_key": key_refusal.map(|r| r.as_str()),
        });
        record(app, now, Outcome::Failure, known.as_ref(), client, detail).await?;
        return Err(match after {
            AfterFailure::StillOpen => RecoveryError::VerificationFailed,
            AfterFailure::Locked { until } => {
                RecoveryError::Locked(until.map(|at| RetryAt::new(at, now)))
            }
        });
    };

    let opened = app
        .help_desk
        .sessions
        .open(
            &mut work,
            &agent.person.id,
            agent.role.as_str(),
            method,
            &client.label,
            now,
        )
        .await?;
    let record = AuditRecord {
        event: AuditEvent::HelpDeskSignIn,
        outcome: Outcome::Success,
        person: Some(&agent.person),
        client: &client.label,
        detail: json!({
            "method": method_name(method),
            "role": agent.role.as_str(),
            "agent_session": opened.id,
            "ended_sessions": opened.ended_older,
        }),
    };
    app.audit.append(&mut work, now, record).await?;
    work.commit().await?;
    app.throttle.succeeded(reservation).await?;
    if let Err(error) = app
        .directory
        .after_verification(&agent.person, &request.password)
        .await
    {
        tracing::warn!(%error, "an outdated password hash was not upgraded");
    }
    let session = AgentSession {
        id: opened.id,
        agent,
        method,
        signed_in_at: now,
        expires_at: opened.expires_at,
    };
    Ok(AgentSessionCreated {
        token: opened.token,
        expires_at: opened.expires_at,
        agent: summary(app, &session).await?,
    })
}

/// Exactly one of a passcode (6 digits from the agent's own device) or a key assertion.
fn parse_proof(request: &CreateAgentSession) -> Result<Proof<'_>, RecoveryError> {
    let invalid = |message: &str| {
        RecoveryError::InvalidField(fields::FieldError {
            field: "passcode",
            message: message.to_owned(),
        })
    };
    match (&request.passcode, &request.security_key) {
        (Some(raw), None) => {
            let passcode = Passcode::parse(raw)?;
            if passcode.kind() == PasscodeKind::BypassCode {
                return Err(invalid(
                    "Sign in with the 6-digit code of your own device or with your security key: \
                     a bypass code cannot open the help-desk console.",
                ));
            }
            Ok(Proof::Passcode(passcode))
        }
        (None, Some(assertion)) => Ok(Proof::Key(assertion)),
        (None, None) => Err(invalid(
            "Enter the 6-digit code of your own device, or use your security key.",
        )),
        (Some(_), Some(_)) => Err(invalid(
            "Send either a passcode or a security-key answer, not both.",
        )),
    }
}

/// Starts registering a security key for the signed-in agent's own sign-in.
pub async fn start_key_registration(
    app: &App,
    session: &AgentSession,
) -> Result<RegistrationStarted, RecoveryError> {
    let mut work = UnitOfWork::new(&app.db);
    let started = app
        .help_desk
        .keys
        .start_registration(&mut work, &session.agent.person, app.clock.now())
        .await?;
    work.commit().await?;
    Ok(started)
}

/// Finishes it: the claim and the audit record commit whether the key is accepted or not, and
/// the agent is told on every notification address.
pub async fn finish_key_registration(
    app: &App,
    from: &Client,
    session: &AgentSession,
    registration_id: &str,
    request: &FinishRegistration,
) -> Result<String, RecoveryError> {
    let name = check_name(&request.name, true)?;
    let now = app.clock.now();
    let client = session.client(from);
    let agent = &session.agent.person;
    let mut work = UnitOfWork::new(&app.db);
    let finished = app
        .help_desk
        .keys
        .finish_registration(
            &mut work,
            agent,
            registration_id,
            &name,
            &request.credential,
            now,
        )
        .await;
    let name = match finished {
        Ok(name) => name,
        Err(RecoveryError::RegistrationInvalid) => {
            work.rollback().await?;
            return Err(RecoveryError::RegistrationInvalid);
        }
        Err(error) => {
            let detail = json!({ "registration_id": registration_id, "error": error.to_string() });
            notice::record_failure(
                app,
                &client,
                agent,
                work,
                AuditEvent::HelpDeskKeyRegistered,
                detail,
            )
            .await?;
            return Err(error);
        }
    };
    let detail = json!({ "registration_id": registration_id, "name": name });
    notice::record_change(
        app,
        &client,
        agent,
        work,
        AuditEvent::HelpDeskKeyRegistered,
        detail,
        AccountEvent::HelpDeskKeyRegistered {
            device: name.clone(),
        },
    )
    .await?;
    Ok(name)
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
    outcome: Outcome,
    person: Option<&Person>,
    client: &Client,
    detail: serde_json::Value,
) -> Result<(), RecoveryError> {
    let record = AuditRecord {
        event: AuditEvent::HelpDeskSignIn,
        outcome,
        person,
        client: &client.label,
        detail,
    };
    app.audit.record(at, record).await?;
    Ok(())
}
