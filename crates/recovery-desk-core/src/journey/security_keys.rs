//! Registering a security key: the service's options, the ceremony with the key
//! ([`crate::security_key`]), then the service keeps the credential under the key's model name
//! (the person may rename it afterwards, see [`Journey::rename_device`]).
//!
//! The window drives a ceremony with three calls: [`Journey::start_security_key`] (runs it to
//! the end, reporting [`KeyEvent`]s), [`Journey::answer_key_pin`] (the person's PIN, when
//! asked) and [`Journey::cancel_security_key`].

use std::{
    future::Future,
    sync::{Mutex, MutexGuard, PoisonError},
};

use recovery_api::{
    fields,
    security_key::{FinishRegistration, RenameAuthenticator},
    ErrorCode,
};
use serde::Deserialize;
use tokio::sync::mpsc;
use unicode_normalization::UnicodeNormalization;
use url::Url;
use zeroize::Zeroizing;

use super::Journey;
use crate::{
    error::FlowError,
    security_key::{
        self, CancellationToken, CreationChallengeResponse, KeyError, KeyEvent, PinReply,
        Registered, Settings, Token,
    },
    view::DeviceView,
};

/// Which key to register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum KeySource {
    /// The key plugged into this computer (USB; on Windows, whatever Windows offers). The
    /// help-desk commands call it `usb`.
    #[serde(alias = "usb")]
    Plugged,
    /// The software demo key (demo mode only).
    Demo,
}

/// The running ceremony's handles: where the person's PIN goes, and its cancel switch.
#[derive(Debug, Default)]
pub(crate) struct CeremonySlot {
    control: Mutex<Option<Control>>,
}

#[derive(Debug)]
struct Control {
    generation: u64,
    pins: mpsc::Sender<PinReply>,
    cancel: CancellationToken,
    /// The prompt on screen, if any: an answer is taken only for it, and only once.
    awaiting: Option<Prompt>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prompt {
    Pin,
    NewPin,
}

impl CeremonySlot {
    fn lock(&self) -> MutexGuard<'_, Option<Control>> {
        self.control.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes a new ceremony the current one; a previous one still running is cancelled (one
    /// key at a time).
    pub(crate) fn open(&self, generation: u64) -> (mpsc::Receiver<PinReply>, CancellationToken) {
        let (pins, replies) = mpsc::channel(1);
        let cancel = CancellationToken::new();
        let previous = self.lock().replace(Control {
            generation,
            pins,
            cancel: cancel.clone(),
            awaiting: None,
        });
        if let Some(previous) = previous {
            previous.cancel.cancel();
        }
        (replies, cancel)
    }

    pub(crate) fn close(&self, generation: u64) {
        let mut slot = self.lock();
        if slot.as_ref().is_some_and(|c| c.generation == generation) {
            *slot = None;
        }
    }

    pub(crate) fn cancel(&self) {
        if let Some(control) = self.lock().take() {
            control.cancel.cancel();
        }
    }

    pub(crate) fn answer(&self, reply: PinReply) -> Result<(), FlowError> {
        let mut slot = self.lock();
        let control = slot
            .as_mut()
            .ok_or(FlowError::SecurityKey(KeyError::Cancelled))?;
        let asked = match &reply {
            PinReply::Pin(_) => Some(Prompt::Pin),
            PinReply::NewPin(_) => Some(Prompt::NewPin),
            PinReply::Cancel => control.awaiting,
        };
        if control.awaiting.is_none() || control.awaiting != asked {
            // Nothing on screen asks for this: it would be spent at a later prompt unseen.
            return Err(FlowError::InvalidInput { field: "pin" });
        }
        control
            .pins
            .try_send(reply)
            .map_err(|_| FlowError::SecurityKey(KeyError::Cancelled))?;
        control.awaiting = None;
        Ok(())
    }

    /// Passes the ceremony's events to the window, noting which prompt is on screen before
    /// the window can see it.
    pub(crate) async fn relay(
        &self,
        generation: u64,
        mut events: mpsc::UnboundedReceiver<KeyEvent>,
        window: mpsc::UnboundedSender<KeyEvent>,
    ) {
        while let Some(event) = events.recv().await {
            let prompt = match &event {
                KeyEvent::PinNeeded { .. } => Some(Prompt::Pin),
                KeyEvent::PinSetupNeeded { .. } | KeyEvent::PinSetupRejected { .. } => {
                    Some(Prompt::NewPin)
                }
                _ => None,
            };
            if prompt.is_some() {
                if let Some(control) = self.lock().as_mut().filter(|c| c.generation == generation) {
                    control.awaiting = prompt;
                }
            }
            // The window may be gone; the ceremony goes on until cancelled.
            let _ = window.send(event);
        }
    }
}

/// Closes the slot when the ceremony ends, however it ends.
pub(crate) struct CloseOnDrop<'a> {
    pub(crate) slot: &'a CeremonySlot,
    pub(crate) generation: u64,
}

impl Drop for CloseOnDrop<'_> {
    fn drop(&mut self) {
        self.slot.close(self.generation);
    }
}

