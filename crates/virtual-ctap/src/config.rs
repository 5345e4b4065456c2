//! What kind of key to simulate: CTAP version, PIN/UV auth protocols, a factory PIN, the
//! AAGUID, how the person at the key behaves, and the attestation of new credentials.

use std::time::Duration;

use uuid::Uuid;

use crate::credential::PresetCredential;

/// The AAGUID the virtual key reports by default. It is no real model's, so the service names
/// it "Security key".
pub const TEST_AAGUID: Uuid = uuid::uuid!("00c7a2de-5e55-4b1e-8a11-7e57a0000001");
/// YubiKey 5 Series (USB-A/C, firmware 5.2 and 5.4), from Yubico's AAGUID table.
pub const YUBIKEY_5_AAGUID: Uuid = uuid::uuid!("ee882879-721c-4913-9775-3dfcce97072a");
/// YubiKey 5 Series with NFC (firmware 5.2 and 5.4), from Yubico's AAGUID table.
pub const YUBIKEY_5_NFC_AAGUID: Uuid = uuid::uuid!("2fc0579f-8113-47ea-b116-bb5a8db9202a");
/// The AAGUID SoftToken's attestation names; reported in [`Attestation::SoftToken`] mode.
pub const SOFTTOKEN_AAGUID: Uuid = webauthn_authenticator_rs::softtoken::AAGUID;

/// `maxPINRetries` (CTAP 2.1 §6.5.2.1).
pub const MAX_PIN_RETRIES: u32 = 8;
/// Consecutive PIN mismatches after which the key needs a power cycle.
pub const MISMATCHES_BEFORE_POWER_CYCLE: u32 = 3;

/// Which CTAP version the key claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `FIDO_2_0` only: the crate uses legacy getPinToken (0x05) and no selection command.
    Fido20,
    /// `FIDO_2_0` + `FIDO_2_1`, option `pinUvAuthToken`: the crate uses subcommand 0x09.
    Fido21,
}

/// How the person at the key responds when it asks for a touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Touched at once; no keep-alive is sent.
    Immediate,
    /// After this many UPNEEDED keep-alives (one every [`Config::keepalive_interval`]).
    AfterKeepalives(u32),
    /// Only when a test calls [`VirtualAuthenticator::touch`]. Without a touch the key sends
    /// keep-alives until cancelled or until [`Config::up_timeout`], then
    /// `CTAP2_ERR_USER_ACTION_TIMEOUT` (0x2F). This is "the touch never comes".
    ///
    /// [`VirtualAuthenticator::touch`]: crate::VirtualAuthenticator::touch
    Manual,
    /// The user refuses: one UPNEEDED keep-alive, then `CTAP2_ERR_OPERATION_DENIED` (0x27).
    Denied,
}

/// The attestation statement of new credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attestation {
    /// `packed` self attestation: signed with the credential key, no certificate. AuthData
    /// names [`Config::aaguid`]; a relying party treats the AAGUID as unattested.
    PackedSelf,
    /// `none`. AuthData names [`Config::aaguid`].
    None,
    /// Delegate key generation and signing to an inner [`SoftToken`]: `packed` with an `x5c`
    /// chain to a CA minted at construction ([`VirtualAuthenticator::attestation_ca_der`]).
    /// AuthData and getInfo then name [`SOFTTOKEN_AAGUID`], whatever [`Config::aaguid`] says.
    ///
    /// [`SoftToken`]: webauthn_authenticator_rs::softtoken::SoftToken
    /// [`VirtualAuthenticator::attestation_ca_der`]: crate::VirtualAuthenticator::attestation_ca_der
    SoftToken,
}

/// The key's configuration. `Config::default()` is a CTAP 2.1 key with protocols [2, 1], no
/// PIN, immediate presence and `packed` self attestation.
#[derive(Debug, Clone)]
pub struct Config {
    pub version: Version,
    /// In preference order; the crate picks the first one it knows.
    pub pin_protocols: Vec<u32>,
    /// A PIN already set at "manufacture".
    pub pin: Option<String>,
    /// The starting retries count (normally [`MAX_PIN_RETRIES`]; lower to test lock-outs).
    pub pin_retries: u32,
    pub min_pin_length: usize,
    pub aaguid: Uuid,
    pub presence: Presence,
    /// The pause after each keep-alive; USB keys and the crate use 100 ms.
    pub keepalive_interval: Duration,
    /// PROCESSING keep-alives sent before the touch is asked for (0 by default).
    pub processing_keepalives: u32,
    /// How long [`Presence::Manual`] waits for a touch.
    pub up_timeout: Duration,
    pub attestation: Attestation,
    pub max_msg_size: u32,
    /// The signature counter's start (0 for a new key). A key that must outlive the relying
    /// party's memory of it (the demo agent key, restarted with each app) starts it high.
    pub sign_count: u32,
    /// Credentials the key holds from the start, as if registered before it was handed over.
    pub credentials: Vec<PresetCredential>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            version: Version::Fido21,
            pin_protocols: vec![2, 1],
            pin: None,
            pin_retries: MAX_PIN_RETRIES,
            min_pin_length: 4,
            aaguid: TEST_AAGUID,
            presence: Presence::Immediate,
            keepalive_interval: Duration::from_millis(100),
            processing_keepalives: 0,
            up_timeout: Duration::from_secs(30),
            attestation: Attestation::PackedSelf,
            max_msg_size: 1200,
            sign_count: 0,
            credentials: Vec::new(),
        }
    }
}

impl Config {
    /// A CTAP 2.1 key speaking PIN/UV auth protocols 2 and 1 (the default).
    pub fn ctap21() -> Self {
        Self::default()
    }

    /// A CTAP 2.0 key: `FIDO_2_0` only and PIN/UV auth protocol 1 only.
    pub fn ctap20() -> Self {
        Self {
            version: Version::Fido20,
            pin_protocols: vec![1],
            ..Self::default()
        }
    }

    pub fn with_pin(mut self, pin: &str) -> Self {
        self.pin = Some(pin.to_owned());
        self
    }

    pub fn with_presence(mut self, presence: Presence) -> Self {
        self.presence = presence;
        self
    }

    /// The key already holds `credential` (a non-resident one: found through an allowList).
    pub fn with_credential(mut self, credential: PresetCredential) -> Self {
        self.credentials.push(credential);
        self
    }

    pub fn with_pin_protocols(mut self, protocols: &[u32]) -> Self {
        self.pin_protocols = protocols.to_vec();
        self
    }
}
