//! The security-key enrolment link: the help desk sends it ([`send`]), the person opens it in
//! their browser and registers a key there ([`open`], [`start`], [`finish`]). The link is the
//! only credential of the page's requests, so every step checks it still works; it is spent in
//! the unit of work that stores the key, so of concurrent answers exactly one registers.

use recovery_api::{
    authenticator::Authenticator,
    fields::FieldError,
    help_desk::{
        ActionContext, FinishLinkRegistration, HelpDeskPermission, LinkSent, SendSecurityKeyLink,
    },
    security_key::RegistrationStarted,
};
use serde_json::json;
use time::Duration;

use super::acting::Acting;
use crate::{
    app::App,
    audit::{AuditEvent, AuditRecord, Outcome},
    client::Client,
    directory::Person,
    error::RecoveryError,
    flows::{authenticators::check_name, notice, sending},
    help_desk::{guard, AgentSession, Authorized},
    mfa::ProviderError,
    notify::{AccountEvent, LinkMail, LinkPurpose},
    security_key::browser_options,
    security_key_link::{LinkCode, OpenLink, MAX_VALID},
    sending_caps::Sending,
    storage::UnitOfWork,
};

/// `POST /v1/help-desk/people/{username}/security-key-links`: through the guard
/// (`send_security_key_link`; a weak caller verification is enough, since the link goes only
/// to the person's own addresses). A bad `valid_hours` is refused before the guard counts the
/// action.
pub async fn send_for(
    app: &App,
    session: &AgentSession,
    from: &Client,
    username: &str,
    request: &SendSecurityKeyLink,
) -> Result<LinkSent, RecoveryError> {
    lifetime(app, request.valid_hours)?;
    let context = ActionContext {
        caller_verification: request.caller_verification.clone(),
        reason: request.reason.clone(),
    };
    let authorized = guard::authorize(
        app,
        session,
        from,
        username,
        HelpDeskPermission::SendSecurityKeyLink,
        &context,
        false,
    )
    .await?;
    send(app, &authorized, request.valid_hours).await
}

/// An agent e-mails the person a link (never shown to the agent).
pub async fn send(
    app: &App,
    authorized: &Authorized,
    valid_hours: Option<u32>,
) -> Result<LinkSent, RecoveryError> {
    send_as(app, &Acting::from(authorized), valid_hours).await
}

/// [`send`] for any actor (the CLI's operator too). The link and its audit record commit
/// together; the e-mail is charged to the daily caps before either.
pub async fn send_as(
    app: &App,
    acting: &Acting,
    valid_hours: Option<u32>,
) -> Result<LinkSent, RecoveryError> {
    let valid_for = lifetime(app, valid_hours)?;
    let person = &acting.person;
    if person.notification_emails.is_empty() {
        return Err(RecoveryError::Conflict(
            "This person has no e-mail address on record, so no link was sent. Register a key \
             for them at the desk instead."
                .to_owned(),
        ));
    }
    let charge = sending::charge(app, person, None, &[Sending::Notice]).await?;
    let now = app.clock.now();
    let mut work = UnitOfWork::new(&app.db);
    let link = match app
        .security_key_links
        .create(&mut work, &person.id, &acting.sender, valid_for, now)
        .await
    {
        Ok(link) => link,
        Err(error) => {
            sending::refund(charge, work).await;
            return Err(error.into());
        }
    };
    let record = AuditRecord {
        event: AuditEvent::SecurityKeyLinkSent,
        outcome: Outcome::Success,
        person: Some(person),
        client: &acting.client.label,
        detail: json!({
            "link_id": link.id,
            "valid_hours": valid_for.whole_hours(),
            "help_desk": acting.detail,
        }),
    };
    let stored = match app.audit.append(&mut work, now, record).await {
        Ok(()) => work.commit().await,
        Err(error) => Err(error),
    };
    if let Err(error) = stored {
        charge.give_back().await;
        return Err(error.into());
    }
    let url = recovery_api::Secret::new(format!(
        "{}/v1/enrolments/{}",
        app.config.devices.public_url.trim_end_matches('/'),
        link.code.expose()
    ));
    let mail = LinkMail {
        purpose: LinkPurpose::SecurityKey,
        display_name: &person.display_name,
        url: &url,
        expires_at: link.expires_at,
        from: &acting.client.label,
    };
    let sent_to = notice::send_link(app, &acting.client, person, &mail).await?;
    Ok(LinkSent {
        sent_to,
        expires_at: link.expires_at,
    })
}

