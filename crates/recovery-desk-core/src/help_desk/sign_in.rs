//! An agent's sign-in: username and password first, then their own passcode or their security
//! key (`keys`). The service gets the password with the second factor in one request, so a
//! refusal never says which part was wrong (`verification_failed`).

use recovery_api::{
    fields,
    help_desk::{CreateAgentSession, KeyAssertion},
    Secret,
};

use super::{AgentToken, HelpDesk, Session, Stage};
use crate::{error::FlowError, view::AgentView};

/// An agent's own device shows 6 digits; 9 would be a bypass code, which agents cannot use.
const AGENT_PASSCODE_DIGITS: usize = 6;

/// The agent's second factor, for [`HelpDesk::open_session`].
pub(super) enum SecondFactor {
    Passcode(Secret),
    SecurityKey(Box<KeyAssertion>),
}

impl HelpDesk {
    /// Keeps the username and password until the second factor. Starting over signs out.
    pub async fn begin_sign_in(&self, username: &str, password: Secret) -> Result<(), FlowError> {
        let username = fields::normalize_username(username)
            .map_err(|_| FlowError::InvalidInput { field: "username" })?;
        fields::check_password(password.expose())
            .map_err(|_| FlowError::InvalidInput { field: "password" })?;
        self.sign_out().await;
        *self.stage.lock().await = Stage::SigningIn { username, password };
        Ok(())
    }

    /// Signs in with a 6-digit code from the agent's own device.
    pub async fn sign_in_with_passcode(&self, passcode: Secret) -> Result<AgentView, FlowError> {
        let (digits, _) = fields::normalize_passcode(passcode.expose())
            .map_err(|_| FlowError::InvalidInput { field: "passcode" })?;
        if digits.len() != AGENT_PASSCODE_DIGITS {
            return Err(FlowError::InvalidInput { field: "passcode" });
        }
        self.open_session(SecondFactor::Passcode(Secret::new(digits)))
            .await
    }

    /// The username being signed in, or `NotSignedIn`.
    pub(super) async fn signing_in(&self) -> Result<String, FlowError> {
        match &*self.stage.lock().await {
            Stage::SigningIn { username, .. } => Ok(username.clone()),
            _ => Err(FlowError::NotSignedIn),
        }
    }

    /// Sends the password with the second factor. On a refusal the username and password stay,
    /// so the agent can try the second factor again.
    pub(super) async fn open_session(&self, factor: SecondFactor) -> Result<AgentView, FlowError> {
        let request = match &*self.stage.lock().await {
            Stage::SigningIn { username, password } => {
                let (passcode, security_key) = match factor {
                    SecondFactor::Passcode(passcode) => (Some(passcode), None),
                    SecondFactor::SecurityKey(assertion) => (None, Some(*assertion)),
                };
                CreateAgentSession {
                    username: username.clone(),
                    password: password.clone(),
                    passcode,
                    security_key,
                }
            }
            _ => return Err(FlowError::NotSignedIn),
        };
        let created = self.client.create_agent_session(&request).await?;
        drop(request);
        let agent = AgentView::new(created.agent, created.expires_at);
        *self.stage.lock().await = Stage::SignedIn(Session {
            token: AgentToken(created.token),
            agent: agent.clone(),
            call: None,
        });
        Ok(agent)
    }

    /// Ends the session at the service (best effort: it expires anyway) and forgets the agent,
    /// the person and the caller verification.
    pub async fn sign_out(&self) {
        self.ceremony.cancel();
        let previous = std::mem::take(&mut *self.stage.lock().await);
        if let Stage::SignedIn(session) = previous {
            if let Err(error) = self.client.end_agent_session(session.token.secret()).await {
                tracing::info!(%error, "the help-desk session could not be ended at the service; it expires on its own");
            }
        }
    }
}
