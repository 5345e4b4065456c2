//! The person's journey: sign in, verify, then act on their devices, then finish.
//!
//! [`Journey`] holds the only copies of the password (until verification) and the session
//! token (until the session ends); both are zeroized when dropped. Each method is one thing a
//! screen asks for, so the Tauri commands and the tests call exactly the same code.

mod devices;
mod recovery_pin;
pub(crate) mod security_keys;
mod verification;

use std::sync::atomic::AtomicU64;

use recovery_api::Secret;
use time::OffsetDateTime;
use tokio::sync::Mutex;

pub use security_keys::KeySource;

use crate::{
    error::FlowError, security_key::DemoKey, service_client::ServiceClient, view::OutboxMessageView,
};

/// A recovery session's bearer token. `Debug` never shows it.
#[derive(Clone)]
pub struct SessionToken(Secret);

impl SessionToken {
    fn secret(&self) -> &Secret {
        &self.0
    }
}

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(<redacted>)")
    }
}

/// Where the person is. Moving back to `Start` drops (and so wipes) every secret.
#[derive(Debug, Default)]
enum Stage {
    #[default]
    Start,
    /// Username and password taken; the second check comes next.
    SigningIn {
        username: String,
        password: Secret,
    },
    Verified(Session),
}

#[derive(Debug)]
struct Session {
    token: SessionToken,
    display_name: String,
    expires_at: OffsetDateTime,
    /// The last bypass code, for "copy" (the screen shows it; the clipboard gets it from here).
    last_code: Option<Secret>,
}

/// Settings of the journey that come from the organisation's configuration.
#[derive(Debug, Clone, Copy)]
pub struct JourneyOptions {
    /// The service is the embedded demo: its outbox can be read, and the demo security key
    /// can be registered.
    pub demo: bool,
    /// The bypass code may be copied (not at a kiosk).
    pub copy_allowed: bool,
    /// The organisation's shortest PIN for a new security key.
    pub min_key_pin_length: usize,
}

impl Default for JourneyOptions {
    fn default() -> Self {
        Self {
            demo: false,
            copy_allowed: true,
            min_key_pin_length: crate::security_key::MIN_PIN_LENGTH,
        }
    }
}

#[derive(Debug)]
pub struct Journey {
    client: ServiceClient,
    options: JourneyOptions,
    stage: Mutex<Stage>,
    /// The security-key ceremony under way, if any.
    ceremony: security_keys::CeremonySlot,
    ceremony_generation: AtomicU64,
    /// Demo mode's software key, kept for the app's lifetime like a key left plugged in.
    demo_key: Option<DemoKey>,
}

impl Journey {
    pub fn new(client: ServiceClient, options: JourneyOptions) -> Self {
        Self {
            client,
            options,
            stage: Mutex::new(Stage::Start),
            ceremony: security_keys::CeremonySlot::default(),
            ceremony_generation: AtomicU64::new(0),
            demo_key: options.demo.then(DemoKey::new),
        }
    }

    pub fn client(&self) -> &ServiceClient {
        &self.client
    }

    /// Whether nobody is in the middle of a recovery (updates install only then).
    pub async fn is_idle(&self) -> bool {
        matches!(*self.stage.lock().await, Stage::Start)
    }

    /// Runs `task` only if nobody is in the middle of a recovery, and keeps anyone from starting
    /// one until it is done (an update installs this way, then the app restarts).
    pub async fn run_if_idle<T>(&self, task: impl FnOnce() -> T) -> Option<T> {
        let stage = self.stage.lock().await;
        matches!(*stage, Stage::Start).then(task)
    }

    /// "Finish and clear": ends the session at the service (best effort: it expires anyway)
    /// and forgets everything about the person.
    pub async fn finish(&self) {
        self.ceremony.cancel();
        let previous = std::mem::take(&mut *self.stage.lock().await);
        if let Stage::Verified(session) = previous {
            if let Err(error) = self.client.end_session(session.token.secret()).await {
                tracing::info!(%error, "the session could not be ended at the service; it expires on its own");
            }
        }
    }

    /// The demo service's outbox, newest first.
    pub async fn demo_inbox(&self) -> Result<Vec<OutboxMessageView>, FlowError> {
        if !self.options.demo {
            return Err(FlowError::DemoOnly);
        }
        let outbox = self.client.demo_outbox().await?;
        Ok(outbox
            .messages
            .into_iter()
            .rev()
            .map(OutboxMessageView::from)
            .collect())
    }

    /// The session's token, or `NotSignedIn`. A session past its end is dropped here rather
    /// than sent to be refused.
    async fn token(&self) -> Result<SessionToken, FlowError> {
        let mut stage = self.stage.lock().await;
        match &*stage {
            Stage::Verified(session) if session.expires_at > OffsetDateTime::now_utc() => {
                Ok(session.token.clone())
            }
            Stage::Verified(_) => {
                *stage = Stage::Start;
                Err(FlowError::Service(Box::new(recovery_api::Problem::new(
                    recovery_api::ErrorCode::SessionExpired,
                    "The recovery session ran out of time.",
                ))))
            }
            _ => Err(FlowError::NotSignedIn),
        }
    }

    /// Forgets the session when the service says it is gone, and passes the error on.
    async fn settle<T>(&self, result: Result<T, impl Into<FlowError>>) -> Result<T, FlowError> {
        let result = result.map_err(Into::into);
        if let Err(error) = &result {
            if error.ends_session() {
                *self.stage.lock().await = Stage::Start;
            }
        }
        result
    }
}