impl Journey {
    /// Registers a key for the signed-in person and returns the new device (named after the
    /// key's model). Runs until the key is registered, fails or is cancelled; `events` says
    /// what to show meanwhile.
    pub async fn start_security_key(
        &self,
        source: KeySource,
        events: mpsc::UnboundedSender<KeyEvent>,
    ) -> Result<DeviceView, FlowError> {
        if source == KeySource::Demo && self.demo_key.is_none() {
            return Err(FlowError::DemoOnly);
        }
        // Opened first, so that a cancel (or `finish`) from here on reaches this ceremony.
        let generation = self
            .ceremony_generation
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (pins, cancel) = self.ceremony.open(generation);
        let _close = CloseOnDrop {
            slot: &self.ceremony,
            generation,
        };
        // Before looking for a key: a cancelled ceremony may still be talking to it.
        let claim = security_key::claim_keys(&cancel)
            .await
            .map_err(FlowError::SecurityKey)?;
        // Nobody is asked to plug in a key for a session that is already gone.
        self.token().await?;
        let settings = Settings {
            org_min_pin_length: self.options.min_key_pin_length,
            ..Settings::default()
        };
        let (to_relay, relayed) = mpsc::unbounded_channel();
        let ceremony = async {
            match (source, &self.demo_key) {
                (KeySource::Demo, Some(demo)) => {
                    // Each try starts as if the key had just been plugged in ("unplug it and
                    // plug it back in" is then one click on Try again).
                    demo.reinsert();
                    let key = demo.token();
                    self.register_claimed(claim, key, None, to_relay, pins, cancel, settings)
                        .await
                }
                _ => {
                    self.register_plugged_key(claim, to_relay, pins, cancel, settings)
                        .await
                }
            }
        };
        let relay = self.ceremony.relay(generation, relayed, events);
        let (result, ()) = tokio::join!(ceremony, relay);
        result
    }

    /// The person's answer to a PIN prompt of the running ceremony.
    /// An empty or over-long PIN (CTAP allows 63 bytes) is refused here without costing a try;
    /// a new PIN's rules are the ceremony's (it answers `PinSetupRejected`).
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

    /// Presses the demo key's button (demo mode only); `false` when it was not waiting.
    pub fn touch_demo_key(&self) -> Result<bool, FlowError> {
        let demo = self.demo_key.as_ref().ok_or(FlowError::DemoOnly)?;
        Ok(demo.touch())
    }

