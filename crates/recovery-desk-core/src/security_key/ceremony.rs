//! The blocking registration ceremony: pre-flight, PIN state machine, registration loop, and
//! the error mapping the sign-in ceremony (`assertion`) shares (design §5.3, §1.11). Runs on a blocking-pool thread: the crate's async calls go through
//! `futures::executor::block_on`, never `Handle::block_on`, so that waiting for the person's
//! PIN may block (§1.9).

use std::sync::Arc;

use futures::executor::block_on;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use url::Url;
use webauthn_authenticator_rs::{
    ctap2::{
        commands::{
            ClientPinRequest, ClientPinResponse, ClientPinSubCommand, GetInfoRequest,
            GetInfoResponse,
        },
        CtapAuthenticator,
    },
    error::{CtapError, WebauthnCError},
    transport::Token,
    WebauthnAuthenticator,
};
use zeroize::Zeroizing;

use super::{
    bridge::Bridge,
    guarded::{Guarded, Shared, StopReason},
    CreationChallengeResponse, KeyError, KeyEvent, KeyInfo, PinReply, PinRule, PinState,
    Registered, Settings, MIN_PIN_LENGTH,
};

/// What getInfo and getPINRetries said before anything else was sent.
pub(super) struct Preflight {
    pub(super) info: GetInfoResponse,
    retries: Option<u32>,
    blocked_until_reinserted: bool,
}

pub(super) fn run<T: Token>(
    key: T,
    options: CreationChallengeResponse,
    origin: Url,
    events: mpsc::UnboundedSender<KeyEvent>,
    pins: mpsc::Receiver<PinReply>,
    cancel: CancellationToken,
    settings: Settings,
) -> Result<Registered, KeyError> {
    let shared = Arc::new(Shared::new(cancel, settings.timeout));
    let bridge = Bridge::new(events, pins, Arc::clone(&shared));
    // The key was found before this (USB: `backend::os_key`, which says WaitingForKey when it
    // had to wait).
    let mut guarded = Guarded::new(key, Arc::clone(&shared));
    let preflight =
        block_on(preflight(&mut guarded, &bridge)).map_err(|e| map_error(&shared, e, None))?;
    let client_pin = preflight.info.get_option("clientPin");
    let (key_info, min_pin_length) = found(&preflight, &settings, &bridge);
    let pin = key_info.pin;
    refuse_early(pin)?;

    let mut authenticator = block_on(CtapAuthenticator::new(guarded, &bridge))
        .ok_or_else(|| stopped(&shared).unwrap_or(KeyError::Unsupported))?;

    if pin == PinState::NotSet {
        set_up_pin(&mut authenticator, &bridge, &shared, min_pin_length)?;
    }

    loop {
        match authenticator.do_registration(origin.clone(), options.clone()) {
            Ok(credential) => {
                return Ok(Registered {
                    credential,
                    key: key_info,
                })
            }
            Err(WebauthnCError::Ctap(CtapError::Ctap2PinInvalid)) if shared.reason().is_none() => {
                // The crate asks again (after a new getPINRetries) on the next attempt.
                let retries_left = shared.retries().unwrap_or(1).saturating_sub(1);
                bridge.emit(KeyEvent::PinWrong { retries_left });
            }
            Err(error) => return Err(map_error(&shared, error, client_pin)),
        }
    }
}

/// What the pre-flight says about the key (its model, its PIN, the shortest PIN it may be
/// given here), told to the person as [`KeyEvent::KeyFound`].
pub(super) fn found(
    preflight: &Preflight,
    settings: &Settings,
    bridge: &Bridge,
) -> (KeyInfo, usize) {
    let client_pin = preflight.info.get_option("clientPin");
    let built_in_uv = preflight.info.get_option("uv") == Some(true);
    let pin = match client_pin {
        _ if built_in_uv => PinState::BuiltInUv,
        None => PinState::Unsupported,
        Some(false) => PinState::NotSet,
        Some(true) => PinState::Set {
            retries_left: preflight.retries,
            blocked_until_reinserted: preflight.blocked_until_reinserted,
        },
    };
    let min_pin_length = preflight
        .info
        .get_min_pin_length()
        .max(settings.org_min_pin_length)
        .max(MIN_PIN_LENGTH);
    let key_info = KeyInfo {
        model: recovery_server::security_key::model_name(preflight.info.aaguid),
        aaguid: preflight.info.aaguid,
        pin,
    };
    bridge.emit(KeyEvent::KeyFound {
        model: key_info.model.clone(),
        aaguid: key_info.aaguid,
        pin,
        min_pin_length,
    });
    (key_info, min_pin_length)
}

/// Refuses before sending anything that could cost a try: a blocked key, or one with only its
/// last try left (design §5.3).
pub(super) fn refuse_early(pin: PinState) -> Result<(), KeyError> {
    match pin {
        PinState::Unsupported => Err(KeyError::Unsupported),
        PinState::Set {
            retries_left: Some(0),
            ..
        } => Err(KeyError::PinBlocked),
        PinState::Set {
            blocked_until_reinserted: true,
            ..
        } => Err(KeyError::PinBlockedForInsertion),
        PinState::Set {
            retries_left: Some(1),
            ..
        } => Err(KeyError::PinInvalid { retries_left: 1 }),
        _ => Ok(()),
    }
}

