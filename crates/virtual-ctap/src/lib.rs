//! A virtual CTAP 2.0 / 2.1 security key that webauthn-authenticator-rs 0.6.2 drives through its
//! public [`Token`] trait, exactly as it drives a USB key: [`CtapAuthenticator::new`], the
//! crate's PIN/UV protocol code, `set_new_pin`, `perform_register` and `perform_auth` all run
//! unchanged against it.
//!
//! What it models (see `docs/security-keys-design.md` §2.3):
//!
//! - `authenticatorGetInfo`: versions, AAGUID, options (`rk`, `up`, `plat`, `clientPin`,
//!   `pinUvAuthToken` on 2.1), PIN/UV auth protocols, `minPINLength`, `maxMsgSize`.
//! - `authenticatorClientPIN` for protocols 1 and 2: getPINRetries, getKeyAgreement, setPIN,
//!   changePIN, getPinToken and (2.1) getPinUvAuthTokenUsingPinWithPermissions, with retries,
//!   the three-consecutive-mismatches power-cycle block and the permanent block at 0.
//! - `authenticatorMakeCredential` / `authenticatorGetAssertion` with pinUvAuthParam checking
//!   (read from the raw CBOR: the crate's request parsers drop it), user presence with
//!   keep-alives, excludeList, P-256 credentials, and `packed` self, `none` or SoftToken
//!   (x5c-chained `packed`) attestation.
//! - `authenticatorSelection` (2.1) and `authenticatorReset`.
//! - `CTAPHID_CANCEL`: [`Token::cancel`] on any clone of the key aborts a request that is
//!   waiting for a touch with `CTAP2_ERR_KEEPALIVE_CANCEL`.
//!
//! Keep-alives are signalled the way `USBToken` does it: `ui.request_touch()` (UPNEEDED) or
//! `ui.processing()` (PROCESSING), then a pause of [`Config::keepalive_interval`]. The pause is
//! a tokio sleep on a multi-thread runtime (so a wrapper's `select!` can pre-empt it, as with
//! USB), and a thread sleep elsewhere (so the key never hangs a current-thread runtime).
//!
//! [`CtapAuthenticator::new`]: webauthn_authenticator_rs::ctap2::CtapAuthenticator::new

mod pin;

use std::{
    collections::BTreeMap,
    fmt,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant},
};

use async_trait::async_trait;
use crypto_glue::{
    ecdsa_p256::{self, EcdsaP256PrivateKey, EcdsaP256Signature, EcdsaP256SigningKey},
    traits::{EncodeDer, Signer},
};
use serde_cbor_2::Value;
use uuid::Uuid;
use webauthn_authenticator_rs::{
    ctap2::commands::{GetAssertionRequest, GetInfoResponse, MakeCredentialRequest},
    error::{CtapError, WebauthnCError},
    softtoken::SoftToken,
    transport::Token,
    ui::UiCallback,
    AuthenticatorBackendHashedClientData,
};
use webauthn_rs_proto::{
    AllowCredentials, AuthenticatorSelectionCriteria, AuthenticatorTransport,
    PublicKeyCredentialCreationOptions, PublicKeyCredentialRequestOptions, UserVerificationPolicy,
};

use pin::Protocol;

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

/// CTAP status codes this key answers with (CTAP 2.1 §8.2).
pub mod status {
    pub const OK: u8 = 0x00;
    pub const INVALID_COMMAND: u8 = 0x01;
    pub const INVALID_PARAMETER: u8 = 0x02;
    pub const INVALID_LENGTH: u8 = 0x03;
    pub const INVALID_CBOR: u8 = 0x12;
    pub const MISSING_PARAMETER: u8 = 0x14;
    pub const CREDENTIAL_EXCLUDED: u8 = 0x19;
    pub const UNSUPPORTED_ALGORITHM: u8 = 0x26;
    pub const OPERATION_DENIED: u8 = 0x27;
    pub const UNSUPPORTED_OPTION: u8 = 0x2B;
    pub const INVALID_OPTION: u8 = 0x2C;
    pub const KEEPALIVE_CANCEL: u8 = 0x2D;
    pub const NO_CREDENTIALS: u8 = 0x2E;
    pub const USER_ACTION_TIMEOUT: u8 = 0x2F;
    pub const NOT_ALLOWED: u8 = 0x30;
    pub const PIN_INVALID: u8 = 0x31;
    pub const PIN_BLOCKED: u8 = 0x32;
    pub const PIN_AUTH_INVALID: u8 = 0x33;
    pub const PIN_AUTH_BLOCKED: u8 = 0x34;
    pub const PIN_NOT_SET: u8 = 0x35;
    pub const PUAT_REQUIRED: u8 = 0x36;
    pub const PIN_POLICY_VIOLATION: u8 = 0x37;
    pub const INVALID_SUBCOMMAND: u8 = 0x3E;
    pub const UNAUTHORIZED_PERMISSION: u8 = 0x40;
    pub const OTHER: u8 = 0x7F;
}

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

    pub fn with_pin_protocols(mut self, protocols: &[u32]) -> Self {
        self.pin_protocols = protocols.to_vec();
        self
    }
}

