//! Verifying the caller, by one of three methods that do not rely on the lost device:
//!
//! - a 6-digit code sent to every notification address, or by text to the directory's phones
//!   on record, which the caller reads back (charged to the person's daily sending caps like
//!   every other message sent on their behalf);
//! - date of birth + recovery PIN, checked exactly like self-service, on the person's throttle
//!   (failures count toward their locks);
//! - in person, attested by the agent, only from an enrolled kiosk.
//!
//! Every step is audited (`caller_verification_started`, `caller_verified`,
//! `caller_verification_failed`) with its method.

use recovery_api::{
    demo::Channel,
    fields::{self, FieldError},
    help_desk::{
        CallerVerification, CallerVerificationMethod, CallerVerificationStatus, HelpDeskPermission,
        SentCodeChannel, StartCallerVerification,
    },
    Secret,
};
use serde_json::json;

use super::look_up::{mask_address, mask_phone};
use crate::{
    app::App,
    audit::{AuditEvent, AuditRecord, Outcome},
    client::Client,
    directory::Person,
    error::{RecoveryError, RetryAt},
    flows::sending,
    help_desk::{
        caller_verification::{generate_code, CodeCheck},
        guard,
        rate_limit::Counted,
        AgentSession,
    },
    mfa::ProviderError,
    notify::Message,
    sending_caps::Sending,
    storage::UnitOfWork,
    throttle::{AfterFailure, Refusal},
};

/// The longest description of an ID document ("passport", "staff card").
const ID_DOCUMENT_MAX_CHARS: usize = 64;

/// What a request asks for, checked before anything is charged or recorded.
enum Checked {
    SentCode(SentCodeChannel),
    Knowledge {
        date_of_birth: time::Date,
        pin: Secret,
    },
    InPerson {
        id_document: String,
    },
}

fn invalid(field: &'static str, message: &str) -> RecoveryError {
    RecoveryError::InvalidField(FieldError {
        field,
        message: message.to_owned(),
    })
}

pub async fn start(
    app: &App,
    session: &AgentSession,
    from: &Client,
    username: &str,
    request: &StartCallerVerification,
) -> Result<CallerVerification, RecoveryError> {
    let checked = match request {
        StartCallerVerification::SentCode { channel } => Checked::SentCode(*channel),
        StartCallerVerification::DateOfBirthAndPin { date_of_birth, pin } => {
            let date_of_birth = fields::parse_date_of_birth(date_of_birth, app.clock.now().date())?;
            fields::check_pin(pin.expose())?;
            Checked::Knowledge {
                date_of_birth,
                pin: pin.clone(),
            }
        }
        StartCallerVerification::InPerson { id_document } => {
            let id_document = id_document.trim();
            if id_document.is_empty()
                || id_document.chars().count() > ID_DOCUMENT_MAX_CHARS
                || id_document.chars().any(char::is_control)
            {
                return Err(invalid(
                    "id_document",
                    "Say which photo ID you saw (\"passport\", \"staff card\"), in up to 64 characters, without its number.",
                ));
            }
            Checked::InPerson {
                id_document: id_document.to_owned(),
            }
        }
    };
    let permission = HelpDeskPermission::VerifyCaller;
    let person = guard::target(app, session, from, username, permission).await?;
    if matches!(checked, Checked::InPerson { .. }) && !from.from_kiosk {
        let error = RecoveryError::InPersonNeedsKiosk;
        return Err(guard::refuse(
            app,
            session,
            from,
            Some(&person),
            permission,
            "in_person_needs_kiosk",
            error,
        )
        .await);
    }
    if let Err(error) = guard::take_slot(app, session, Counted::Action).await {
        return Err(guard::refuse(
            app,
            session,
            from,
            Some(&person),
            permission,
            "limit_reached",
            error,
        )
        .await);
    }
    let client = session.client(from);
    match checked {
        Checked::SentCode(channel) => send_code(app, session, &client, &person, channel).await,
        Checked::Knowledge { date_of_birth, pin } => {
            let username = fields::normalize_username(username)?;
            check_knowledge(
                app,
                session,
                &client,
                &person,
                &username,
                date_of_birth,
                &pin,
            )
            .await
        }
        Checked::InPerson { id_document } => {
            let detail = json!({ "id_document": id_document });
            verified_now(
                app,
                session,
                &client,
                &person,
                CallerVerificationMethod::InPerson,
                detail,
            )
            .await
        }
    }
}

