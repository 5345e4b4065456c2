//! Registering a security key, and signing in with one, over CTAP2
//! (docs/security-keys-design.md): the only module of the app that names
//! webauthn-authenticator-rs.
//!
//! [`register_with_info`] (and, for a help-desk agent's sign-in, [`assert_with_key`]) takes a key (anything implementing the crate's [`Token`]: the
//! virtual key in tests and the demo, a USB key from [`backend`]) once [`claim_keys`] granted
//! it the keys, the service's creation options and origin, and talks with the person through
//! two channels:
//! [`KeyEvent`]s out (what to show), [`PinReply`]s in (what they typed). A
//! [`CancellationToken`] stops it at any point. The crate's CTAP code is synchronous
//! (`futures::executor::block_on` inside), so the whole ceremony runs on one blocking-pool
//! thread of the (multi-thread) tokio runtime (design §1.9).
//!
//! What this module adds to the crate:
//! - a per-exchange deadline (default 60 s) and cancellation that reach the key as
//!   CTAPHID_CANCEL (the crate has neither, design §1.10), see `guarded`;
//! - the PIN retries count the crate reads and throws away (§1.6), so every PIN prompt says
//!   how many tries are left, and the last try is never spent from here (§5.3);
//! - PIN set-up when the key has none (the service prefers user verification, so a key
//!   without a PIN cannot register at all, §1.8);
//! - one `TouchNeeded` per request instead of one per 100 ms keep-alive (§5.4);
//! - a closed [`KeyError`] instead of the crate's and CTAP's error codes (§1.11).
//!
//! PINs only live in [`Zeroizing`] strings here and are never logged. The crate copies the
//! PIN into plain buffers it does not wipe (a known limitation, §5.3), and its TRACE logging
//! prints the decrypted pinUvAuthToken: keep `webauthn_authenticator_rs` at `info` or above.

mod assertion;
pub mod backend;
mod bridge;
mod ceremony;
pub mod demo_key;
mod guarded;

use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc;
pub use tokio_util::sync::CancellationToken;
use url::Url;
use uuid::Uuid;
pub use webauthn_authenticator_rs::transport::Token;
use zeroize::Zeroizing;

pub use demo_key::DemoKey;
pub use recovery_api::help_desk::{PublicKeyCredential, RequestChallengeResponse};
pub use recovery_api::security_key::{CreationChallengeResponse, RegisterPublicKeyCredential};

/// The shortest PIN the app lets anyone set, whatever the key and the organisation allow.
pub const MIN_PIN_LENGTH: usize = 6;
/// How long the key may take to answer one request (a touch, typically). The crate clamps
/// WebAuthn timeouts to the same 60 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// How a ceremony behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Deadline for each exchange with the key (restarted for each request; paused while the
    /// person types a PIN). Tests shorten it.
    pub timeout: Duration,
    /// The organisation's minimum for a new PIN (the app never accepts fewer than
    /// [`MIN_PIN_LENGTH`], nor fewer than the key's own minimum).
    pub org_min_pin_length: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            org_min_pin_length: MIN_PIN_LENGTH,
        }
    }
}

/// What the key says about its PIN (from getInfo and getPINRetries, before anything else).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(
    tag = "state",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum PinState {
    /// The key supports a PIN but has none: one is set first.
    NotSet,
    Set {
        /// `None` when the key did not say.
        retries_left: Option<u32>,
        /// Three wrong PINs in a row: nothing works until the key is unplugged (CTAP 2.1 keys
        /// say so; 2.0 keys only answer so when tried).
        blocked_until_reinserted: bool,
    },
    /// Built-in user verification (a fingerprint): the key asks, not the app.
    BuiltInUv,
    /// Neither PIN nor built-in verification: the key cannot register here.
    Unsupported,
}

