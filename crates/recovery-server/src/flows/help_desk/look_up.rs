//! The person's record as an agent sees it: exact username, no search. Addresses and numbers
//! are masked; every look-up is audited and counted against the agent's hourly look-ups.

use recovery_api::{
    fields,
    help_desk::{HelpDeskPermission, LockKind, LockState, PersonRecord, RecentEvent},
};
use serde_json::json;

use crate::{
    app::App,
    audit::{AuditEvent, AuditRecord, Outcome},
    client::Client,
    error::RecoveryError,
    help_desk::{agents, guard, rate_limit::Counted, AgentSession},
    throttle::Lock,
};

/// How many of the person's audit records the agent sees.
const RECENT_EVENTS: u32 = 20;

pub async fn look_up(
    app: &App,
    session: &AgentSession,
    from: &Client,
    username: &str,
) -> Result<PersonRecord, RecoveryError> {
    let username = fields::normalize_username(username)?;
    let permission = HelpDeskPermission::LookUp;
    if !session.agent.role.allows(permission) {
        let error = RecoveryError::PermissionDenied;
        return Err(guard::refuse(
            app,
            session,
            from,
            None,
            permission,
            "permission_denied",
            error,
        )
        .await);
    }
    if let Err(error) = guard::take_slot(app, session, Counted::LookUp).await {
        return Err(
            guard::refuse(app, session, from, None, permission, "limit_reached", error).await,
        );
    }
    let client = session.client(from);
    let now = app.clock.now();
    let Some(person) = app.directory.find_by_username(&username).await? else {
        let record = AuditRecord {
            event: AuditEvent::HelpDeskLookUp,
            outcome: Outcome::Failure,
            person: None,
            client: &client.label,
            detail: json!({ "username": username, "found": false, "agent_session": session.id }),
        };
        app.audit.record(now, record).await?;
        return Err(RecoveryError::PersonNotFound);
    };
    let authenticators = app.mfa.authenticators(&person, now).await?;
    let lock = app.throttle.lock_state(&username, now).await?;
    let pin = app.recovery_pins.status(&person.id).await?;
    let is_agent = agents::role_of(&app.config.help_desk, app.directory.as_ref(), &person)
        .await?
        .is_some();
    let recent_events = app
        .audit
        .recent_for(&person.id, RECENT_EVENTS)
        .await?
        .into_iter()
        .map(|record| RecentEvent {
            at: record.at,
            event: record.event,
            outcome: record.outcome,
            client: record.client,
        })
        .collect();
    let record = AuditRecord {
        event: AuditEvent::HelpDeskLookUp,
        outcome: Outcome::Success,
        person: Some(&person),
        client: &client.label,
        detail: json!({ "found": true, "agent_session": session.id }),
    };
    app.audit.record(now, record).await?;
    let (state, until) = match lock.lock {
        Lock::Open => (LockKind::Open, None),
        Lock::Until(until) => (LockKind::Temporary, Some(until)),
        Lock::UntilHelpDesk => (LockKind::UntilHelpDesk, None),
    };
    Ok(PersonRecord {
        own_account: person.id == session.agent.person.id,
        username: person.username,
        display_name: person.display_name,
        notification_addresses: person
            .notification_emails
            .iter()
            .map(|a| mask_address(a))
            .collect(),
        directory_phones: person.phones.iter().map(|p| mask_phone(p)).collect(),
        authenticators,
        lock: LockState {
            state,
            until,
            failures_last_day: lock.failures_last_day,
        },
        recovery_pin_set: pin.set_at.is_some(),
        is_agent,
        recent_events,
    })
}

/// `ada.lovelace@example.org` → `a•••@example.org`: enough for the caller to recognise it.
pub fn mask_address(address: &str) -> String {
    match address.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}•••@{domain}")
        }
        None => "•••".to_owned(),
    }
}

/// `+12015550178` → `•••• 0178`.
pub fn mask_phone(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
    let last: String = digits[digits.len().saturating_sub(4)..].iter().collect();
    format!("•••• {last}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_numbers_show_only_a_hint() {
        assert_eq!(mask_address("ada.lovelace@example.org"), "a•••@example.org");
        assert_eq!(mask_address("not-an-address"), "•••");
        assert_eq!(mask_phone("+12015550178"), "•••• 0178");
        assert_eq!(mask_phone("12"), "•••• 12");
    }
}