pub(super) async fn preflight<T: Token>(
    key: &mut Guarded<T>,
    bridge: &Bridge,
) -> Result<Preflight, WebauthnCError> {
    key.init().await?;
    let info = key.transmit(GetInfoRequest {}, bridge).await?;
    let (mut retries, mut blocked) = (None, false);
    if info.get_option("clientPin") == Some(true) {
        // The protocol the crate will pick: the first one listed (`W:src/ctap2/pin_uv.rs:78-91`).
        let protocol = info
            .pin_protocols
            .as_ref()
            .and_then(|p| p.first().copied())
            .unwrap_or(1);
        let answer: ClientPinResponse = key
            .transmit(
                ClientPinRequest {
                    pin_uv_protocol: Some(protocol),
                    sub_command: ClientPinSubCommand::GetPinRetries,
                    ..Default::default()
                },
                bridge,
            )
            .await?;
        retries = answer.pin_retries;
        blocked = answer.power_cycle_state == Some(true);
    }
    Ok(Preflight {
        info,
        retries,
        blocked_until_reinserted: blocked,
    })
}

/// Asks for a new PIN until the app's rules and the key accept one, then sets it. The PIN is
/// kept to answer the registration's PIN request without asking again.
fn set_up_pin<T: Token>(
    authenticator: &mut CtapAuthenticator<'_, Guarded<T>, Bridge>,
    bridge: &Bridge,
    shared: &Shared,
    min_length: usize,
) -> Result<(), KeyError> {
    bridge.emit(KeyEvent::PinSetupNeeded { min_length });
    loop {
        let pin = match bridge.wait_reply() {
            None => return Err(stopped(shared).unwrap_or(KeyError::Cancelled)),
            Some(PinReply::Cancel) => return Err(KeyError::PinNotSet),
            Some(PinReply::Pin(pin) | PinReply::NewPin(pin)) => pin,
        };
        let rejected = match authenticator.validate_pin(&pin) {
            Ok(normalised) => {
                let normalised = Zeroizing::new(normalised);
                if normalised.chars().count() < min_length {
                    PinRule::TooShort { min_length }
                } else {
                    match block_on(authenticator.set_new_pin(&normalised)) {
                        Ok(()) => {
                            bridge.preset(normalised);
                            return Ok(());
                        }
                        Err(WebauthnCError::Ctap(CtapError::Ctap2PinPolicyViolation)) => {
                            PinRule::KeyPolicy
                        }
                        Err(error) => return Err(map_error(shared, error, Some(false))),
                    }
                }
            }
            Err(WebauthnCError::PinTooShort) => PinRule::TooShort { min_length },
            Err(WebauthnCError::PinTooLong) => PinRule::TooLong,
            Err(WebauthnCError::PinContainsNull) => PinRule::ContainsNull,
            Err(error) => return Err(map_error(shared, error, Some(false))),
        };
        bridge.emit(KeyEvent::PinSetupRejected { reason: rejected });
    }
}

/// The reason the ceremony stopped itself, if it did.
pub(super) fn stopped(shared: &Shared) -> Option<KeyError> {
    shared.reason().map(|reason| match reason {
        StopReason::TimedOut => KeyError::Timeout,
        StopReason::Cancelled => KeyError::Cancelled,
        StopReason::LastTryWithheld => match shared.retries() {
            Some(0) => KeyError::PinBlocked,
            left => KeyError::PinInvalid {
                retries_left: left.unwrap_or(1),
            },
        },
    })
}

/// The crate's and CTAP's errors as the app's (design §1.11). Our own stop reason first: the
/// crate reports a timeout, a cancel and a withheld PIN all as `Cancelled`.
pub(super) fn map_error(
    shared: &Shared,
    error: WebauthnCError,
    client_pin: Option<bool>,
) -> KeyError {
    if let Some(stopped) = stopped(shared) {
        return stopped;
    }
    match error {
        WebauthnCError::Ctap(status) => match status {
            CtapError::Ctap2PinAuthBlocked => KeyError::PinBlockedForInsertion,
            CtapError::Ctap2PinBlocked => KeyError::PinBlocked,
            CtapError::Ctap2PinNotSet => KeyError::PinNotSet,
            CtapError::Ctap2PinInvalid => KeyError::PinInvalid {
                retries_left: shared.retries().unwrap_or(1).saturating_sub(1),
            },
            CtapError::Ctap2UserActionTimeout
            | CtapError::Ctap2ActionTimeout
            | CtapError::Ctap1Timeout => KeyError::Timeout,
            // The person declined on the key itself.
            CtapError::Ctap2OperationDenied => KeyError::Cancelled,
            CtapError::Ctap2KeepAliveCancel => KeyError::Cancelled,
            CtapError::Ctap1ChannelBusy => KeyError::Busy,
            CtapError::Ctap2CredentialExcluded => KeyError::AlreadyRegistered,
            // Signing in: none of the credentials asked for is on this key.
            CtapError::Ctap2NoCredentials => KeyError::NotRegistered,
            other => {
                tracing::warn!(status = ?other, "the security key refused");
                KeyError::Unsupported
            }
        },
        WebauthnCError::Cancelled => KeyError::Cancelled,
        WebauthnCError::UserVerificationRequired if client_pin == Some(false) => {
            KeyError::PinNotSet
        }
        WebauthnCError::PermissionDenied => KeyError::NoPermission,
        // The key went away mid-ceremony.
        WebauthnCError::IoError(_) | WebauthnCError::Closed | WebauthnCError::NoHidDevices => {
            KeyError::NoKey
        }
        other => {
            tracing::warn!(error = %other, "the security-key ceremony failed");
            KeyError::Unsupported
        }
    }
}
