//! The help desk's console (agent mode, docs/help-desk.md): an agent signs in with their
//! password and their own security key or passcode, finds the caller's account, verifies the
//! caller, then acts on the account.
//!
//! [`HelpDesk`] holds the only copies of the agent's password (until sign-in), the agent's
//! session token (until it ends), and the call: the person's username and the caller
//! verification's id. None of them ever reaches the web view, and every secret is zeroized
//! when dropped. Each method is one IPC command of docs/ipc.md.

mod actions;
mod call;
mod keys;
mod sign_in;

use recovery_api::{ErrorCode, Problem, Secret};
use time::OffsetDateTime;
use tokio::sync::Mutex;

use crate::{
    error::FlowError, journey::security_keys::CeremonySlot, security_key::DemoKey,
    service_client::ServiceClient, view::AgentView,
};

/// An agent session's bearer token (`help_desk_session`). `Debug` never shows it.
#[derive(Clone)]
pub struct AgentToken(Secret);

impl AgentToken {
    fn secret(&self) -> &Secret {
        &self.0
    }
}

impl std::fmt::Debug for AgentToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AgentToken(<redacted>)")
    }
}

/// Where the agent is. Moving back to `Start` drops (and so wipes) every secret.
#[derive(Debug, Default)]
enum Stage {
    #[default]
    Start,
    /// Username and password taken; the second factor comes next.
    SigningIn {
        username: String,
        password: Secret,
    },
    SignedIn(Session),
}

#[derive(Debug)]
struct Session {
    token: AgentToken,
    agent: AgentView,
    /// The person on the line, once looked up.
    call: Option<Call>,
}

/// The person the agent is helping, and how far their caller verification got.
#[derive(Debug)]
struct Call {
    username: String,
    check: Option<CallerCheck>,
}

/// A caller verification the service started (or finished) for this call.
#[derive(Debug, Clone)]
struct CallerCheck {
    id: String,
    verified: bool,
    expires_at: OffsetDateTime,
}

/// Settings of the console from the organisation's configuration.
#[derive(Debug, Clone, Copy)]
pub struct HelpDeskOptions {
    /// The service is the embedded demo: the demo agent key is offered.
    pub demo: bool,
    /// The organisation's shortest PIN for a new security key (a key registered at the desk).
    pub min_key_pin_length: usize,
}

impl Default for HelpDeskOptions {
    fn default() -> Self {
        Self {
            demo: false,
            min_key_pin_length: crate::security_key::MIN_PIN_LENGTH,
        }
    }
}

#[derive(Debug)]
pub struct HelpDesk {
    client: ServiceClient,
    options: HelpDeskOptions,
    stage: Mutex<Stage>,
    /// The security-key ceremony under way (sign-in, or a key registered at the desk).
    ceremony: CeremonySlot,
    ceremony_generation: std::sync::atomic::AtomicU64,
    /// Demo mode's agent key: holds hopper's credential (PIN 1906) from the start.
    demo_key: Option<DemoKey>,
}

impl HelpDesk {
    pub fn new(client: ServiceClient, options: HelpDeskOptions) -> Self {
        let demo_key = if options.demo {
            DemoKey::agent()
                .inspect_err(|error| tracing::error!(%error, "the demo agent key cannot be made"))
                .ok()
        } else {
            None
        };
        Self {
            client,
            options,
            stage: Mutex::new(Stage::Start),
            ceremony: CeremonySlot::default(),
            ceremony_generation: std::sync::atomic::AtomicU64::new(0),
            demo_key,
        }
    }

    pub fn client(&self) -> &ServiceClient {
        &self.client
    }

    /// The signed-in agent, if any.
    pub async fn agent(&self) -> Option<AgentView> {
        match &*self.stage.lock().await {
            Stage::SignedIn(session) => Some(session.agent.clone()),
            _ => None,
        }
    }

    /// Whether no agent is signed in or signing in (updates install only then).
    pub async fn is_idle(&self) -> bool {
        matches!(*self.stage.lock().await, Stage::Start)
    }

    /// The session's token, or `NotSignedIn`. A session past its end is wiped here rather than
    /// sent to be refused.
    async fn token(&self) -> Result<AgentToken, FlowError> {
        let mut stage = self.stage.lock().await;
        match &*stage {
            Stage::SignedIn(session) if session.agent.expires_at > OffsetDateTime::now_utc() => {
                Ok(session.token.clone())
            }
            Stage::SignedIn(_) => {
                *stage = Stage::Start;
                Err(FlowError::Service(Box::new(Problem::new(
                    ErrorCode::SessionExpired,
                    "The help-desk session ran out of time. Sign in again.",
                ))))
            }
            _ => Err(FlowError::NotSignedIn),
        }
    }

    /// The token and the person on the line, or why there is none.
    async fn call(&self) -> Result<(AgentToken, String), FlowError> {
        let token = self.token().await?;
        match &*self.stage.lock().await {
            Stage::SignedIn(Session {
                call: Some(call), ..
            }) => Ok((token, call.username.clone())),
            Stage::SignedIn(_) => Err(FlowError::NoPerson),
            _ => Err(FlowError::NotSignedIn),
        }
    }