/// The kind of a request the key received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    MakeCredential,
    GetAssertion,
    GetInfo,
    /// authenticatorClientPIN with its subcommand (0x01 getPINRetries, 0x02 getKeyAgreement,
    /// 0x03 setPIN, 0x04 changePIN, 0x05 getPinToken, 0x09 getPinUvAuthTokenUsingPin…).
    ClientPin(u8),
    Reset,
    Selection,
    Other(u8),
}

impl RequestKind {
    pub const GET_PIN_RETRIES: Self = Self::ClientPin(0x01);
    pub const GET_KEY_AGREEMENT: Self = Self::ClientPin(0x02);
    pub const SET_PIN: Self = Self::ClientPin(0x03);
    pub const CHANGE_PIN: Self = Self::ClientPin(0x04);
    pub const GET_PIN_TOKEN: Self = Self::ClientPin(0x05);
    pub const GET_PIN_UV_AUTH_TOKEN_USING_PIN: Self = Self::ClientPin(0x09);

    /// A request for a pinUvAuthToken (0x05 or 0x09).
    pub fn is_token_request(self) -> bool {
        self == Self::GET_PIN_TOKEN || self == Self::GET_PIN_UV_AUTH_TOKEN_USING_PIN
    }
}

/// One request and the status the key answered it with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exchange {
    pub kind: RequestKind,
    pub status: u8,
}

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

struct PinUvAuthToken {
    token: [u8; 32],
    /// Permission bits (mc 0x01, ga 0x02); getPinToken grants mc|ga.
    permissions: u8,
    rp_id: Option<String>,
    /// Obtained with legacy getPinToken (0x05): never loses its permissions.
    legacy: bool,
}

struct Credential {
    id: Vec<u8>,
    rp_id: String,
    /// `None` when the inner SoftToken holds the key.
    key: Option<EcdsaP256PrivateKey>,
}

struct State {
    config: Config,
    pin_hash: Option<[u8; 16]>,
    pin_retries: u32,
    consecutive_mismatches: u32,
    power_cycle_blocked: bool,
    key_agreement: EcdsaP256PrivateKey,
    pin_token: Option<PinUvAuthToken>,
    credentials: Vec<Credential>,
    soft: Option<(SoftToken, Vec<u8>)>,
    sign_count: u32,
    waiting: bool,
    cancel_requested: bool,
    touched: bool,
    cancels: u32,
    log: Vec<Exchange>,
}

/// What a makeCredential / getAssertion decided before the touch.
struct Plan {
    uv: bool,
    up: bool,
    excluded: bool,
    credential: Option<usize>,
}

