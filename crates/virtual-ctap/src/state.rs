//! Everything one key remembers. It sits behind the lock all clones share; commands run on
//! it synchronously and only the wait for a touch happens outside it.

use crypto_glue::{
    ecdsa_p256::{self, EcdsaP256PrivateKey},
    traits::EncodeDer,
};
use webauthn_authenticator_rs::softtoken::SoftToken;

use crate::{
    config::{Attestation, Config, SOFTTOKEN_AAGUID},
    credential::Credential,
    pin::{self, Protocol},
    pin_token::PinUvAuthToken,
    request_log::Exchange,
    status,
};

pub(crate) struct State {
    pub(crate) config: Config,
    /// LEFT(SHA-256(PIN), 16), as the spec says to store it.
    pub(crate) pin_hash: Option<[u8; 16]>,
    pub(crate) pin_retries: u32,
    pub(crate) consecutive_mismatches: u32,
    pub(crate) power_cycle_blocked: bool,
    pub(crate) key_agreement: EcdsaP256PrivateKey,
    pub(crate) pin_token: Option<PinUvAuthToken>,
    pub(crate) credentials: Vec<Credential>,
    /// The inner SoftToken and its CA's DER, in [`Attestation::SoftToken`] mode.
    pub(crate) soft: Option<(SoftToken, Vec<u8>)>,
    pub(crate) sign_count: u32,
    /// A request is waiting for a touch: only then do touches and cancels count.
    pub(crate) waiting: bool,
    pub(crate) cancel_requested: bool,
    pub(crate) touched: bool,
    pub(crate) cancels: u32,
    pub(crate) log: Vec<Exchange>,
}

impl State {
    pub(crate) fn new(mut config: Config) -> Self {
        let soft = match config.attestation {
            Attestation::SoftToken => SoftToken::new(true)
                .ok()
                .and_then(|(token, ca)| ca.to_der().ok().map(|der| (token, der))),
            _ => None,
        };
        if config.attestation == Attestation::SoftToken {
            config.aaguid = SOFTTOKEN_AAGUID;
        }
        Self {
            pin_hash: config.pin.as_deref().map(|p| pin::pin_hash(p.as_bytes())),
            pin_retries: config.pin_retries,
            consecutive_mismatches: 0,
            power_cycle_blocked: false,
            key_agreement: ecdsa_p256::new_key(),
            pin_token: None,
            credentials: config
                .credentials
                .iter()
                .map(|preset| preset.to_credential())
                .collect(),
            soft,
            sign_count: config.sign_count,
            waiting: false,
            cancel_requested: false,
            touched: false,
            cancels: 0,
            log: Vec::new(),
            config,
        }
    }

    /// Forgets what a real key loses when unplugged: the power-cycle block, the mismatch
    /// count, the pinUvAuthToken and the key-agreement key. PIN, retries and credentials stay.
    pub(crate) fn power_cycle(&mut self) {
        self.power_cycle_blocked = false;
        self.consecutive_mismatches = 0;
        self.pin_token = None;
        self.key_agreement = ecdsa_p256::new_key();
        self.cancel_requested = false;
        self.touched = false;
    }

    /// The PIN/UV auth protocol a request names, if this key was configured to speak it.
    pub(crate) fn protocol(&self, number: Option<u32>) -> Result<Protocol, u8> {
        let number = number.ok_or(status::MISSING_PARAMETER)?;
        if !self.config.pin_protocols.contains(&number) {
            return Err(status::INVALID_PARAMETER);
        }
        Protocol::from_number(number).ok_or(status::INVALID_PARAMETER)
    }

    /// The signature counter for the next signature: one counter for the whole key, like a
    /// YubiKey's.
    pub(crate) fn next_sign_count(&mut self) -> u32 {
        self.sign_count = self.sign_count.wrapping_add(1);
        self.sign_count
    }
}
