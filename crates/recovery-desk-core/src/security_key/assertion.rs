//! The blocking sign-in ceremony (authenticatorGetAssertion): the same pre-flight, PIN prompts,
//! retries, deadline and cancel as registration (`ceremony`), then an assertion for one of the
//! credentials the service names. User verification is always required: a help-desk agent's
//! key proves its PIN, whatever the options say, and a key without a PIN cannot sign in.

use std::sync::Arc;

use futures::executor::block_on;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use url::Url;
use webauthn_authenticator_rs::{
    ctap2::CtapAuthenticator,
    error::{CtapError, WebauthnCError},
    transport::Token,
    WebauthnAuthenticator,
};
use webauthn_rs_proto::UserVerificationPolicy;

use super::{
    bridge::Bridge,
    ceremony::{found, map_error, preflight, refuse_early, stopped},
    guarded::{Guarded, Shared},
    KeyError, KeyEvent, PinReply, PinState, PublicKeyCredential, RequestChallengeResponse,
    Settings,
};

pub(super) fn run<T: Token>(
    key: T,
    mut options: RequestChallengeResponse,
    origin: Url,
    events: mpsc::UnboundedSender<KeyEvent>,
    pins: mpsc::Receiver<PinReply>,
    cancel: CancellationToken,
    settings: Settings,
) -> Result<PublicKeyCredential, KeyError> {
    let shared = Arc::new(Shared::new(cancel, settings.timeout));
    let bridge = Bridge::new(events, pins, Arc::clone(&shared));
    let mut guarded = Guarded::new(key, Arc::clone(&shared));
    let preflight =
        block_on(preflight(&mut guarded, &bridge)).map_err(|e| map_error(&shared, e, None))?;
    let client_pin = preflight.info.get_option("clientPin");
    let (key_info, _) = found(&preflight, &settings, &bridge);
    refuse_early(key_info.pin)?;
    if key_info.pin == PinState::NotSet {
        // No PIN, so nothing registered with one: a PIN set now would verify nothing.
        return Err(KeyError::PinNotSet);
    }
    options.public_key.user_verification = UserVerificationPolicy::Required;

    let mut authenticator = block_on(CtapAuthenticator::new(guarded, &bridge))
        .ok_or_else(|| stopped(&shared).unwrap_or(KeyError::Unsupported))?;
    loop {
        match authenticator.do_authentication(origin.clone(), options.clone()) {
            Ok(credential) => return Ok(credential),
            Err(WebauthnCError::Ctap(CtapError::Ctap2PinInvalid)) if shared.reason().is_none() => {
                // The crate asks again (after a new getPINRetries) on the next attempt.
                let retries_left = shared.retries().unwrap_or(1).saturating_sub(1);
                bridge.emit(KeyEvent::PinWrong { retries_left });
            }
            Err(error) => return Err(map_error(&shared, error, client_pin)),
        }
    }
}