impl VirtualAuthenticator {
    /// A fresh key. With [`Attestation::SoftToken`] this mints SoftToken's CA (valid 30 days;
    /// its attestation certificate 5), so make keys per test run, never store them.
    pub fn new(config: Config) -> Self {
        let soft = match config.attestation {
            Attestation::SoftToken => SoftToken::new(true)
                .ok()
                .and_then(|(token, ca)| ca.to_der().ok().map(|der| (token, der))),
            _ => None,
        };
        let mut config = config;
        if config.attestation == Attestation::SoftToken {
            config.aaguid = SOFTTOKEN_AAGUID;
        }
        let state = State {
            pin_hash: config.pin.as_deref().map(|p| pin::pin_hash(p.as_bytes())),
            pin_retries: config.pin_retries,
            consecutive_mismatches: 0,
            power_cycle_blocked: false,
            key_agreement: ecdsa_p256::new_key(),
            pin_token: None,
            credentials: Vec::new(),
            soft,
            sign_count: 0,
            waiting: false,
            cancel_requested: false,
            touched: false,
            cancels: 0,
            log: Vec::new(),
            config,
        };
        Self {
            shared: Arc::new(Mutex::new(state)),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    // ---- test hooks -------------------------------------------------------------------

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
        let mut state = self.state();
        state.power_cycle_blocked = false;
        state.consecutive_mismatches = 0;
        state.pin_token = None;
        state.key_agreement = ecdsa_p256::new_key();
        state.cancel_requested = false;
        state.touched = false;
    }

    // ---- the CTAP exchange ------------------------------------------------------------

    async fn exchange<U: UiCallback>(
        &self,
        cbor: &[u8],
        ui: &U,
    ) -> (RequestKind, Result<Vec<u8>, u8>) {
        let Some((&command, params)) = cbor.split_first() else {
            return (RequestKind::Other(0), Err(status::INVALID_LENGTH));
        };
        match command {
            0x01 => (
                RequestKind::MakeCredential,
                self.make_credential(params, ui).await,
            ),
            0x02 => (
                RequestKind::GetAssertion,
                self.get_assertion(params, ui).await,
            ),
            0x04 => (RequestKind::GetInfo, self.state().get_info()),
            0x06 => {
                let map = parse_map(params);
                let sub = map
                    .as_ref()
                    .ok()
                    .and_then(|m| uint(m.get(&2)))
                    .and_then(|s| u8::try_from(s).ok())
                    .unwrap_or(0);
                let result = map.and_then(|m| self.state().client_pin(&m));
                (RequestKind::ClientPin(sub), result)
            }
            0x07 => (RequestKind::Reset, self.reset(ui).await),
            0x0B => {
                let version = self.state().config.version;
                let result = if version == Version::Fido21 {
                    self.wait_for_presence(ui).await.map(|()| Vec::new())
                } else {
                    Err(status::INVALID_COMMAND)
                };
                (RequestKind::Selection, result)
            }
            other => (RequestKind::Other(other), Err(status::INVALID_COMMAND)),
        }
    }

    async fn make_credential<U: UiCallback>(&self, params: &[u8], ui: &U) -> Result<Vec<u8>, u8> {
        let map = parse_map(params)?;
        // The crate's TryFrom drops 0x08/0x09 (make_credential.rs:230-232): read them here.
        let param = bytes(map.get(&0x08));
        let protocol = uint(map.get(&0x09));
        let request =
            MakeCredentialRequest::try_from(map.clone()).map_err(|_| status::MISSING_PARAMETER)?;
        if param.as_ref().is_some_and(Vec::is_empty) {
            return self.selection_probe(ui).await;
        }
        let plan = self
            .state()
            .plan_make_credential(&request, &map, param, protocol)?;
        self.wait_for_presence(ui).await?;
        if plan.excluded {
            return Err(status::CREDENTIAL_EXCLUDED);
        }
        self.state().create_credential(request, plan.uv)
    }

    async fn get_assertion<U: UiCallback>(&self, params: &[u8], ui: &U) -> Result<Vec<u8>, u8> {
        let map = parse_map(params)?;
        // As for makeCredential, the crate's TryFrom drops 0x05 options, 0x06 and 0x07.
        let param = bytes(map.get(&0x06));
        let protocol = uint(map.get(&0x07));
        let request =
            GetAssertionRequest::try_from(map.clone()).map_err(|_| status::MISSING_PARAMETER)?;
        if param.as_ref().is_some_and(Vec::is_empty) {
            return self.selection_probe(ui).await;
        }
        let plan = self
            .state()
            .plan_get_assertion(&request, &map, param, protocol)?;
        if plan.up {
            self.wait_for_presence(ui).await?;
        }
        self.state().assert(request, &plan)
    }

    /// A zero-length pinUvAuthParam: "which key did the person touch?" (CTAP 2.1 §6.1.2
    /// step 1). Waits for presence, then answers as the spec says.
    async fn selection_probe<U: UiCallback>(&self, ui: &U) -> Result<Vec<u8>, u8> {
        self.wait_for_presence(ui).await?;
        Err(if self.has_pin() {
            status::PIN_INVALID
        } else {
            status::PIN_NOT_SET
        })
    }

    async fn reset<U: UiCallback>(&self, ui: &U) -> Result<Vec<u8>, u8> {
        self.wait_for_presence(ui).await?;
        let mut state = self.state();
        state.pin_hash = None;
        state.pin_retries = MAX_PIN_RETRIES;
        state.consecutive_mismatches = 0;
        state.power_cycle_blocked = false;
        state.pin_token = None;
        state.credentials.clear();
        state.key_agreement = ecdsa_p256::new_key();
        Ok(Vec::new())
    }

    /// Collects user presence the way the configured person behaves, sending keep-alives
    /// through the UI callback as `USBToken` does, and honouring CTAPHID_CANCEL.
    async fn wait_for_presence<U: UiCallback>(&self, ui: &U) -> Result<(), u8> {
        let (presence, interval, timeout, processing) = {
            let mut state = self.state();
            state.waiting = true;
            state.cancel_requested = false;
            state.touched = false;
            let c = &state.config;
            (
                c.presence,
                c.keepalive_interval,
                c.up_timeout,
                c.processing_keepalives,
            )
        };
        let _waiting = WaitingGuard(self);
        for _ in 0..processing {
            self.check_cancel()?;
            ui.processing();
            pause(interval).await;
        }
        match presence {
            Presence::Immediate => self.check_cancel(),
            Presence::Denied => {
                ui.request_touch();
                pause(interval).await;
                self.check_cancel()?;
                Err(status::OPERATION_DENIED)
            }
            Presence::AfterKeepalives(n) => {
                for _ in 0..n {
                    self.check_cancel()?;
                    ui.request_touch();
                    pause(interval).await;
                }
                self.check_cancel()
            }
            Presence::Manual => {
                let started = Instant::now();
                loop {
                    self.check_cancel()?;
                    if std::mem::take(&mut self.state().touched) {
                        return Ok(());
                    }
                    if started.elapsed() >= timeout {
                        return Err(status::USER_ACTION_TIMEOUT);
                    }
                    ui.request_touch();
                    pause(interval).await;
                }
            }
        }
    }

    fn check_cancel(&self) -> Result<(), u8> {
        if std::mem::take(&mut self.state().cancel_requested) {
            Err(status::KEEPALIVE_CANCEL)
        } else {
            Ok(())
        }
    }
}

/// Clears "waiting for a touch" however the wait ends, including when a wrapper drops the
/// request future.
struct WaitingGuard<'a>(&'a VirtualAuthenticator);

impl Drop for WaitingGuard<'_> {
    fn drop(&mut self) {
        let mut state = self.0.state();
        state.waiting = false;
        state.touched = false;
    }
}

async fn pause(duration: Duration) {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::time::sleep(duration).await;
        }
        _ => std::thread::sleep(duration),
    }
}

#[async_trait]
impl Token for VirtualAuthenticator {
    type Id = Uuid;

    fn get_transport(&self) -> AuthenticatorTransport {
        AuthenticatorTransport::Usb
    }