async fn send_code(
    app: &App,
    session: &AgentSession,
    client: &Client,
    person: &Person,
    channel: SentCodeChannel,
) -> Result<CallerVerification, RecoveryError> {
    let (destinations, sends): (Vec<String>, Vec<Sending>) = match channel {
        SentCodeChannel::Email => {
            let addresses = person.notification_emails.clone();
            (addresses, vec![Sending::Notice])
        }
        SentCodeChannel::Text => {
            let phones = person.phones.clone();
            let sends = vec![Sending::Text; phones.len()];
            (phones, sends)
        }
    };
    if destinations.is_empty() {
        return Err(invalid(
            "channel",
            match channel {
                SentCodeChannel::Email => "This person has no e-mail address on record. Send the code by text, or use another method.",
                SentCodeChannel::Text => "This person has no phone number on record. Send the code by e-mail, or use another method.",
            },
        ));
    }
    let code = generate_code();
    let code_hash = app.help_desk.callers.hash_code(&code).await?;
    let charge = sending::charge(app, person, None, &sends).await?;
    let now = app.clock.now();
    let code_time = app.config.help_desk.caller_code_time();
    let sent_to: Vec<String> = destinations
        .iter()
        .map(|d| match channel {
            SentCodeChannel::Email => mask_address(d),
            SentCodeChannel::Text => mask_phone(d),
        })
        .collect();
    let mut work = UnitOfWork::new(&app.db);
    let stored = async {
        let id = app
            .help_desk
            .callers
            .create_pending(
                &mut work,
                &session.id,
                &person.id,
                &code_hash,
                now,
                code_time,
            )
            .await?;
        let record = AuditRecord {
            event: AuditEvent::CallerVerificationStarted,
            outcome: Outcome::Success,
            person: Some(person),
            client: &client.label,
            detail: json!({
                "method": CallerVerificationMethod::SentCode.as_str(),
                "channel": channel_name(channel),
                "sent_to": destinations.len(),
                "caller_verification_id": id,
                "agent_session": session.id,
            }),
        };
        app.audit.append(&mut work, now, record).await?;
        Ok::<_, sqlx::Error>(id)
    };
    let id = match stored.await {
        Ok(id) => id,
        Err(error) => {
            sending::refund(charge, work).await;
            return Err(error.into());
        }
    };
    let committed = work.commit().await;
    let id = charge.settle(committed.map(|()| id)).await?;
    deliver(app, client, person, channel, &destinations, &code).await?;
    Ok(CallerVerification {
        id,
        method: CallerVerificationMethod::SentCode,
        status: CallerVerificationStatus::Pending,
        sent_to,
        expires_at: now + code_time,
    })
}

/// Sends the code to every destination; fails only when none of them got it.
async fn deliver(
    app: &App,
    client: &Client,
    person: &Person,
    channel: SentCodeChannel,
    destinations: &[String],
    code: &Secret,
) -> Result<(), RecoveryError> {
    let organisation = &app.config.organisation;
    let minutes = app.config.help_desk.caller_code_minutes;
    let spaced = format!(
        "{} {}",
        code.expose().get(..3).unwrap_or_default(),
        code.expose().get(3..).unwrap_or_default()
    );
    let mut delivered = 0;
    let mut last_error = None;
    for to in destinations {
        let sent = match channel {
            SentCodeChannel::Email => {
                let message = Message {
                    channel: Channel::Email,
                    to: to.clone(),
                    subject: Some(format!("{}: your code for the help desk", organisation.name)),
                    body: format!(
                        "Hello {},\n\nThe help desk ({}) is checking that it is you on the line. \
                         Read this code to the agent: {spaced}\nIt works for {minutes} minutes.\n\n\
                         If you are not talking to the help desk right now, give this code to no one \
                         and call {} right away.\n\n{} Recovery Desk\n",
                        person.display_name, client.label, organisation.help_desk_phone, organisation.name
                    ),
                };
                app.notifier
                    .send(&message)
                    .await
                    .map_err(RecoveryError::from)
            }
            SentCodeChannel::Text => {
                let body = Secret::new(format!(
                    "{}: your code for the help desk is {spaced}. Read it only to the agent you are talking to; it works for {minutes} minutes.",
                    organisation.name
                ));
                app.telephony
                    .send_sms(to, &body)
                    .await
                    .map_err(|e| RecoveryError::from(ProviderError::Telephony(e)))
            }
        };
        match sent {
            Ok(()) => delivered += 1,
            Err(error) => {
                tracing::warn!(person = %person.id, %error, "a caller code was not delivered");
                last_error = Some(error);
            }
        }
    }
    match (delivered, last_error) {
        (0, Some(error)) => Err(error),
        _ => Ok(()),
    }
}

