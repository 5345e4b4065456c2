//! Security keys at the help desk: the agent signs in with theirs (a CTAP2 assertion, PIN
//! required), or the person registers one at the help-desk PC. The window drives both as it
//! drives the person's registration: the command runs the ceremony to its end and reports
//! [`KeyEvent`]s, [`HelpDesk::answer_key_pin`] passes a PIN, [`HelpDesk::cancel_security_key`]
//! stops it. In demo mode the key is the demo agent key (hopper's credential, PIN 1906).

use recovery_api::{
    help_desk::{ActionContext, KeyAssertion, KeySignInStarted, StartKeySignIn},
    security_key::{FinishRegistration, RegistrationStarted},
};
use tokio::sync::mpsc;
use url::Url;

use super::{actions::checked_reason, sign_in::SecondFactor, HelpDesk};
use crate::{
    error::FlowError,
    journey::{
        security_keys::{checked_pin, key_refused, CloseOnDrop},
        KeySource,
    },
    security_key::{self, CancellationToken, KeyError, KeyEvent, PinReply, Settings},
    view::{AgentView, DeviceView},
};

impl HelpDesk {
    /// Signs the agent in with their security key (after [`Self::begin_sign_in`]).
    pub async fn sign_in_with_key(
        &self,
        source: KeySource,
        events: mpsc::UnboundedSender<KeyEvent>,
    ) -> Result<AgentView, FlowError> {
        self.check_source(source)?;
        let username = self.signing_in().await?;
        let (generation, pins, cancel) = self.open_ceremony();
        let _close = CloseOnDrop {
            slot: &self.ceremony,
            generation,
        };
        let claim = security_key::claim_keys(&cancel)
            .await
            .map_err(FlowError::SecurityKey)?;
        let KeySignInStarted {
            challenge_id,
            options,
            origin,
        } = self
            .client
            .start_agent_key_sign_in(&StartKeySignIn { username })
            .await?;
        let origin = service_origin(&origin)?;
        let settings = self.settings();
        let (to_relay, relayed) = mpsc::unbounded_channel();
        let ceremony = async {
            match (source, &self.demo_key) {
                (KeySource::Demo, Some(demo)) => {
                    demo.reinsert();
                    security_key::assert_with_key(
                        claim,
                        demo.token(),
                        options,
                        origin,
                        to_relay,
                        pins,
                        cancel.clone(),
                        settings,
                    )
                    .await
                }
                _ => {
                    let key = plugged_key(&to_relay, &cancel, settings).await?;
                    security_key::assert_with_key(
                        claim,
                        key,
                        options,
                        origin,
                        to_relay,
                        pins,
                        cancel.clone(),
                        settings,
                    )
                    .await
                }
            }
        };
        let relay = self.ceremony.relay(generation, relayed, events);
        let (result, ()) = tokio::join!(ceremony, relay);
        let credential = result.map_err(FlowError::SecurityKey)?;
        if cancel.is_cancelled() {
            return Err(FlowError::SecurityKey(KeyError::Cancelled));
        }
        self.open_session(SecondFactor::SecurityKey(Box::new(KeyAssertion {
            challenge_id,
            credential,
        })))
        .await
    }

    /// Registers a security key for the person on the line, at this PC (a strong caller
    /// verification is needed). The new device is named after the key's model.
    pub async fn register_key_here(
        &self,
        source: KeySource,
        reason: &str,
        events: mpsc::UnboundedSender<KeyEvent>,
    ) -> Result<DeviceView, FlowError> {
        let reason = checked_reason(reason)?;
        self.check_source(source)?;
        let (generation, pins, cancel) = self.open_ceremony();
        let _close = CloseOnDrop {
            slot: &self.ceremony,
            generation,
        };
        let claim = security_key::claim_keys(&cancel)
            .await
            .map_err(FlowError::SecurityKey)?;
        let (token, username, caller_verification) = self.verified_call().await?;
        let context = ActionContext {
            caller_verification,
            reason,
        };
        let result = self
            .client
            .start_key_registration_for_person(token.secret(), &username, &context)
            .await;
        let RegistrationStarted {
            id: registration_id,
            options,
            origin,
        } = self.settle(result).await?;
        let origin = service_origin(&origin)?;
        let settings = self.settings();
        let (to_relay, relayed) = mpsc::unbounded_channel();
        let progress = to_relay.clone();
        let ceremony = async {
            match (source, &self.demo_key) {
                (KeySource::Demo, Some(demo)) => {
                    demo.reinsert();
                    security_key::register_with_info(
                        claim,
                        demo.token(),
                        options,
                        origin,
                        to_relay,
                        pins,
                        cancel.clone(),
                        settings,
                    )
                    .await
                }
                _ => {
                    let key = plugged_key(&to_relay, &cancel, settings).await?;
                    security_key::register_with_info(
                        claim,
                        key,
                        options,
                        origin,
                        to_relay,
                        pins,
                        cancel.clone(),
                        settings,
                    )
                    .await
                }
            }
        };
        let relay = self.ceremony.relay(generation, relayed, events);
        let (result, ()) = tokio::join!(ceremony, relay);
        let registered = result.map_err(FlowError::SecurityKey)?;
        if cancel.is_cancelled() {
            return Err(FlowError::SecurityKey(KeyError::Cancelled));
        }
        let _ = progress.send(KeyEvent::Processing);
        let request = FinishRegistration {
            name: registered.key.model,
            credential: registered.credential,
        };
        let result = self
            .client
            .finish_key_registration_for_person(
                token.secret(),
                &username,
                &registration_id,
                &request,
            )
            .await;
        let device = self.settle(result).await.map_err(key_refused)?;
        Ok(DeviceView::from(device))
    }

