//! Who acts on a person's account at the help desk, as the audit record and the notices name
//! them: an agent whom the guard let through, or the service's operator at the command line.

use serde_json::json;

use crate::{
    client::Client, directory::Person, help_desk::Authorized, security_key_link::LinkSender,
};

/// The caller verification the operator's commands record: whoever runs them on the service
/// host answers for having checked the person.
pub const OPERATOR_VERIFICATION: &str = "operator";

/// An action's actor, person and audit detail, whichever door it came through.
#[derive(Debug, Clone)]
pub struct Acting {
    pub person: Person,
    /// Who acts, for audit records and notices ("agent hopper at Help Desk Kiosk 2").
    pub client: Client,
    /// The `help_desk` object of the action's audit detail.
    pub detail: serde_json::Value,
    /// Who sent a link, for the link's own record.
    pub sender: LinkSender,
}

impl Acting {
    /// The service operator at the CLI, acting for `person` with a checked `reason`.
    pub fn operator(person: Person, reason: &str) -> Self {
        Self {
            person,
            client: Client::admin_cli(),
            detail: json!({
                "agent": OPERATOR_VERIFICATION,
                "caller_verification": OPERATOR_VERIFICATION,
                "reason": reason,
            }),
            sender: LinkSender {
                username: OPERATOR_VERIFICATION.to_owned(),
                agent_session: None,
            },
        }
    }
}

impl From<&Authorized> for Acting {
    fn from(authorized: &Authorized) -> Self {
        Self {
            person: authorized.person.clone(),
            client: authorized.client.clone(),
            detail: authorized.audit_detail(),
            sender: LinkSender {
                username: authorized.session.agent.person.username.clone(),
                agent_session: Some(authorized.session.id.clone()),
            },
        }
    }
}
