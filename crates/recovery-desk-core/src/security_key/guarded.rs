//! `Guarded<T>`: the key as the crate sees it, wrapped so that every exchange has a deadline,
//! can be cancelled (CTAPHID_CANCEL reaches the key), resets the keep-alive de-duplication,
//! and lets the PIN retries count the crate discards be read (design §1.6, §1.10, §5.4).

use std::{
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;
use webauthn_authenticator_rs::{
    ctap2::commands::{CBORResponse, ClientPinResponse},
    error::WebauthnCError,
    transport::Token,
    ui::UiCallback,
};
use webauthn_rs_proto::AuthenticatorTransport;

/// authenticatorClientPIN (`W:src/ctap2/commands/client_pin.rs:83-86`).
const CLIENT_PIN: u8 = 0x06;

/// Why the ceremony stopped on its own (the crate reports all three as `Cancelled`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StopReason {
    TimedOut,
    Cancelled,
    /// Only one PIN try was left: it is not spent from the app.
    LastTryWithheld,
}

/// The last keep-alive status shown for the current request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Status {
    Touch,
    Processing,
}

#[derive(Debug, Default)]
struct State {
    retries: Option<u32>,
    reason: Option<StopReason>,
    last_status: Option<Status>,
}

/// What the wrapper, the UI bridge and the ceremony share.
#[derive(Debug)]
pub(super) struct Shared {
    pub(super) cancel: CancellationToken,
    timeout: Duration,
    state: Mutex<State>,
}

impl Shared {
    pub(super) fn new(cancel: CancellationToken, timeout: Duration) -> Self {
        Self {
            cancel,
            timeout,
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The retries count of the last getPINRetries answer.
    pub(super) fn retries(&self) -> Option<u32> {
        self.state().retries
    }

    pub(super) fn reason(&self) -> Option<StopReason> {
        self.state().reason
    }

    /// Records why the ceremony stops; the first reason wins.
    pub(super) fn stop(&self, reason: StopReason) {
        let mut state = self.state();
        if state.reason.is_none() {
            state.reason = Some(reason);
        }
    }

    /// Whether `status` is new for the current request (and remembers it).
    pub(super) fn status_changed(&self, status: Status) -> bool {
        let mut state = self.state();
        let changed = state.last_status != Some(status);
        state.last_status = Some(status);
        changed
    }

    fn new_request(&self) {
        self.state().last_status = None;
    }

    /// Reads pinRetries out of a clientPIN answer (only getPINRetries answers carry it).
    fn snoop_client_pin(&self, response: &[u8]) {
        if let Ok(answer) = <ClientPinResponse as CBORResponse>::try_from(response) {
            if let Some(retries) = answer.pin_retries {
                self.state().retries = Some(retries);
            }
        }
    }
}

enum Outcome {
    Done(Result<Vec<u8>, WebauthnCError>),
    Stopped(StopReason),
}

/// A key whose every exchange can be cancelled and times out.
#[derive(Debug)]
pub(super) struct Guarded<T> {
    inner: T,
    shared: Arc<Shared>,
    initialised: bool,
}

impl<T: Token> Guarded<T> {
    pub(super) fn new(inner: T, shared: Arc<Shared>) -> Self {
        Self {
            inner,
            shared,
            initialised: false,
        }
    }
}

#[async_trait]
impl<T: Token> Token for Guarded<T> {
    type Id = T::Id;

    fn has_button(&self) -> bool {
        self.inner.has_button()
    }

    fn get_transport(&self) -> AuthenticatorTransport {
        self.inner.get_transport()
    }

    async fn transmit_raw<U>(&mut self, cbor: &[u8], ui: &U) -> Result<Vec<u8>, WebauthnCError>
    where
        U: UiCallback,
    {
        if self.shared.reason().is_some() {
            return Err(WebauthnCError::Cancelled);
        }
        self.shared.new_request();
        let outcome = {
            let request = self.inner.transmit_raw(cbor, ui);
            tokio::select! {
                biased;
                _ = self.shared.cancel.cancelled() => Outcome::Stopped(StopReason::Cancelled),
                _ = tokio::time::sleep(self.shared.timeout) => Outcome::Stopped(StopReason::TimedOut),
                result = request => Outcome::Done(result),
            }
        };
        match outcome {
            Outcome::Done(result) => {
                if let (Some(&CLIENT_PIN), Ok(response)) = (cbor.first(), &result) {
                    self.shared.snoop_client_pin(response);
                }
                result
            }
            Outcome::Stopped(reason) => {
                self.shared.stop(reason);
                // The request future is gone; tell the key to drop the request too.
                if let Err(error) = self.inner.cancel().await {
                    tracing::debug!(%error, "CTAPHID_CANCEL could not be sent");
                }
                Err(WebauthnCError::Cancelled)
            }
        }
    }

    async fn cancel(&mut self) -> Result<(), WebauthnCError> {
        self.inner.cancel().await
    }

    /// The first call initialises the key; the crate's second one (in
    /// `CtapAuthenticator::new`, after our pre-flight) does nothing.
    async fn init(&mut self) -> Result<(), WebauthnCError> {
        if self.initialised {
            return Ok(());
        }
        self.inner.init().await?;
        self.initialised = true;
        Ok(())
    }

    async fn close(&mut self) -> Result<(), WebauthnCError> {
        self.inner.close().await
    }
}
