//! The guard every help-desk action passes through, in this order: the agent's role allows the
//! action (and `act_on_agents` when the person is an agent); the person is not the agent
//! themself; the reason is one line of 1–200 characters; the caller verification is verified,
//! this agent session's, this person's and not expired, and strong enough when the action
//! needs it; the agent's hourly limit has room. A refusal is audited
//! (`help_desk_action_refused`, with why) and changes nothing else; a reason that is not valid
//! is bad input and is only answered.

use recovery_api::{
    fields::{self, FieldError},
    help_desk::{ActionContext, HelpDeskPermission},
};
use serde_json::json;

use super::{agents, rate_limit::Counted, AgentSession, Authorized};
use crate::{
    app::App,
    audit::{AuditEvent, AuditRecord, Outcome},
    client::Client,
    directory::Person,
    error::{RecoveryError, RetryAt},
};

/// The longest reason, in characters.
pub const REASON_MAX_CHARS: usize = 200;

/// A reason for the audit log: trimmed, 1–200 characters, one line, no control characters.
pub fn check_reason(reason: &str) -> Result<String, RecoveryError> {
    let reason = reason.trim();
    if reason.is_empty()
        || reason.chars().count() > REASON_MAX_CHARS
        || reason.chars().any(char::is_control)
    {
        return Err(RecoveryError::InvalidField(FieldError {
            field: "reason",
            message:
                "Say why, in 1 to 200 characters on one line (a ticket number, \"lost phone\")."
                    .to_owned(),
        }));
    }
    Ok(reason.to_owned())
}

/// Checks everything and hands back what the action needs; see the module docs.
pub async fn authorize(
    app: &App,
    session: &AgentSession,
    from: &Client,
    username: &str,
    permission: HelpDeskPermission,
    context: &ActionContext,
    needs_strong: bool,
) -> Result<Authorized, RecoveryError> {
    let reason = check_reason(&context.reason)?;
    let person = target(app, session, from, username, permission).await?;
    let refused = |error: RecoveryError, why: &'static str| {
        refuse(app, session, from, Some(&person), permission, why, error)
    };
    let now = app.clock.now();
    let caller = app
        .help_desk
        .callers
        .verified(&context.caller_verification, &session.id, &person.id, now)
        .await?;
    let Some(caller) = caller else {
        return Err(refused(RecoveryError::CallerNotVerified, "caller_not_verified").await);
    };
    if needs_strong && !caller.method.is_strong() {
        return Err(refused(
            RecoveryError::CallerVerificationTooWeak,
            "caller_verification_too_weak",
        )
        .await);
    }
    if let Err(error) = take_slot(app, session, Counted::Action).await {
        return Err(refused(error, "limit_reached").await);
    }
    Ok(Authorized {
        session: session.clone(),
        person,
        caller,
        reason,
        client: session.client(from),
    })
}

/// The person the agent means, when the agent's role allows `permission` on them: not their
/// own account, and an agent's only with `act_on_agents`. Refusals are audited.
pub async fn target(
    app: &App,
    session: &AgentSession,
    from: &Client,
    username: &str,
    permission: HelpDeskPermission,
) -> Result<Person, RecoveryError> {
    let username = fields::normalize_username(username)?;
    let Some(person) = app.directory.find_by_username(&username).await? else {
        return Err(refuse(
            app,
            session,
            from,
            None,
            permission,
            "not_found",
            RecoveryError::PersonNotFound,
        )
        .await);
    };
    let role = session.agent.role;
    let refused = |error: RecoveryError, why: &'static str| {
        refuse(app, session, from, Some(&person), permission, why, error)
    };
    if person.id == session.agent.person.id {
        return Err(refused(RecoveryError::OwnAccount, "own_account").await);
    }
    if !role.allows(permission) {
        return Err(refused(RecoveryError::PermissionDenied, "permission_denied").await);
    }
    let is_agent = agents::role_of(&app.config.help_desk, app.directory.as_ref(), &person)
        .await?
        .is_some();
    if is_agent && !role.allows(HelpDeskPermission::ActOnAgents) {
        return Err(refused(RecoveryError::PermissionDenied, "act_on_agents").await);
    }
    Ok(person)
}

/// One slot of the agent's hourly limit, or `limit_reached` with when the hour ends.
pub async fn take_slot(
    app: &App,
    session: &AgentSession,
    counted: Counted,
) -> Result<(), RecoveryError> {
    let config = &app.config.help_desk;
    let per_hour = match counted {
        Counted::Action => config.actions_per_hour,
        Counted::LookUp => config.look_ups_per_hour,
    };
    let now = app.clock.now();
    match app
        .help_desk
        .limits
        .take(&session.agent.person.id, counted, per_hour, now)
        .await?
    {
        Ok(()) => Ok(()),
        Err(retry_at) => {
            tracing::warn!(agent = %session.agent.person.username, ?counted, "an agent's hourly limit is reached");
            Err(RecoveryError::LimitReached(RetryAt::new(retry_at, now)))
        }
    }
}

/// Audits a refusal and hands the error back (an audit failure wins: nothing is refused
/// unrecorded).
pub async fn refuse(
    app: &App,
    session: &AgentSession,
    from: &Client,
    person: Option<&Person>,
    permission: HelpDeskPermission,
    why: &'static str,
    error: RecoveryError,
) -> RecoveryError {
    let client = session.client(from);
    let record = AuditRecord {
        event: AuditEvent::HelpDeskActionRefused,
        outcome: Outcome::Refused,
        person,
        client: &client.label,
        detail: json!({
            "permission": permission.as_str(),
            "refusal": why,
            "agent": session.agent.person.username,
            "agent_role": session.agent.role.as_str(),
            "agent_session": session.id,
        }),
    };
    match app.audit.record(app.clock.now(), record).await {
        Ok(()) => error,
        Err(audit) => audit.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_one_short_line() {
        assert_eq!(
            check_reason("  ticket 4711 ").ok().as_deref(),
            Some("ticket 4711")
        );
        assert!(check_reason(&"x".repeat(200)).is_ok());
        for bad in ["", "   ", "two\nlines", "tab\there", "bell\u{7}"] {
            assert!(check_reason(bad).is_err(), "{bad:?}");
        }
        assert!(check_reason(&"é".repeat(201)).is_err());
    }
}