/// `help_desk.security_key_link_hours` is the default and the ceiling, never above 24 hours.
fn lifetime(app: &App, valid_hours: Option<u32>) -> Result<Duration, RecoveryError> {
    let max =
        i64::from(app.config.help_desk.security_key_link_hours.max(1)).min(MAX_VALID.whole_hours());
    let hours = valid_hours.map_or(max, i64::from);
    if hours == 0 || hours > max {
        return Err(RecoveryError::InvalidField(FieldError {
            field: "valid_hours",
            message: format!("A security-key link works for 1 to {max} hours."),
        }));
    }
    Ok(Duration::hours(hours))
}

/// The link and its person, when the link still works.
pub async fn open(app: &App, code: &LinkCode) -> Result<(OpenLink, Person), RecoveryError> {
    let link = app
        .security_key_links
        .find_open(code, app.clock.now())
        .await?
        .ok_or(RecoveryError::EnrolmentLinkInvalid)?;
    let person = app
        .directory
        .person(&link.person_id)
        .await?
        .ok_or(RecoveryError::EnrolmentLinkInvalid)?;
    Ok((link, person))
}

/// Creation options for the link's person (their keys excluded), as the page asks for them.
pub async fn start(
    app: &App,
    client: &Client,
    code: &LinkCode,
) -> Result<RegistrationStarted, RecoveryError> {
    let (link, person) = open(app, code).await?;
    let now = app.clock.now();
    let mut work = UnitOfWork::new(&app.db);
    let mut started = app
        .mfa
        .start_security_key_registration(&mut work, &person, now)
        .await?;
    started.options = browser_options(started.options).map_err(RecoveryError::SecurityKey)?;
    if !app
        .security_key_links
        .count_start(&mut work, &link.id, now)
        .await?
    {
        return Err(RecoveryError::EnrolmentLinkInvalid);
    }
    let record = AuditRecord {
        event: AuditEvent::SecurityKeyRegistrationStarted,
        outcome: Outcome::Success,
        person: Some(&person),
        client: &client.label,
        detail: json!({ "registration_id": started.id, "link_id": link.id }),
    };
    app.audit.append(&mut work, now, record).await?;
    work.commit().await?;
    Ok(started)
}

/// The browser's answer: the key is stored and the link spent together, or neither. A refused
/// answer counts against the link (5 end it) and is audited.
pub async fn finish(
    app: &App,
    client: &Client,
    code: &LinkCode,
    request: &FinishLinkRegistration,
) -> Result<Authenticator, RecoveryError> {
    let name = check_name(&request.name, true)?;
    let (link, person) = open(app, code).await?;
    let charge = sending::charge(app, &person, None, &[Sending::Notice]).await?;
    let now = app.clock.now();
    let mut work = UnitOfWork::new(&app.db);
    let result = app
        .mfa
        .finish_security_key_registration(
            &mut work,
            &person,
            &request.registration_id,
            &name,
            &request.credential,
            now,
        )
        .await;
    match result {
        Ok(key) => {
            if !app
                .security_key_links
                .spend(&mut work, &link.id, now)
                .await?
            {
                // Another answer spent the link first: this key is not kept.
                sending::refund(charge, work).await;
                return Err(RecoveryError::EnrolmentLinkInvalid);
            }
            let used = AuditRecord {
                event: AuditEvent::SecurityKeyLinkUsed,
                outcome: Outcome::Success,
                person: Some(&person),
                client: &client.label,
                detail: json!({
                    "link_id": link.id,
                    "authenticator_id": key.id,
                    "sent_by": link.created_by,
                }),
            };
            app.audit.append(&mut work, now, used).await?;
            let detail = json!({
                "authenticator_id": key.id,
                "registration_id": request.registration_id,
                "link_id": link.id,
            });
            let notice = AccountEvent::SecurityKeyRegistered {
                device: key.name.clone(),
            };
            notice::record_change(
                app,
                client,
                &person,
                work,
                AuditEvent::SecurityKeyRegistered,
                detail,
                notice,
            )
            .await?;
            Ok(key)
        }
        Err(error @ (ProviderError::SecurityKey(_) | ProviderError::RegistrationInvalid)) => {
            let answers_left = app.security_key_links.reject(&mut work, &link.id).await;
            let error = RecoveryError::from(error);
            let recorded = match answers_left {
                Ok(answers_left) => {
                    let detail = json!({
                        "registration_id": request.registration_id,
                        "link_id": link.id,
                        "reason": error.to_string(),
                        "answers_left": answers_left,
                    });
                    notice::record_failure(
                        app,
                        client,
                        &person,
                        work,
                        AuditEvent::SecurityKeyRegistrationFailed,
                        detail,
                    )
                    .await
                }
                Err(storage) => Err(storage.into()),
            };
            charge.give_back().await;
            recorded?;
            Err(error)
        }
        Err(error) => {
            sending::refund(charge, work).await;
            Err(error.into())
        }
    }
}