    /// The token, the person and the id of their (verified, unexpired) caller verification.
    /// Without one nothing is sent: the service would refuse with the same code.
    async fn verified_call(&self) -> Result<(AgentToken, String, String), FlowError> {
        let (token, username) = self.call().await?;
        let stage = self.stage.lock().await;
        let check = match &*stage {
            Stage::SignedIn(Session {
                call: Some(call), ..
            }) => call.check.clone(),
            _ => None,
        };
        match check {
            Some(check) if check.verified && check.expires_at > OffsetDateTime::now_utc() => {
                Ok((token, username, check.id))
            }
            _ => Err(FlowError::Service(Box::new(Problem::new(
                ErrorCode::CallerNotVerified,
                "Verify the caller first.",
            )))),
        }
    }

    /// Wipes the agent's state when the service says the session is gone, forgets a caller
    /// verification the service no longer accepts, and passes the error on.
    async fn settle<T>(&self, result: Result<T, impl Into<FlowError>>) -> Result<T, FlowError> {
        let result = result.map_err(Into::into);
        if let Err(error) = &result {
            let mut stage = self.stage.lock().await;
            if error.ends_session() {
                *stage = Stage::Start;
            } else if error.service_code() == Some(ErrorCode::CallerNotVerified) {
                if let Stage::SignedIn(Session {
                    call: Some(call), ..
                }) = &mut *stage
                {
                    call.check = None;
                }
            }
        }
        result
    }

    /// Records the caller verification the service answered for the person on the line (a
    /// call ended meanwhile keeps nothing).
    async fn remember_check(&self, username: &str, check: CallerCheck) {
        if let Stage::SignedIn(Session {
            call: Some(call), ..
        }) = &mut *self.stage.lock().await
        {
            if call.username == username {
                call.check = Some(check);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed_in(expires_at: OffsetDateTime) -> HelpDesk {
        let client =
            ServiceClient::new(url::Url::parse("http://127.0.0.1:9").unwrap(), None).unwrap();
        let help_desk = HelpDesk::new(client, HelpDeskOptions::default());
        let agent = AgentView {
            username: "hopper".into(),
            display_name: "Grace Hopper".into(),
            role: recovery_api::help_desk::AgentRole::HelpDesk,
            method: recovery_api::help_desk::AgentSignInMethod::Passcode,
            permissions: Vec::new(),
            expires_at,
            security_keys: 0,
        };
        *help_desk.stage.try_lock().unwrap() = Stage::SignedIn(Session {
            token: AgentToken(Secret::new("agent-token-value")),
            agent,
            call: Some(Call {
                username: "ada".into(),
                check: Some(CallerCheck {
                    id: "check".into(),
                    verified: true,
                    expires_at,
                }),
            }),
        });
        help_desk
    }

    fn problem(code: ErrorCode) -> FlowError {
        FlowError::Service(Box::new(Problem::new(code, "refused")))
    }

    #[tokio::test]
    async fn a_session_the_service_calls_gone_wipes_the_agent_and_the_call() {
        for code in [ErrorCode::SessionExpired, ErrorCode::SessionInvalid] {
            let help_desk = signed_in(OffsetDateTime::now_utc() + time::Duration::minutes(10));
            let result: Result<(), FlowError> = help_desk.settle(Err(problem(code))).await;
            assert!(result.is_err());
            assert!(help_desk.is_idle().await, "{code:?}");
            assert!(matches!(
                help_desk.find_person("ada").await,
                Err(FlowError::NotSignedIn)
            ));
        }
    }

    #[tokio::test]
    async fn a_session_past_its_end_is_wiped_without_asking_the_service() {
        let help_desk = signed_in(OffsetDateTime::now_utc() - time::Duration::seconds(1));
        let error = help_desk.token().await.unwrap_err();
        assert_eq!(error.service_code(), Some(ErrorCode::SessionExpired));
        assert!(help_desk.is_idle().await);
    }

    #[tokio::test]
    async fn a_refused_caller_check_is_forgotten_but_the_agent_stays() {
        let help_desk = signed_in(OffsetDateTime::now_utc() + time::Duration::minutes(10));
        let _: Result<(), FlowError> = help_desk
            .settle(Err(problem(ErrorCode::CallerNotVerified)))
            .await;
        assert!(help_desk.agent().await.is_some());
        let error = help_desk.verified_call().await.unwrap_err();
        assert_eq!(error.service_code(), Some(ErrorCode::CallerNotVerified));
    }

    #[test]
    fn the_token_never_prints() {
        let token = AgentToken(Secret::new("agent-token-value"));
        assert_eq!(format!("{token:?}"), "AgentToken(<redacted>)");
        let help_desk = signed_in(OffsetDateTime::now_utc());
        assert!(!format!("{help_desk:?}").contains("agent-token-value"));
    }
}
