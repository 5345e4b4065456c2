//! The key itself: a cheap, cloneable handle on shared [`State`], and what tests may ask of
//! it or do to it between requests (touch it, re-insert it, read its counters).

use std::{
    fmt,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use uuid::Uuid;

use crate::{
    config::{Config, Presence},
    pin,
    request_log::Exchange,
    state::State,
};

/// A virtual security key. Clones share one key: keep a clone to inspect it, touch it,
/// re-insert it or cancel its pending request while another clone is inside a
/// `CtapAuthenticator`.
#[derive(Clone)]
pub struct VirtualAuthenticator {
    shared: Arc<Mutex<State>>,
}

impl fmt::Debug for VirtualAuthenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("VirtualAuthenticator")
            .field("version", &state.config.version)
            .field("aaguid", &state.config.aaguid)
            .field("pin_set", &state.pin_hash.is_some())
            .field("pin_retries", &state.pin_retries)
            .field("credentials", &state.credentials.len())
            .finish_non_exhaustive()
    }
}

impl Default for VirtualAuthenticator {
    fn default() -> Self {
        Self::new(Config::default())
    }
}

impl VirtualAuthenticator {
    /// A fresh key. With [`Attestation::SoftToken`] this mints SoftToken's CA (valid 30 days;
    /// its attestation certificate 5), so make keys per test run, never store them.
    ///
    /// [`Attestation::SoftToken`]: crate::Attestation::SoftToken
    pub fn new(config: Config) -> Self {
        Self {
            shared: Arc::new(Mutex::new(State::new(config))),
        }
    }

    /// The shared state. A panic elsewhere must not make the key unusable for the test that
    /// is reporting it, so a poisoned lock is taken as it is.
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// PIN retries left (what getPINRetries answers).
    pub fn pin_retries(&self) -> u32 {
        self.state().pin_retries
    }

    /// Blocked for good: retries are 0, only a reset helps.
    pub fn is_pin_blocked(&self) -> bool {
        self.state().pin_retries == 0
    }

    /// Blocked until re-inserted after three consecutive wrong PINs.
    pub fn is_blocked_until_reinserted(&self) -> bool {
        self.state().power_cycle_blocked
    }

    pub fn has_pin(&self) -> bool {
        self.state().pin_hash.is_some()
    }

    /// Whether `pin` is the key's PIN (compares LEFT(SHA-256(pin), 16); counts nothing).
    pub fn pin_is(&self, pin: &str) -> bool {
        self.state().pin_hash == Some(pin::pin_hash(pin.as_bytes()))
    }

    pub fn credential_count(&self) -> usize {
        self.state().credentials.len()
    }

    pub fn credential_ids(&self) -> Vec<Vec<u8>> {
        self.state()
            .credentials
            .iter()
            .map(|c| c.id.clone())
            .collect()
    }

    /// Every request so far, oldest first, with the status it got.
    pub fn requests(&self) -> Vec<Exchange> {
        self.state().log.clone()
    }

    pub fn last_request(&self) -> Option<Exchange> {
        self.state().log.last().copied()
    }

    pub fn clear_requests(&self) {
        self.state().log.clear();
    }

    /// How many times [`Token::cancel`] reached the key (CTAPHID_CANCEL), pending or not.
    ///
    /// [`Token::cancel`]: webauthn_authenticator_rs::transport::Token::cancel
    pub fn cancels(&self) -> u32 {
        self.state().cancels
    }

    /// The signature counter (global to the key, like a YubiKey's).
    pub fn sign_count(&self) -> u32 {
        self.state().sign_count
    }

    pub fn aaguid(&self) -> Uuid {
        self.state().config.aaguid
    }

    /// The DER of SoftToken's attestation CA in [`Attestation::SoftToken`] mode, for an
    /// `AttestationCaListBuilder::insert_device_der(…, SOFTTOKEN_AAGUID, …)`.
    ///
    /// [`Attestation::SoftToken`]: crate::Attestation::SoftToken
    pub fn attestation_ca_der(&self) -> Option<Vec<u8>> {
        self.state().soft.as_ref().map(|(_, der)| der.clone())
    }

    pub fn set_presence(&self, presence: Presence) {
        self.state().config.presence = presence;
    }

    /// Press the button. Counts only while a request waits for a touch ([`Presence::Manual`]);
    /// returns whether one did.
    pub fn touch(&self) -> bool {
        let mut state = self.state();
        if state.waiting {
            state.touched = true;
        }
        state.waiting
    }

    /// Whether a request is waiting for a touch right now.
    pub fn is_waiting_for_touch(&self) -> bool {
        self.state().waiting
    }

    /// Unplug and plug back in: clears the power-cycle block and the consecutive-mismatch
    /// count, forgets the pinUvAuthToken and makes a new key-agreement key. PIN, retries and
    /// credentials survive.
    pub fn reinsert(&self) {
        self.state().power_cycle();
    }
}