    async fn transmit_raw<U>(&mut self, cbor: &[u8], ui: &U) -> Result<Vec<u8>, WebauthnCError>
    where
        U: UiCallback,
    {
        let (kind, result) = self.exchange(cbor, ui).await;
        let code = match &result {
            Ok(_) => status::OK,
            Err(code) => *code,
        };
        self.state().log.push(Exchange { kind, status: code });
        result.map_err(|code| WebauthnCError::Ctap(CtapError::from(code)))
    }

    /// CTAPHID_CANCEL: a request waiting for a touch ends with KEEPALIVE_CANCEL (0x2D). With
    /// nothing pending it is counted and otherwise ignored, as on a real key.
    async fn cancel(&mut self) -> Result<(), WebauthnCError> {
        let mut state = self.state();
        state.cancels += 1;
        if state.waiting {
            state.cancel_requested = true;
        }
        Ok(())
    }

    async fn init(&mut self) -> Result<(), WebauthnCError> {
        Ok(())
    }

    async fn close(&mut self) -> Result<(), WebauthnCError> {
        Ok(())
    }
}

// ---- command processing (all synchronous, under the lock) -----------------------------

impl State {
    fn get_info(&self) -> Result<Vec<u8>, u8> {
        let c = &self.config;
        let fido21 = c.version == Version::Fido21;
        let mut versions = std::collections::BTreeSet::from(["FIDO_2_0".to_owned()]);
        let mut options = BTreeMap::from([
            ("rk".to_owned(), false),
            ("up".to_owned(), true),
            ("plat".to_owned(), false),
            ("clientPin".to_owned(), self.pin_hash.is_some()),
        ]);
        if fido21 {
            versions.insert("FIDO_2_1".to_owned());
            options.insert("pinUvAuthToken".to_owned(), true);
        }
        let info = GetInfoResponse {
            versions,
            aaguid: Some(c.aaguid),
            options: Some(options),
            max_msg_size: Some(c.max_msg_size),
            pin_protocols: Some(c.pin_protocols.clone()),
            transports: Some(vec!["usb".to_owned()]),
            min_pin_length: fido21.then_some(c.min_pin_length),
            ..Default::default()
        };
        serde_cbor_2::to_vec(&info).map_err(|_| status::OTHER)
    }

    fn protocol(&self, number: Option<u32>) -> Result<Protocol, u8> {
        let number = number.ok_or(status::MISSING_PARAMETER)?;
        if !self.config.pin_protocols.contains(&number) {
            return Err(status::INVALID_PARAMETER);
        }
        Protocol::from_number(number).ok_or(status::INVALID_PARAMETER)
    }

    fn client_pin(&mut self, map: &BTreeMap<u32, Value>) -> Result<Vec<u8>, u8> {
        let sub = uint(map.get(&0x02)).ok_or(status::MISSING_PARAMETER)?;
        let fido21 = self.config.version == Version::Fido21;
        match sub {
            0x01 => {
                let mut out = BTreeMap::from([(0x03u32, Value::Integer(self.pin_retries.into()))]);
                if fido21 {
                    out.insert(0x04, Value::Bool(self.power_cycle_blocked));
                }
                encode(&out)
            }
            0x02 => {
                self.protocol(uint(map.get(&0x01)))?;
                let (x, y) = pin::public_coords(&self.key_agreement);
                encode(&BTreeMap::from([(0x01u32, cose_key_agreement(x, y))]))
            }
            0x03 => self.set_pin(map),
            0x04 => self.change_pin(map),
            0x05 => self.pin_token(map, false),
            0x09 if fido21 => self.pin_token(map, true),
            _ if fido21 => Err(status::INVALID_SUBCOMMAND),
            _ => Err(status::INVALID_PARAMETER),
        }
    }

    fn shared_secret(&self, protocol: Protocol, map: &BTreeMap<u32, Value>) -> Result<Vec<u8>, u8> {
        let Some(Value::Map(key)) = map.get(&0x03) else {
            return Err(status::MISSING_PARAMETER);
        };
        let field = |k: i128| key.get(&Value::Integer(k));
        if field(1) != Some(&Value::Integer(2)) || field(-1) != Some(&Value::Integer(1)) {
            return Err(status::INVALID_PARAMETER);
        }
        let x = bytes(field(-2)).ok_or(status::INVALID_PARAMETER)?;
        let y = bytes(field(-3)).ok_or(status::INVALID_PARAMETER)?;
        protocol.shared_secret(&self.key_agreement, &x, &y)
    }

    /// Decrypts and checks a 64-byte padded new PIN against the policy.
    fn new_pin(
        &self,
        protocol: Protocol,
        secret: &[u8],
        new_pin_enc: &[u8],
    ) -> Result<[u8; 16], u8> {
        let padded = protocol
            .decrypt(secret, new_pin_enc)
            .map_err(|_| status::PIN_POLICY_VIOLATION)?;
        if padded.len() != 64 {
            return Err(status::PIN_POLICY_VIOLATION);
        }
        let end = padded.iter().position(|b| *b == 0).unwrap_or(padded.len());
        let pin = &padded[..end];
        let code_points = std::str::from_utf8(pin)
            .map_err(|_| status::PIN_POLICY_VIOLATION)?
            .chars()
            .count();
        if code_points < self.config.min_pin_length || pin.len() > 63 {
            return Err(status::PIN_POLICY_VIOLATION);
        }
        Ok(pin::pin_hash(pin))
    }

