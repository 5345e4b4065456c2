//! The help desk's flows (docs/help-desk.md): agents sign in, look a person up, verify the
//! caller, then act through the same flows as self-service, behind
//! [`guard::authorize`](crate::help_desk::guard::authorize).

pub mod acting;
pub mod activation;
pub mod bypass_code;
pub mod caller;
pub mod look_up;
pub mod recovery_pin;
pub mod removal;
pub mod security_key_link;
pub mod sign_in;
pub mod unlock;

use recovery_api::{
    help_desk::{AgentSummary, HelpDeskPermission},
    Secret,
};
use serde_json::json;

use crate::{
    app::App,
    audit::{AuditEvent, AuditRecord, Outcome},
    client::Client,
    error::RecoveryError,
    help_desk::{agents, Agent, AgentSession},
    session::SessionRejection,
    storage::UnitOfWork,
};

/// The live agent session a bearer token names. The agent must still be an agent: one taken
/// off the configuration is signed out at their next request.
pub async fn authenticate(app: &App, token: &Secret) -> Result<AgentSession, RecoveryError> {
    let stored = match app
        .help_desk
        .sessions
        .authenticate(token, app.clock.now())
        .await?
    {
        Ok(stored) => stored,
        Err(SessionRejection::Invalid) => return Err(RecoveryError::AgentSessionInvalid),
        Err(SessionRejection::Expired) => return Err(RecoveryError::AgentSessionExpired),
    };
    let person = app
        .directory
        .person(&stored.agent)
        .await?
        .ok_or(RecoveryError::AgentSessionInvalid)?;
    let role = agents::role_of(&app.config.help_desk, app.directory.as_ref(), &person)
        .await?
        .ok_or(RecoveryError::AgentSessionInvalid)?;
    Ok(AgentSession {
        id: stored.id,
        agent: Agent { person, role },
        method: stored.method,
        signed_in_at: stored.signed_in_at,
        expires_at: stored.expires_at,
    })
}

/// What the app shows of the signed-in agent.
pub async fn summary(app: &App, session: &AgentSession) -> Result<AgentSummary, RecoveryError> {
    let agent = &session.agent;
    Ok(AgentSummary {
        username: agent.person.username.clone(),
        display_name: agent.person.display_name.clone(),
        role: agent.role,
        method: session.method,
        permissions: agent.role.permissions(),
        security_keys: app.help_desk.keys.count(&agent.person.id).await?,
    })
}

pub async fn sign_out(
    app: &App,
    from: &Client,
    session: &AgentSession,
) -> Result<(), RecoveryError> {
    let now = app.clock.now();
    let mut work = UnitOfWork::new(&app.db);
    app.help_desk
        .sessions
        .end(&mut work, &session.id, now)
        .await?;
    let client = session.client(from);
    let record = AuditRecord {
        event: AuditEvent::HelpDeskSignedOut,
        outcome: Outcome::Success,
        person: Some(&session.agent.person),
        client: &client.label,
        detail: json!({ "agent_session": session.id }),
    };
    app.audit.append(&mut work, now, record).await?;
    work.commit().await?;
    Ok(())
}

/// Whether the agent's role allows `permission` at all (what the app may offer).
pub fn allows(session: &AgentSession, permission: HelpDeskPermission) -> bool {
    session.agent.role.allows(permission)
}