/// What the person should see, in order. Sent as it happens; never blocks the ceremony.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(
    tag = "event",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum KeyEvent {
    /// "Insert your security key."
    WaitingForKey,
    /// More than one key is plugged in: "remove all but the one to register". Discovery
    /// waits until exactly one is left.
    TooManyKeys { count: usize },
    /// The key answered getInfo. `model` is the name of its claimed AAGUID ("Security key"
    /// when unknown), the default name of the new device. `min_pin_length` is what a new PIN
    /// needs here: max(key's minimum, organisation's, [`MIN_PIN_LENGTH`]).
    KeyFound {
        model: String,
        aaguid: Option<Uuid>,
        pin: PinState,
        min_pin_length: usize,
    },
    /// The key has no PIN: ask for a new one (twice, in the UI) and answer
    /// [`PinReply::NewPin`].
    PinSetupNeeded { min_length: usize },
    /// The new PIN was refused (by the app's rules or the key's policy); ask again.
    PinSetupRejected { reason: PinRule },
    /// Ask for the key's PIN and answer [`PinReply::Pin`]. Only sent when more than one try
    /// is left.
    PinNeeded { retries_left: Option<u32> },
    /// The PIN was wrong; a [`KeyEvent::PinNeeded`] follows unless the key locked.
    PinWrong { retries_left: u32 },
    /// "Touch your key": once per request that waits for a touch.
    TouchNeeded,
    /// The key is working (once per request that reports it).
    Processing,
}

/// Why a new PIN was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(
    tag = "rule",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum PinRule {
    TooShort {
        min_length: usize,
    },
    /// More than 63 bytes.
    TooLong,
    ContainsNull,
    /// The key's own policy refused it (CTAP2_ERR_PIN_POLICY_VIOLATION).
    KeyPolicy,
}

/// The person's answer to a PIN prompt. `Debug` never shows a PIN.
pub enum PinReply {
    Pin(Zeroizing<String>),
    /// A new PIN, already typed twice and compared by the UI.
    NewPin(Zeroizing<String>),
    /// "Cancel" at the prompt.
    Cancel,
}

impl std::fmt::Debug for PinReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Pin(_) => "Pin(<redacted>)",
            Self::NewPin(_) => "NewPin(<redacted>)",
            Self::Cancel => "Cancel",
        })
    }
}

/// Why a registration (or a sign-in) ended without a credential. Closed: the UI has a message and a next
/// step for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(
    tag = "error",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum KeyError {
    #[error("no security key was found")]
    NoKey,
    /// More than one key stayed plugged in until the deadline.
    #[error("more than one security key is plugged in")]
    TooManyKeys,
    #[error("the security key cannot be opened (no permission)")]
    NoPermission,
    #[error("the security key has no PIN and none was set")]
    PinNotSet,
    /// Stopped before the last try: one more wrong PIN would block the key for good.
    #[error("the PIN was not tried: {retries_left} tries left")]
    PinInvalid { retries_left: u32 },
    #[error("too many wrong PINs: unplug the key and plug it back in")]
    PinBlockedForInsertion,
    #[error("the key's PIN is blocked: only a reset (wiping the key) helps")]
    PinBlocked,
    #[error("the security key did not answer in time")]
    Timeout,
    /// Another program (a browser, typically) is talking to the key.
    #[error("the security key is busy with another program")]
    Busy,
    #[error("cancelled")]
    Cancelled,
    #[error("this security key is already registered")]
    AlreadyRegistered,
    #[error("this model of security key is not allowed")]
    ModelNotAllowed,
    /// Signing in: the key holds none of the credentials the service asked for (another
    /// person's key, or one never registered here).
    #[error("this security key is not registered for this account")]
    NotRegistered,
    #[error("this security key is not supported")]
    Unsupported,
}

/// What the key said about itself before registering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub model: String,
    pub aaguid: Option<Uuid>,
    pub pin: PinState,
}

/// A registration's result with what the key said about itself.
#[derive(Debug, Clone)]
pub struct Registered {
    pub credential: RegisterPublicKeyCredential,
    pub key: KeyInfo,
}

/// The one lock behind [`KeyClaim`].
static KEYS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The right to talk to security keys: one ceremony at a time in the process, as two would
/// interleave CTAPHID frames on the same key. Taken before a key is looked for and held until
/// the ceremony ends (on Windows, until Windows' own dialog closes).
#[derive(Debug)]
pub struct KeyClaim {
    _held: tokio::sync::MutexGuard<'static, ()>,
}

/// Waits for any other ceremony to end (a cancelled one lets go within about a second).
pub async fn claim_keys(cancel: &CancellationToken) -> Result<KeyClaim, KeyError> {
    tokio::select! {
        biased;
        _ = cancel.cancelled() => Err(KeyError::Cancelled),
        held = KEYS.lock() => Ok(KeyClaim { _held: held }),
    }
}

