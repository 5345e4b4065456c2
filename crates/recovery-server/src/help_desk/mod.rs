//! The help desk's side of recovery: who the agents are, their sessions and security keys, the
//! caller verifications they make, and the guard every help-desk action passes through.
//!
//! The flows that use these live in `flows::help_desk`; the HTTP doors in
//! `http::routes::help_desk`. Agents are people of the directory whom the configuration (or an
//! LDAP group) names; their sessions are a token kind of their own, never a recovery session.

pub mod agents;
pub mod caller_verification;
pub mod guard;
pub mod keys;
pub mod rate_limit;
pub mod sessions;

use recovery_api::help_desk::{AgentRole, AgentSignInMethod, CallerVerificationMethod};
use serde_json::json;
use time::OffsetDateTime;

use crate::{client::Client, directory::Person};

/// The help desk's storage, built once with the app.
#[derive(Debug, Clone)]
pub struct HelpDesk {
    pub sessions: sessions::AgentSessions,
    pub keys: keys::AgentKeys,
    pub callers: caller_verification::CallerVerifications,
    pub limits: rate_limit::AgentLimits,
}

/// A person of the directory acting as an agent, with the role the configuration gives them.
#[derive(Debug, Clone)]
pub struct Agent {
    pub person: Person,
    pub role: AgentRole,
}

/// An agent session that the service accepted for this request.
#[derive(Debug, Clone)]
pub struct AgentSession {
    pub id: String,
    pub agent: Agent,
    pub method: AgentSignInMethod,
    pub signed_in_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

impl AgentSession {
    /// Who acts, as audit records and notices name them: "agent hopper at Help Desk Kiosk 2".
    pub fn client(&self, from: &Client) -> Client {
        Client {
            throttle_key: format!("agent:{}", self.agent.person.id),
            label: format!("agent {} at {}", self.agent.person.username, from.label),
            from_kiosk: from.from_kiosk,
        }
    }
}

/// A caller verification that checked out: verified, by this agent session, for this person,
/// and not expired.
#[derive(Debug, Clone)]
pub struct VerifiedCaller {
    pub id: String,
    pub method: CallerVerificationMethod,
    pub verified_at: OffsetDateTime,
}

/// What [`guard`] hands an action once the agent may do it to this person now: the action
/// then changes the account, and records [`Authorized::audit_detail`] with its change.
#[derive(Debug, Clone)]
pub struct Authorized {
    pub session: AgentSession,
    pub person: Person,
    pub caller: VerifiedCaller,
    /// The agent's reason, checked (1–200 characters, one line).
    pub reason: String,
    /// Who acts, for audit records and notices.
    pub client: Client,
}

impl Authorized {
    /// The `help_desk` object every help-desk action puts in its audit record's detail.
    pub fn audit_detail(&self) -> serde_json::Value {
        json!({
            "agent": self.session.agent.person.username,
            "agent_role": self.session.agent.role.as_str(),
            "agent_session": self.session.id,
            "caller_verification": self.caller.method.as_str(),
            "caller_verification_id": self.caller.id,
            "reason": self.reason,
        })
    }
}