    /// The agent's answer to a PIN prompt of the running ceremony (refused here, without
    /// costing a try, when empty or over-long).
    pub fn answer_key_pin(&self, reply: PinReply) -> Result<(), FlowError> {
        let reply = match reply {
            PinReply::Pin(pin) => PinReply::Pin(checked_pin(&pin)?),
            PinReply::NewPin(pin) => PinReply::NewPin(checked_pin(&pin)?),
            PinReply::Cancel => PinReply::Cancel,
        };
        self.ceremony.answer(reply)
    }

    /// Stops the running ceremony, if any; the key is told to stop waiting for a touch.
    pub fn cancel_security_key(&self) {
        self.ceremony.cancel();
    }

    /// Presses the demo agent key's button (demo mode only); `false` when it was not waiting.
    pub fn touch_demo_key(&self) -> Result<bool, FlowError> {
        let demo = self.demo_key.as_ref().ok_or(FlowError::DemoOnly)?;
        Ok(demo.touch())
    }

    fn check_source(&self, source: KeySource) -> Result<(), FlowError> {
        if source == KeySource::Demo && self.demo_key.is_none() {
            return Err(FlowError::DemoOnly);
        }
        Ok(())
    }

    /// A new ceremony in the slot (a previous one is cancelled): its generation, the PIN
    /// channel and its cancel switch. Opened first, so that a cancel from here on reaches it.
    fn open_ceremony(&self) -> (u64, mpsc::Receiver<PinReply>, CancellationToken) {
        let generation = self
            .ceremony_generation
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (pins, cancel) = self.ceremony.open(generation);
        (generation, pins, cancel)
    }

    fn settings(&self) -> Settings {
        Settings {
            org_min_pin_length: self.options.min_key_pin_length,
            ..Settings::default()
        }
    }
}

fn service_origin(origin: &str) -> Result<Url, FlowError> {
    Url::parse(origin).map_err(|_| {
        FlowError::Internal("the service did not say which origin its keys answer".into())
    })
}

/// The key plugged into this computer, found over USB (Linux, macOS).
#[cfg(not(windows))]
async fn plugged_key(
    events: &mpsc::UnboundedSender<KeyEvent>,
    cancel: &CancellationToken,
    settings: Settings,
) -> Result<security_key::backend::OsKey, KeyError> {
    // Opening a key and its CTAPHID_INIT are blocking reads: off the async workers.
    let (found, stop, timeout) = (events.clone(), cancel.clone(), settings.timeout);
    tokio::task::spawn_blocking(move || {
        tokio::runtime::Handle::current()
            .block_on(security_key::backend::os_key(&found, &stop, timeout))
    })
    .await
    .map_err(|_| KeyError::Unsupported)?
}

/// Windows' own WebAuthn dialog is not wired to the help desk yet: agents there use the
/// passcode, and keys are registered with the person's own app or the e-mailed link.
#[cfg(windows)]
async fn plugged_key(
    _events: &mpsc::UnboundedSender<KeyEvent>,
    _cancel: &CancellationToken,
    _settings: Settings,
) -> Result<virtual_ctap::VirtualAuthenticator, KeyError> {
    Err(KeyError::Unsupported)
}