async fn check_knowledge(
    app: &App,
    session: &AgentSession,
    client: &Client,
    person: &Person,
    username: &str,
    date_of_birth: time::Date,
    pin: &Secret,
) -> Result<CallerVerification, RecoveryError> {
    let method = CallerVerificationMethod::DateOfBirthAndPin;
    let now = app.clock.now();
    let reservation = match app
        .throttle
        .reserve(username, &client.throttle_key, now)
        .await?
    {
        Ok(reservation) => reservation,
        Err(refusal) => {
            let detail = json!({ "method": method.as_str(), "refusal": match refusal {
                Refusal::Locked { until: Some(_) } => "locked_temporarily",
                Refusal::Locked { until: None } => "locked_until_help_desk",
                Refusal::TooManyAttempts { .. } => "too_many_attempts",
            }, "agent_session": session.id });
            failed(app, client, person, Outcome::Refused, detail).await?;
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
    let right = app
        .recovery_pins
        .check(Some(&person.id), date_of_birth, pin)
        .await?;
    if !right {
        let after = app.throttle.failed(reservation, now).await?;
        let lock = match after {
            AfterFailure::StillOpen => None,
            AfterFailure::Locked { until: Some(_) } => Some("temporary"),
            AfterFailure::Locked { until: None } => Some("help_desk"),
        };
        let detail =
            json!({ "method": method.as_str(), "lock": lock, "agent_session": session.id });
        failed(app, client, person, Outcome::Failure, detail).await?;
        return Err(match after {
            AfterFailure::StillOpen => RecoveryError::VerificationFailed,
            AfterFailure::Locked { until } => {
                RecoveryError::Locked(until.map(|at| RetryAt::new(at, now)))
            }
        });
    }
    app.throttle.succeeded(reservation).await?;
    verified_now(app, session, client, person, method, json!({})).await
}

/// A verification that passed as it was made: stored verified, with its audit record.
async fn verified_now(
    app: &App,
    session: &AgentSession,
    client: &Client,
    person: &Person,
    method: CallerVerificationMethod,
    mut detail: serde_json::Value,
) -> Result<CallerVerification, RecoveryError> {
    let now = app.clock.now();
    let lasts = app.config.help_desk.caller_verification_time();
    let mut work = UnitOfWork::new(&app.db);
    let id = app
        .help_desk
        .callers
        .create_verified(&mut work, &session.id, &person.id, method, now, lasts)
        .await?;
    detail["method"] = json!(method.as_str());
    detail["caller_verification_id"] = json!(id);
    detail["agent_session"] = json!(session.id);
    let record = AuditRecord {
        event: AuditEvent::CallerVerified,
        outcome: Outcome::Success,
        person: Some(person),
        client: &client.label,
        detail,
    };
    app.audit.append(&mut work, now, record).await?;
    work.commit().await?;
    Ok(CallerVerification {
        id,
        method,
        status: CallerVerificationStatus::Verified,
        sent_to: Vec::new(),
        expires_at: now + lasts,
    })
}

/// The caller reads the sent code back.
pub async fn check_code(
    app: &App,
    session: &AgentSession,
    from: &Client,
    username: &str,
    id: &str,
    code: &Secret,
) -> Result<CallerVerification, RecoveryError> {
    let digits = code.expose().trim().replace([' ', '-'], "");
    if digits.len() != 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            "code",
            "Enter the 6 digits the caller reads to you.",
        ));
    }
    let person = guard::target(
        app,
        session,
        from,
        username,
        HelpDeskPermission::VerifyCaller,
    )
    .await?;
    let client = session.client(from);
    let now = app.clock.now();
    let lasts = app.config.help_desk.caller_verification_time();
    let checked = app
        .help_desk
        .callers
        .check_code(
            id,
            &session.id,
            &person.id,
            &Secret::new(digits),
            now,
            lasts,
        )
        .await?;
    let method = CallerVerificationMethod::SentCode.as_str();
    match checked {
        CodeCheck::Verified { expires_at } => {
            let record = AuditRecord {
                event: AuditEvent::CallerVerified,
                outcome: Outcome::Success,
                person: Some(&person),
                client: &client.label,
                detail: json!({ "method": method, "caller_verification_id": id, "agent_session": session.id }),
            };
            app.audit.record(now, record).await?;
            Ok(CallerVerification {
                id: id.to_owned(),
                method: CallerVerificationMethod::SentCode,
                status: CallerVerificationStatus::Verified,
                sent_to: Vec::new(),
                expires_at,
            })
        }
        CodeCheck::Wrong { attempts_left } => {
            let detail = json!({ "method": method, "caller_verification_id": id, "attempts_left": attempts_left, "agent_session": session.id });
            failed(app, &client, &person, Outcome::Failure, detail).await?;
            Err(RecoveryError::CallerCodeIncorrect { attempts_left })
        }
        CodeCheck::Over => {
            let detail = json!({ "method": method, "caller_verification_id": id, "over": true, "agent_session": session.id });
            failed(app, &client, &person, Outcome::Failure, detail).await?;
            Err(RecoveryError::CallerCodeOver)
        }
        CodeCheck::Unknown => Err(RecoveryError::CallerVerificationUnknown),
    }
}

async fn failed(
    app: &App,
    client: &Client,
    person: &Person,
    outcome: Outcome,
    detail: serde_json::Value,
) -> Result<(), RecoveryError> {
    let record = AuditRecord {
        event: AuditEvent::CallerVerificationFailed,
        outcome,
        person: Some(person),
        client: &client.label,
        detail,
    };
    app.audit.record(app.clock.now(), record).await?;
    Ok(())
}

fn channel_name(channel: SentCodeChannel) -> &'static str {
    match channel {
        SentCodeChannel::Email => "email",
        SentCodeChannel::Text => "text",
    }
}