    fn set_pin(&mut self, map: &BTreeMap<u32, Value>) -> Result<Vec<u8>, u8> {
        let protocol = self.protocol(uint(map.get(&0x01)))?;
        let param = bytes(map.get(&0x04)).ok_or(status::MISSING_PARAMETER)?;
        let new_pin_enc = bytes(map.get(&0x05)).ok_or(status::MISSING_PARAMETER)?;
        if self.pin_hash.is_some() {
            return Err(status::NOT_ALLOWED);
        }
        let secret = self.shared_secret(protocol, map)?;
        if !protocol.verify(&secret, &new_pin_enc, &param) {
            return Err(status::PIN_AUTH_INVALID);
        }
        let hash = self.new_pin(protocol, &secret, &new_pin_enc)?;
        self.pin_hash = Some(hash);
        self.pin_retries = MAX_PIN_RETRIES;
        self.consecutive_mismatches = 0;
        Ok(Vec::new())
    }

    fn change_pin(&mut self, map: &BTreeMap<u32, Value>) -> Result<Vec<u8>, u8> {
        let protocol = self.protocol(uint(map.get(&0x01)))?;
        let param = bytes(map.get(&0x04)).ok_or(status::MISSING_PARAMETER)?;
        let new_pin_enc = bytes(map.get(&0x05)).ok_or(status::MISSING_PARAMETER)?;
        let pin_hash_enc = bytes(map.get(&0x06)).ok_or(status::MISSING_PARAMETER)?;
        let stored = self.pin_hash.ok_or(status::PIN_NOT_SET)?;
        if self.pin_retries == 0 {
            return Err(status::PIN_BLOCKED);
        }
        if self.power_cycle_blocked {
            return Err(status::PIN_AUTH_BLOCKED);
        }
        let secret = self.shared_secret(protocol, map)?;
        let signed: Vec<u8> = new_pin_enc.iter().chain(&pin_hash_enc).copied().collect();
        if !protocol.verify(&secret, &signed, &param) {
            return Err(status::PIN_AUTH_INVALID);
        }
        self.check_pin_hash(protocol, &secret, &pin_hash_enc, stored)?;
        let hash = self.new_pin(protocol, &secret, &new_pin_enc)?;
        self.pin_hash = Some(hash);
        self.pin_token = None;
        Ok(Vec::new())
    }

    /// getPinToken (0x05) and getPinUvAuthTokenUsingPinWithPermissions (0x09).
    fn pin_token(
        &mut self,
        map: &BTreeMap<u32, Value>,
        with_permissions: bool,
    ) -> Result<Vec<u8>, u8> {
        let protocol = self.protocol(uint(map.get(&0x01)))?;
        if !map.contains_key(&0x03) {
            return Err(status::MISSING_PARAMETER);
        }
        let pin_hash_enc = bytes(map.get(&0x06)).ok_or(status::MISSING_PARAMETER)?;
        let rp_id = text(map.get(&0x0A));
        let permissions = if with_permissions {
            let bits = uint(map.get(&0x09)).ok_or(status::MISSING_PARAMETER)?;
            if bits == 0 {
                return Err(status::INVALID_PARAMETER);
            }
            // Only mc and ga: no credential management, bio, large blobs or config here.
            if bits & !0x03 != 0 {
                return Err(status::UNAUTHORIZED_PERMISSION);
            }
            u8::try_from(bits).map_err(|_| status::INVALID_PARAMETER)?
        } else {
            if self.config.version == Version::Fido21
                && (map.contains_key(&0x09) || map.contains_key(&0x0A))
            {
                return Err(status::INVALID_PARAMETER);
            }
            0x03
        };
        let stored = self.pin_hash.ok_or(status::PIN_NOT_SET)?;
        if self.pin_retries == 0 {
            return Err(status::PIN_BLOCKED);
        }
        if self.power_cycle_blocked {
            return Err(status::PIN_AUTH_BLOCKED);
        }
        let secret = self.shared_secret(protocol, map)?;
        self.check_pin_hash(protocol, &secret, &pin_hash_enc, stored)?;
        let token: [u8; 32] = pin::random_array();
        let encrypted = protocol.encrypt(&secret, &token)?;
        self.pin_token = Some(PinUvAuthToken {
            token,
            permissions,
            rp_id: if with_permissions { rp_id } else { None },
            legacy: !with_permissions,
        });
        encode(&BTreeMap::from([(0x02u32, Value::Bytes(encrypted))]))
    }

    /// Decrements the retries, then compares; a mismatch regenerates the key-agreement key and
    /// answers PIN_BLOCKED at 0, PIN_AUTH_BLOCKED after three in a row, else PIN_INVALID.
    fn check_pin_hash(
        &mut self,
        protocol: Protocol,
        secret: &[u8],
        pin_hash_enc: &[u8],
        stored: [u8; 16],
    ) -> Result<(), u8> {
        self.pin_retries = self.pin_retries.saturating_sub(1);
        let matches = protocol
            .decrypt(secret, pin_hash_enc)
            .is_ok_and(|sent| sent.len() == 16 && sent[..] == stored[..]);
        if !matches {
            self.key_agreement = ecdsa_p256::new_key();
            self.consecutive_mismatches += 1;
            if self.pin_retries == 0 {
                return Err(status::PIN_BLOCKED);
            }
            if self.consecutive_mismatches >= MISMATCHES_BEFORE_POWER_CYCLE {
                self.power_cycle_blocked = true;
                return Err(status::PIN_AUTH_BLOCKED);
            }
            return Err(status::PIN_INVALID);
        }
        self.pin_retries = MAX_PIN_RETRIES;
        self.consecutive_mismatches = 0;
        Ok(())
    }

