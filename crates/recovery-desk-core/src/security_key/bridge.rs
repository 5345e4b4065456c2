//! The crate's `UiCallback`, bridged to the app: events out on an unbounded channel (the
//! crate calls `request_touch` from its keep-alive loop and it must not block), PINs in from
//! the person's replies (design §1.4).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::mpsc;
use webauthn_authenticator_rs::{
    types::{CableRequestType, CableState, EnrollSampleStatus},
    ui::UiCallback,
};
use zeroize::Zeroizing;

use super::{
    guarded::{Shared, Status, StopReason},
    KeyEvent, PinReply,
};

#[derive(Debug)]
pub(super) struct Bridge {
    events: mpsc::UnboundedSender<KeyEvent>,
    pins: Mutex<mpsc::Receiver<PinReply>>,
    shared: Arc<Shared>,
    /// A PIN just set on the key: the next PIN request is answered with it, unasked.
    preset: Mutex<Option<Zeroizing<String>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Bridge {
    pub(super) fn new(
        events: mpsc::UnboundedSender<KeyEvent>,
        pins: mpsc::Receiver<PinReply>,
        shared: Arc<Shared>,
    ) -> Self {
        Self {
            events,
            pins: Mutex::new(pins),
            shared,
            preset: Mutex::new(None),
        }
    }

    pub(super) fn emit(&self, event: KeyEvent) {
        // Nobody listening is not an error: the ceremony goes on (and cancel still works).
        let _ = self.events.send(event);
    }

    pub(super) fn preset(&self, pin: Zeroizing<String>) {
        *lock(&self.preset) = Some(pin);
    }

    /// The person's next reply, or `None` when the ceremony was cancelled meanwhile (or the
    /// UI went away: the forwarder in [`super::register_with_info`] then drops its sender).
    /// Blocks this blocking-pool thread, also from inside the crate's own `block_on` (so no
    /// executor here); the deadline does not run meanwhile.
    pub(super) fn wait_reply(&self) -> Option<PinReply> {
        let reply = if self.shared.cancel.is_cancelled() {
            None
        } else {
            lock(&self.pins).blocking_recv()
        };
        if reply.is_none() {
            self.shared.stop(StopReason::Cancelled);
        }
        reply
    }
}

impl UiCallback for Bridge {
    /// Called once per PIN attempt, right after the crate's getPINRetries (which the wrapper
    /// read), so `retries` is current.
    fn request_pin(&self) -> Option<String> {
        let retries = self.shared.retries();
        if matches!(retries, Some(left) if left <= 1) {
            self.shared.stop(StopReason::LastTryWithheld);
            return None;
        }
        if let Some(pin) = lock(&self.preset).take() {
            return Some(pin.as_str().to_owned());
        }
        self.emit(KeyEvent::PinNeeded {
            retries_left: retries,
        });
        match self.wait_reply()? {
            PinReply::Pin(pin) | PinReply::NewPin(pin) => Some(pin.as_str().to_owned()),
            PinReply::Cancel => {
                self.shared.stop(StopReason::Cancelled);
                None
            }
        }
    }

    fn request_touch(&self) {
        if self.shared.status_changed(Status::Touch) {
            self.emit(KeyEvent::TouchNeeded);
        }
    }

    fn processing(&self) {
        if self.shared.status_changed(Status::Processing) {
            self.emit(KeyEvent::Processing);
        }
    }

    fn fingerprint_enrollment_feedback(&self, _: u32, _: Option<EnrollSampleStatus>) {}
    fn cable_qr_code(&self, _: CableRequestType, _: String) {}
    fn dismiss_qr_code(&self) {}
    fn cable_status_update(&self, _: CableState) {}
}