/// Registers `key` with the service's `options`, reporting the service's `origin` to the
/// key, and says what the key said about itself (its model names the new device). Must run on
/// a multi-thread tokio runtime (Tauri's is).
// Each argument is a different party's: the claim, the key, the service's two, the person's
// two channels, the cancel switch, the settings.
#[allow(clippy::too_many_arguments)]
pub async fn register_with_info<T: Token + 'static>(
    claim: KeyClaim,
    key: T,
    options: CreationChallengeResponse,
    origin: Url,
    events: mpsc::UnboundedSender<KeyEvent>,
    pins: mpsc::Receiver<PinReply>,
    cancel: CancellationToken,
    settings: Settings,
) -> Result<Registered, KeyError> {
    check_origin(&origin, &options.public_key.rp.id)?;
    run_blocking(claim, pins, cancel, move |replies, stop| {
        ceremony::run(key, options, origin, events, replies, stop, settings)
    })
    .await
}

/// Signs in with `key`: an assertion for one of the credentials the service's `options` name,
/// user verification (the key's PIN) required, reporting the service's `origin` to the key.
/// The person is talked to as for [`register_with_info`]; a key holding none of the
/// credentials ends with [`KeyError::NotRegistered`].
#[allow(clippy::too_many_arguments)]
pub async fn assert_with_key<T: Token + 'static>(
    claim: KeyClaim,
    key: T,
    options: RequestChallengeResponse,
    origin: Url,
    events: mpsc::UnboundedSender<KeyEvent>,
    pins: mpsc::Receiver<PinReply>,
    cancel: CancellationToken,
    settings: Settings,
) -> Result<PublicKeyCredential, KeyError> {
    check_origin(&origin, &options.public_key.rp_id)?;
    run_blocking(claim, pins, cancel, move |replies, stop| {
        assertion::run(key, options, origin, events, replies, stop, settings)
    })
    .await
}

/// Runs a ceremony on one blocking-pool thread, holding `claim` until it ends, with the
/// person's replies forwarded to it until `cancel` (or the drop of this future) stops it.
async fn run_blocking<R, F>(
    claim: KeyClaim,
    pins: mpsc::Receiver<PinReply>,
    cancel: CancellationToken,
    ceremony: F,
) -> Result<R, KeyError>
where
    R: Send + 'static,
    F: FnOnce(mpsc::Receiver<PinReply>, CancellationToken) -> Result<R, KeyError> + Send + 'static,
{
    let _claim = claim;
    // If this future is dropped, the blocking ceremony is told to stop too.
    let stop = cancel.child_token();
    let _stop_on_drop = stop.clone().drop_guard();
    // The PIN prompt blocks inside the crate's `block_on`, where no executor may run: it
    // waits on a plain channel, and this task closes that channel on cancel.
    let (forward, replies) = mpsc::channel(1);
    tokio::spawn(forward_replies(pins, forward, stop.clone()));
    let task = tokio::task::spawn_blocking(move || ceremony(replies, stop));
    match task.await {
        Ok(result) => result,
        Err(error) => {
            tracing::error!(%error, "the security-key ceremony failed");
            Err(KeyError::Unsupported)
        }
    }
}

/// Passes the person's replies on until cancelled, then drops `forward` so that a blocked
/// PIN prompt returns.
async fn forward_replies(
    mut pins: mpsc::Receiver<PinReply>,
    forward: mpsc::Sender<PinReply>,
    stop: CancellationToken,
) {
    loop {
        let reply = tokio::select! {
            biased;
            _ = stop.cancelled() => return,
            reply = pins.recv() => reply,
        };
        match reply {
            Some(reply) => {
                if forward.send(reply).await.is_err() {
                    return;
                }
            }
            None => return,
        }
    }
}

/// The crate's own origin checks (`W:src/lib.rs:289-331`), done first so that its
/// `Security` error (a configuration bug, not the key's fault) never comes from the key.
fn check_origin(origin: &Url, rp_id: &str) -> Result<(), KeyError> {
    let host = origin.domain().unwrap_or_default();
    let scheme_ok =
        origin.scheme() == "https" || (origin.scheme() == "http" && host == "localhost");
    let rp_ok = !rp_id.is_empty() && (host == rp_id || host.ends_with(&format!(".{rp_id}")));
    if scheme_ok && rp_ok {
        Ok(())
    } else {
        tracing::error!(%origin, rp_id, "the service's security-key origin and relying-party id do not match");
        Err(KeyError::Unsupported)
    }
}