    /// Verifies a pinUvAuthParam over `client_data_hash` for `permission` on `rp_id`.
    fn verify_param(
        &mut self,
        param: &[u8],
        protocol: Option<u32>,
        client_data_hash: &[u8],
        permission: u8,
        rp_id: &str,
    ) -> Result<(), u8> {
        let protocol = self.protocol(protocol)?;
        if self.pin_hash.is_none() {
            return Err(status::PIN_NOT_SET);
        }
        let token = self.pin_token.as_mut().ok_or(status::PIN_AUTH_INVALID)?;
        if !protocol.verify(&token.token, client_data_hash, param) {
            return Err(status::PIN_AUTH_INVALID);
        }
        if token.permissions & permission == 0 {
            return Err(status::PIN_AUTH_INVALID);
        }
        match &token.rp_id {
            Some(bound) if bound != rp_id => return Err(status::PIN_AUTH_INVALID),
            None if !token.legacy => token.rp_id = Some(rp_id.to_owned()),
            _ => {}
        }
        Ok(())
    }

    /// After a verified operation a 2.1 token loses its mc/ga permissions (CTAP 2.1 §6.1.2,
    /// §6.2.2, "clearPinUvAuthTokenPermissionsExceptLbw"; spec, not re-read).
    fn spend_token(&mut self) {
        if let Some(token) = self.pin_token.as_mut().filter(|t| !t.legacy) {
            token.permissions = 0;
        }
    }

    fn plan_make_credential(
        &mut self,
        request: &MakeCredentialRequest,
        map: &BTreeMap<u32, Value>,
        param: Option<Vec<u8>>,
        protocol: Option<u32>,
    ) -> Result<Plan, u8> {
        if param.is_some() {
            self.protocol(protocol)?;
        }
        if !request
            .pub_key_cred_params
            .iter()
            .any(|p| p.type_ == "public-key" && p.alg == -7)
        {
            return Err(status::UNSUPPORTED_ALGORITHM);
        }
        let options = bool_options(map.get(&0x07));
        if options.get("rk") == Some(&true) {
            return Err(status::UNSUPPORTED_OPTION);
        }
        if options.get("uv") == Some(&true) || options.get("up") == Some(&false) {
            return Err(status::INVALID_OPTION);
        }
        let uv = match &param {
            Some(param) => {
                self.verify_param(
                    param,
                    protocol,
                    &request.client_data_hash,
                    0x01,
                    &request.rp.id,
                )?;
                true
            }
            None if self.pin_hash.is_some() => return Err(status::PUAT_REQUIRED),
            None => false,
        };
        // Read from the raw map: the crate's TryFrom parses 0x05 into descriptors whose
        // Base64UrlSafeData ids refuse CBOR byte strings, and then silently drops the list.
        let excluded = descriptor_ids(map.get(&0x05)).iter().any(|id| {
            self.credentials
                .iter()
                .any(|c| &c.id == id && c.rp_id == request.rp.id)
        });
        Ok(Plan {
            uv,
            up: true,
            excluded,
            credential: None,
        })
    }

    fn create_credential(
        &mut self,
        request: MakeCredentialRequest,
        uv: bool,
    ) -> Result<Vec<u8>, u8> {
        let rp_id = request.rp.id.clone();
        let response = if let Some((soft, _)) = self.soft.as_mut() {
            let (response, id) = soft_register(soft, request, uv)?;
            self.credentials.push(Credential {
                id,
                rp_id,
                key: None,
            });
            response
        } else {
            let key = ecdsa_p256::new_key();
            let id: [u8; 32] = pin::random_array();
            let (x, y) = pin::public_coords(&key);
            let cose = serde_cbor_2::to_vec(&Value::Map(BTreeMap::from([
                (Value::Integer(1), Value::Integer(2)),
                (Value::Integer(3), Value::Integer(-7)),
                (Value::Integer(-1), Value::Integer(1)),
                (Value::Integer(-2), Value::Bytes(x)),
                (Value::Integer(-3), Value::Bytes(y)),
            ])))
            .map_err(|_| status::OTHER)?;
            self.sign_count = self.sign_count.wrapping_add(1);
            let mut auth_data = pin::sha256(rp_id.as_bytes()).to_vec();
            auth_data.push(0x41 | if uv { 0x04 } else { 0 });
            auth_data.extend_from_slice(&self.sign_count.to_be_bytes());
            auth_data.extend_from_slice(self.config.aaguid.as_bytes());
            auth_data.extend_from_slice(&(id.len() as u16).to_be_bytes());
            auth_data.extend_from_slice(&id);
            auth_data.extend_from_slice(&cose);
            let (fmt, statement) = match self.config.attestation {
                Attestation::None => ("none", BTreeMap::new()),
                _ => {
                    let signed: Vec<u8> = auth_data
                        .iter()
                        .chain(&request.client_data_hash)
                        .copied()
                        .collect();
                    let sig = sign(&key, &signed)?;
                    (
                        "packed",
                        BTreeMap::from([
                            (Value::Text("alg".into()), Value::Integer(-7)),
                            (Value::Text("sig".into()), Value::Bytes(sig)),
                        ]),
                    )
                }
            };
            self.credentials.push(Credential {
                id: id.to_vec(),
                rp_id,
                key: Some(key),
            });
            encode(&BTreeMap::from([
                (0x01u32, Value::Text(fmt.to_owned())),
                (0x02, Value::Bytes(auth_data)),
                (0x03, Value::Map(statement)),
            ]))?
        };
        if uv {
            self.spend_token();
        }
        Ok(response)
    }