    /// Registers `key` for the signed-in person (tests and benches give their own key and
    /// channels; the window goes through [`Self::start_security_key`]). `name` defaults to the
    /// key's model; `cancel` stops it at any point.
    pub async fn register_security_key_with<T: Token + 'static>(
        &self,
        key: T,
        name: Option<String>,
        events: mpsc::UnboundedSender<KeyEvent>,
        pins: mpsc::Receiver<PinReply>,
        cancel: CancellationToken,
        settings: Settings,
    ) -> Result<DeviceView, FlowError> {
        let claim = security_key::claim_keys(&cancel)
            .await
            .map_err(FlowError::SecurityKey)?;
        self.register_claimed(claim, key, name, events, pins, cancel, settings)
            .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn register_claimed<T: Token + 'static>(
        &self,
        claim: security_key::KeyClaim,
        key: T,
        name: Option<String>,
        events: mpsc::UnboundedSender<KeyEvent>,
        pins: mpsc::Receiver<PinReply>,
        cancel: CancellationToken,
        settings: Settings,
    ) -> Result<DeviceView, FlowError> {
        let stop = cancel.clone();
        let progress = events.clone();
        self.register_via(name, &stop, Some(&progress), |options, origin| {
            security_key::register_with_info(
                claim, key, options, origin, events, pins, cancel, settings,
            )
        })
        .await
    }

    /// Gives a device a new name (trimmed, 1 to 64 characters).
    pub async fn rename_device(
        &self,
        device_id: &str,
        name: &str,
    ) -> Result<DeviceView, FlowError> {
        let name = checked_name(Some(name))?.ok_or(FlowError::InvalidInput { field: "name" })?;
        if device_id.is_empty() || device_id.len() > 128 {
            return Err(FlowError::InvalidInput { field: "deviceId" });
        }
        let token = self.token().await?;
        let result = self
            .client
            .rename_authenticator(token.secret(), device_id, &RenameAuthenticator { name })
            .await;
        Ok(DeviceView::from(self.settle(result).await?))
    }

    /// The key plugged into this computer: found over USB (Linux, macOS), then registered
    /// like any other key.
    #[cfg(not(windows))]
    async fn register_plugged_key(
        &self,
        claim: security_key::KeyClaim,
        events: mpsc::UnboundedSender<KeyEvent>,
        pins: mpsc::Receiver<PinReply>,
        cancel: CancellationToken,
        settings: Settings,
    ) -> Result<DeviceView, FlowError> {
        // Opening a key and its CTAPHID_INIT are blocking reads: off the async workers.
        let (found, stop, timeout) = (events.clone(), cancel.clone(), settings.timeout);
        let key = tokio::task::spawn_blocking(move || {
            tokio::runtime::Handle::current()
                .block_on(security_key::backend::os_key(&found, &stop, timeout))
        })
        .await
        .map_err(|_| FlowError::SecurityKey(KeyError::Unsupported))?
        .map_err(FlowError::SecurityKey)?;
        self.register_claimed(claim, key, None, events, pins, cancel, settings)
            .await
    }

    /// On Windows, Windows itself finds the key and asks for its PIN and touch.
    #[cfg(windows)]
    async fn register_plugged_key(
        &self,
        claim: security_key::KeyClaim,
        _events: mpsc::UnboundedSender<KeyEvent>,
        _pins: mpsc::Receiver<PinReply>,
        cancel: CancellationToken,
        _settings: Settings,
    ) -> Result<DeviceView, FlowError> {
        let stop = cancel.clone();
        self.register_via(None, &stop, None, |options, origin| {
            security_key::backend::register_windows(claim, options, origin, cancel)
        })
        .await
    }

    /// Starts the registration at the service, lets `ceremony` talk to the key, and has the
    /// service keep the credential.
    /// A cancel after the key answered still wins: nothing is stored.
    async fn register_via<F, Fut>(
        &self,
        name: Option<String>,
        cancel: &CancellationToken,
        progress: Option<&mpsc::UnboundedSender<KeyEvent>>,
        ceremony: F,
    ) -> Result<DeviceView, FlowError>
    where
        F: FnOnce(CreationChallengeResponse, Url) -> Fut,
        Fut: Future<Output = Result<Registered, KeyError>>,
    {
        let name = checked_name(name.as_deref())?;
        let token = self.token().await?;
        let result = self
            .client
            .start_security_key_registration(token.secret())
            .await;
        let started = self.settle(result).await?;
        let origin = Url::parse(&started.origin).map_err(|_| {
            FlowError::Internal("the service did not say which origin its keys answer".into())
        })?;
        let registered = ceremony(started.options, origin)
            .await
            .map_err(FlowError::SecurityKey)?;
        if cancel.is_cancelled() {
            return Err(FlowError::SecurityKey(KeyError::Cancelled));
        }
        if let Some(progress) = progress {
            let _ = progress.send(KeyEvent::Processing);
        }
        let request = FinishRegistration {
            name: name.unwrap_or(registered.key.model),
            credential: registered.credential,
        };
        let result = self
            .client
            .finish_security_key_registration(token.secret(), &started.id, &request)
            .await;
        let key = self.settle(result).await.map_err(key_refused)?;
        Ok(DeviceView::from(key))
    }
}

/// A PIN as CTAP takes it: NFC-normalised (as the crate does when it sets one), not empty, at
/// most 63 bytes, no NUL. Refused here, it costs no try.
pub(crate) fn checked_pin(pin: &str) -> Result<Zeroizing<String>, FlowError> {
    let normalised: Zeroizing<String> = Zeroizing::new(pin.nfc().collect());
    if normalised.is_empty() || normalised.len() > 63 || normalised.contains('\0') {
        return Err(FlowError::InvalidInput { field: "pin" });
    }
    Ok(normalised)
}

/// A name as the person typed it, by the service's rule ([`fields::normalize_device_name`]):
/// trimmed, `None` when empty, refused when too long or holding control, direction or
/// separator characters.
pub(crate) fn checked_name(name: Option<&str>) -> Result<Option<String>, FlowError> {
    match name {
        None => Ok(None),
        Some(name) => fields::normalize_device_name(name)
            .map_err(|_| FlowError::InvalidInput { field: "name" }),
    }
}

/// The service's verdicts on the key itself, as the key's errors.
pub(crate) fn key_refused(error: FlowError) -> FlowError {
    match error.service_code() {
        Some(ErrorCode::SecurityKeyAlreadyRegistered) => {
            FlowError::SecurityKey(KeyError::AlreadyRegistered)
        }
        Some(ErrorCode::SecurityKeyModelNotAllowed) => {
            FlowError::SecurityKey(KeyError::ModelNotAllowed)
        }
        _ => error,
    }
}