    fn plan_get_assertion(
        &mut self,
        request: &GetAssertionRequest,
        map: &BTreeMap<u32, Value>,
        param: Option<Vec<u8>>,
        protocol: Option<u32>,
    ) -> Result<Plan, u8> {
        if param.is_some() {
            self.protocol(protocol)?;
        }
        let options = bool_options(map.get(&0x05));
        if options.contains_key("rk") {
            return Err(status::UNSUPPORTED_OPTION);
        }
        if options.get("uv") == Some(&true) {
            return Err(status::INVALID_OPTION);
        }
        let up = options.get("up").copied().unwrap_or(true);
        let uv = match &param {
            Some(param) => {
                self.verify_param(
                    param,
                    protocol,
                    &request.client_data_hash,
                    0x02,
                    &request.rp_id,
                )?;
                true
            }
            None => false,
        };
        // No discoverable credentials: an empty allowList finds nothing.
        let credential = request.allow_list.iter().find_map(|d| {
            self.credentials
                .iter()
                .position(|c| c.id == d.id && c.rp_id == request.rp_id)
        });
        let credential = credential.ok_or(status::NO_CREDENTIALS)?;
        Ok(Plan {
            uv,
            up,
            excluded: false,
            credential: Some(credential),
        })
    }

    fn assert(&mut self, request: GetAssertionRequest, plan: &Plan) -> Result<Vec<u8>, u8> {
        let credential = plan
            .credential
            .and_then(|i| self.credentials.get(i))
            .ok_or(status::NO_CREDENTIALS)?;
        let id = credential.id.clone();
        let (auth_data, signature) = match (&credential.key, self.soft.as_mut()) {
            (Some(key), _) => {
                let key = key.clone();
                self.sign_count = self.sign_count.wrapping_add(1);
                let flags = u8::from(plan.up) | if plan.uv { 0x04 } else { 0 };
                let mut auth_data = pin::sha256(request.rp_id.as_bytes()).to_vec();
                auth_data.push(flags);
                auth_data.extend_from_slice(&self.sign_count.to_be_bytes());
                let signed: Vec<u8> = auth_data
                    .iter()
                    .chain(&request.client_data_hash)
                    .copied()
                    .collect();
                (auth_data, sign(&key, &signed)?)
            }
            (None, Some((soft, _))) => soft_assert(soft, &request, &id, plan.uv)?,
            (None, None) => return Err(status::OTHER),
        };
        if plan.uv {
            self.spend_token();
        }
        let descriptor = Value::Map(BTreeMap::from([
            (Value::Text("id".into()), Value::Bytes(id)),
            (Value::Text("type".into()), Value::Text("public-key".into())),
        ]));
        encode(&BTreeMap::from([
            (0x01u32, descriptor),
            (0x02, Value::Bytes(auth_data)),
            (0x03, Value::Bytes(signature)),
        ]))
    }
}

// ---- SoftToken delegation -------------------------------------------------------------

fn selection(uv: bool) -> Option<AuthenticatorSelectionCriteria> {
    Some(AuthenticatorSelectionCriteria {
        user_verification: if uv {
            UserVerificationPolicy::Required
        } else {
            UserVerificationPolicy::Discouraged_DO_NOT_USE
        },
        ..Default::default()
    })
}

/// SoftToken makes the key and the x5c `packed` statement; the answer is re-keyed from its
/// string-keyed attestation object to CTAP's integer keys, as `perform_register_with_request`
/// does (authenticator_hashed.rs:157-165).
fn soft_register(
    soft: &mut SoftToken,
    request: MakeCredentialRequest,
    uv: bool,
) -> Result<(Vec<u8>, Vec<u8>), u8> {
    let options = PublicKeyCredentialCreationOptions {
        rp: request.rp,
        user: request.user,
        challenge: Vec::new(),
        pub_key_cred_params: request.pub_key_cred_params,
        timeout: None,
        exclude_credentials: None,
        hints: None,
        attestation: None,
        attestation_formats: None,
        authenticator_selection: selection(uv),
        extensions: None,
    };
    let credential = soft
        .perform_register(request.client_data_hash, options, 30_000)
        .map_err(|_| status::OTHER)?;
    let object: BTreeMap<String, Value> =
        serde_cbor_2::from_slice(credential.response.attestation_object.as_slice())
            .map_err(|_| status::OTHER)?;
    let mut out = BTreeMap::new();
    for (key, name) in [(0x01u32, "fmt"), (0x02, "authData"), (0x03, "attStmt")] {
        if let Some(value) = object.get(name) {
            out.insert(key, value.clone());
        }
    }
    Ok((encode(&out)?, credential.raw_id.to_vec()))
}

fn soft_assert(
    soft: &mut SoftToken,
    request: &GetAssertionRequest,
    id: &[u8],
    uv: bool,
) -> Result<(Vec<u8>, Vec<u8>), u8> {
    let options = PublicKeyCredentialRequestOptions {
        challenge: Vec::new(),
        timeout: None,
        rp_id: request.rp_id.clone(),
        allow_credentials: vec![AllowCredentials {
            type_: "public-key".into(),
            id: id.to_vec(),
            transports: None,
        }],
        hints: None,
        user_verification: selection(uv)
            .map(|s| s.user_verification)
            .unwrap_or(UserVerificationPolicy::Preferred),
        extensions: None,
    };
    let credential = soft
        .perform_auth(request.client_data_hash.clone(), options, 30_000)
        .map_err(|_| status::OTHER)?;
    Ok((
        credential.response.authenticator_data.to_vec(),
        credential.response.signature.to_vec(),
    ))
}

// ---- CBOR helpers -----------------------------------------------------------------------

fn parse_map(params: &[u8]) -> Result<BTreeMap<u32, Value>, u8> {
    if params.is_empty() {
        return Err(status::MISSING_PARAMETER);
    }
    let Value::Map(map) =
        serde_cbor_2::from_slice::<Value>(params).map_err(|_| status::INVALID_CBOR)?
    else {
        return Err(status::INVALID_CBOR);
    };
    map.into_iter()
        .map(|(k, v)| match k {
            Value::Integer(k) => u32::try_from(k)
                .map(|k| (k, v))
                .map_err(|_| status::INVALID_CBOR),
            _ => Err(status::INVALID_CBOR),
        })
        .collect()
}

/// The `id`s of an array of PublicKeyCredentialDescriptor maps.
fn descriptor_ids(value: Option<&Value>) -> Vec<Vec<u8>> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| match item {
                Value::Map(m) => bytes(m.get(&Value::Text("id".into()))),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn encode(map: &BTreeMap<u32, Value>) -> Result<Vec<u8>, u8> {
    serde_cbor_2::to_vec(map).map_err(|_| status::OTHER)
}

fn uint(value: Option<&Value>) -> Option<u32> {
    match value {
        Some(Value::Integer(i)) => u32::try_from(*i).ok(),
        _ => None,
    }
}

fn bytes(value: Option<&Value>) -> Option<Vec<u8>> {
    match value {
        Some(Value::Bytes(b)) => Some(b.clone()),
        _ => None,
    }
}

fn text(value: Option<&Value>) -> Option<String> {
    match value {
        Some(Value::Text(t)) => Some(t.clone()),
        _ => None,
    }
}

fn bool_options(value: Option<&Value>) -> BTreeMap<String, bool> {
    match value {
        Some(Value::Map(m)) => m
            .iter()
            .filter_map(|(k, v)| match (k, v) {
                (Value::Text(k), Value::Bool(v)) => Some((k.clone(), *v)),
                _ => None,
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// getKeyAgreement's COSE key: kty EC2, alg -25 (ECDH-ES+HKDF-256, as the spec says to
/// send regardless of the protocol), crv P-256.
fn cose_key_agreement(x: Vec<u8>, y: Vec<u8>) -> Value {
    Value::Map(BTreeMap::from([
        (Value::Integer(1), Value::Integer(2)),
        (Value::Integer(3), Value::Integer(-25)),
        (Value::Integer(-1), Value::Integer(1)),
        (Value::Integer(-2), Value::Bytes(x)),
        (Value::Integer(-3), Value::Bytes(y)),
    ]))
}

fn sign(key: &EcdsaP256PrivateKey, message: &[u8]) -> Result<Vec<u8>, u8> {
    let signing = EcdsaP256SigningKey::from(key);
    let signature: EcdsaP256Signature = signing.try_sign(message).map_err(|_| status::OTHER)?;
    Ok(signature.to_der().as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use webauthn_authenticator_rs::ctap2::commands::CBORCommand;
    use webauthn_rs_proto::{PubKeyCredParams, PublicKeyCredentialDescriptor, RelyingParty, User};

    /// Why makeCredential reads 0x05, 0x08 and 0x09 from the raw map: the crate's own parser
    /// loses all three.
    #[test]
    fn the_crates_make_credential_parser_drops_exclude_list_and_pin_params() {
        let request = MakeCredentialRequest {
            client_data_hash: vec![1; 32],
            rp: RelyingParty {
                id: "example.com".into(),
                name: "Example".into(),
            },
            user: User {
                id: vec![2],
                name: "ada".into(),
                display_name: "Ada".into(),
            },
            pub_key_cred_params: vec![PubKeyCredParams {
                type_: "public-key".into(),
                alg: -7,
            }],
            exclude_list: vec![PublicKeyCredentialDescriptor {
                type_: "public-key".into(),
                id: vec![3; 32],
                transports: None,
            }],
            options: None,
            pin_uv_auth_param: Some(vec![4; 32]),
            pin_uv_auth_proto: Some(2),
            enterprise_attest: None,
        };
        let cbor = request.cbor().unwrap();
        let map = parse_map(&cbor[1..]).unwrap();
        assert_eq!(descriptor_ids(map.get(&0x05)), vec![vec![3u8; 32]]);
        assert_eq!(bytes(map.get(&0x08)), Some(vec![4; 32]));
        let parsed = MakeCredentialRequest::try_from(map).unwrap();
        assert!(parsed.exclude_list.is_empty());
        assert_eq!(parsed.pin_uv_auth_param, None);
        assert_eq!(parsed.pin_uv_auth_proto, None);
    }
}
