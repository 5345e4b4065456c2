//! Windows: registration through Windows' own WebAuthn API (webauthn.dll), design §1.12.
//!
//! Raw HID sees no FIDO key on Windows without admin rights, so the crate's `Win10` backend
//! is used instead of a `Token`: Windows finds the key and draws the PIN, PIN set-up and touch
//! prompts itself, so there are no events and no PIN channel.
//!
//! **[`register_windows`] is not compiled in CI** (no Windows toolchain there): it only hands
//! the crate's `Win10` (webauthn-authenticator-rs 0.6.2, `src/win10/mod.rs`) to
//! [`register_through`], which is compiled and tested on every platform with the crate's
//! SoftToken in its place, as are the error mapping and the naming of the key.

use tokio_util::sync::CancellationToken;
use url::Url;
use uuid::Uuid;
use webauthn_authenticator_rs::{
    error::WebauthnCError, AuthenticatorBackend, WebauthnAuthenticator,
};

use crate::security_key::{
    check_origin, CreationChallengeResponse, KeyClaim, KeyError, KeyInfo, PinState,
    RegisterPublicKeyCredential, Registered,
};

/// Registers the key the person picks in Windows' dialog with the service's `options`,
/// reporting `origin` to it. Not compiled in CI; see [`register_through`] for its behaviour.
#[cfg(windows)]
pub async fn register_windows(
    claim: KeyClaim,
    options: CreationChallengeResponse,
    origin: Url,
    cancel: CancellationToken,
) -> Result<Registered, KeyError> {
    register_through(
        claim,
        webauthn_authenticator_rs::win10::Win10::default(),
        options,
        origin,
        cancel,
    )
    .await
}

/// Registers through a backend that finds the key and asks for PIN and touch itself.
///
/// Windows cannot be cancelled from the app (the crate passes no cancellation id): on `cancel`
/// this returns `Cancelled` at once, but Windows' dialog stays up until the person closes it or
/// its timeout (the options' timeout, at most 60 s) passes, and no other ceremony starts before
/// that. Windows reports every failure the same way (an HRESULT the crate turns into
/// `Internal`) after showing the reason in its dialog: it reads as `Cancelled`.
pub(super) async fn register_through<B>(
    claim: KeyClaim,
    backend: B,
    options: CreationChallengeResponse,
    origin: Url,
    cancel: CancellationToken,
) -> Result<Registered, KeyError>
where
    B: AuthenticatorBackend + Send + 'static,
{
    check_origin(&origin, &options.public_key.rp.id)?;
    let one = claim;
    // The dialog blocks its thread until it closes.
    let mut backend = backend;
    let mut task = tokio::task::spawn_blocking(move || backend.do_registration(origin, options));
    let finished = tokio::select! {
        biased;
        _ = cancel.cancelled() => None,
        joined = &mut task => Some(joined),
    };
    let Some(joined) = finished else {
        // Keep the one-at-a-time guard until the dialog is gone.
        tokio::spawn(async move {
            let _ = task.await;
            drop(one);
        });
        return Err(KeyError::Cancelled);
    };
    drop(one);
    match joined {
        Ok(Ok(credential)) => Ok(Registered {
            key: key_info(&credential),
            credential,
        }),
        Ok(Err(error)) => Err(map_error(error)),
        Err(error) => {
            tracing::error!(%error, "the Windows security-key ceremony failed");
            Err(KeyError::Unsupported)
        }
    }
}

/// What the app knows about a key registered through Windows: only what it attested. Windows
/// asked for the PIN itself, as a key with built-in verification would.
pub(super) fn key_info(credential: &RegisterPublicKeyCredential) -> KeyInfo {
    let aaguid = attested_aaguid(&credential.response.attestation_object);
    KeyInfo {
        model: recovery_server::security_key::model_name(aaguid),
        aaguid,
        pin: PinState::BuiltInUv,
    }
}

/// The crate's errors from the `Win10` backend as the app's (design §1.11).
pub(super) fn map_error(error: WebauthnCError) -> KeyError {
    match error {
        // Every HRESULT: the person cancelled, the key timed out or refused, or it is
        // already registered. Windows' dialog has said which.
        WebauthnCError::Internal => KeyError::Cancelled,
        WebauthnCError::Cancelled => KeyError::Cancelled,
        other => {
            tracing::warn!(error = %other, "the Windows security-key ceremony failed");
            KeyError::Unsupported
        }
    }
}

/// The AAGUID in an attestation object's authenticator data (WebAuthn §6.1: rpIdHash 32
/// bytes, flags 1, signCount 4, then, when flag AT (0x40) is set, the AAGUID's 16 bytes).
/// `None` when absent or all zeros (what anonymised attestation sends).
pub(super) fn attested_aaguid(attestation_object: &[u8]) -> Option<Uuid> {
    use serde_cbor_2::Value;
    let Value::Map(object) = serde_cbor_2::from_slice(attestation_object).ok()? else {
        return None;
    };
    let Value::Bytes(auth_data) = object.get(&Value::Text("authData".into()))? else {
        return None;
    };
    if auth_data.get(32)? & 0x40 == 0 {
        return None;
    }
    let aaguid = Uuid::from_slice(auth_data.get(37..53)?).ok()?;
    (!aaguid.is_nil()).then_some(aaguid)
}

#[cfg(test)]
mod tests {
    use std::{
        collections::BTreeMap,
        time::{Duration, Instant},
    };

    use recovery_server::security_key::{PendingRegistration, RelyingParty, SecurityKeyPolicy};
    use serde_cbor_2::Value;
    use uuid::uuid;
    use webauthn_authenticator_rs::softtoken::{self, SoftToken};
    use webauthn_rs_proto::{
        PublicKeyCredential, PublicKeyCredentialCreationOptions, PublicKeyCredentialRequestOptions,
    };

    use super::*;

    const YUBIKEY_5: Uuid = uuid!("cb69481e-8ff7-4039-93ec-0a2729a154a8");

    fn attestation_object(flags: u8, aaguid: Uuid) -> Vec<u8> {
        let mut auth_data = vec![0xAB; 32];
        auth_data.push(flags);
        auth_data.extend([0, 0, 0, 1]);
        auth_data.extend(aaguid.as_bytes());
        auth_data.extend([0, 2, 0xC1, 0xC2]);
        let object = BTreeMap::from([
            (Value::Text("fmt".into()), Value::Text("packed".into())),
            (Value::Text("attStmt".into()), Value::Map(BTreeMap::new())),
            (Value::Text("authData".into()), Value::Bytes(auth_data)),
        ]);
        serde_cbor_2::to_vec(&Value::Map(object)).unwrap()
    }

    #[test]
    fn the_attested_aaguid_names_the_model() {
        assert_eq!(
            attested_aaguid(&attestation_object(0x45, YUBIKEY_5)),
            Some(YUBIKEY_5)
        );
        let mut credential: RegisterPublicKeyCredential =
            serde_json::from_value(serde_json::json!({
                "id": "AQ", "rawId": "AQ", "type": "public-key", "extensions": {},
                "response": { "attestationObject": "", "clientDataJSON": "" }
            }))
            .unwrap();
        credential.response.attestation_object = attestation_object(0x45, YUBIKEY_5);
        let info = key_info(&credential);
        assert_eq!(info.aaguid, Some(YUBIKEY_5));
        assert_eq!(info.model, "YubiKey 5 Series");
        assert_eq!(info.pin, PinState::BuiltInUv);
    }

    #[test]
    fn no_aaguid_without_attested_data_or_when_anonymised() {
        // Flag AT unset, nil AAGUID, not CBOR, too short.
        assert_eq!(attested_aaguid(&attestation_object(0x05, YUBIKEY_5)), None);
        assert_eq!(
            attested_aaguid(&attestation_object(0x45, Uuid::nil())),
            None
        );
        assert_eq!(attested_aaguid(b"not cbor"), None);
        let short = BTreeMap::from([(Value::Text("authData".into()), Value::Bytes(vec![0; 40]))]);
        let short = serde_cbor_2::to_vec(&Value::Map(short)).unwrap();
        assert_eq!(attested_aaguid(&short), None);
    }

    async fn claim() -> KeyClaim {
        crate::security_key::claim_keys(&CancellationToken::new())
            .await
            .unwrap()
    }

    fn relying_party() -> (RelyingParty, CreationChallengeResponse, PendingRegistration) {
        let rp = RelyingParty::new(&SecurityKeyPolicy::default()).unwrap();
        let (options, pending) = rp
            .start_registration(Uuid::new_v4(), "ada", "Ada Lovelace", &[])
            .unwrap();
        (rp, options, pending)
    }

    /// Stands in for Windows' dialog: blocks, then fails as every HRESULT does.
    struct Dialog(Duration);

    impl AuthenticatorBackend for Dialog {
        fn perform_register(
            &mut self,
            _: Url,
            _: PublicKeyCredentialCreationOptions,
            _: u32,
        ) -> Result<RegisterPublicKeyCredential, WebauthnCError> {
            std::thread::sleep(self.0);
            Err(WebauthnCError::Internal)
        }

        fn perform_auth(
            &mut self,
            _: Url,
            _: PublicKeyCredentialRequestOptions,
            _: u32,
        ) -> Result<PublicKeyCredential, WebauthnCError> {
            Err(WebauthnCError::NotSupported)
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_backend_registration_is_accepted_by_the_service_and_named() {
        let (rp, options, pending) = relying_party();
        let (soft, _) = SoftToken::new(true).unwrap();
        let origin = rp.origin().clone();
        let registered = register_through(
            claim().await,
            soft,
            options,
            origin,
            CancellationToken::new(),
        )
        .await
        .unwrap();
        assert_eq!(registered.key.aaguid, Some(softtoken::AAGUID));
        assert_eq!(registered.key.model, "Security key");
        rp.finish_registration(&pending, &registered.credential)
            .unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cancel_answers_at_once_but_the_next_ceremony_waits_for_the_dialog() {
        let (rp, options, _) = relying_party();
        let cancel = CancellationToken::new();
        let later = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            later.cancel();
        });
        let started = Instant::now();
        let dialog = Dialog(Duration::from_millis(600));
        let result = register_through(
            claim().await,
            dialog,
            options.clone(),
            rp.origin().clone(),
            cancel,
        )
        .await;
        assert_eq!(result.unwrap_err(), KeyError::Cancelled);
        assert!(started.elapsed() < Duration::from_millis(400));

        let next = Dialog(Duration::ZERO);
        // The next ceremony's claim waits for the dialog.
        let result = register_through(
            claim().await,
            next,
            options,
            rp.origin().clone(),
            CancellationToken::new(),
        );
        assert_eq!(result.await.unwrap_err(), KeyError::Cancelled);
        assert!(started.elapsed() >= Duration::from_millis(600));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_wrong_origin_never_reaches_windows() {
        let (_, options, _) = relying_party();
        let origin = Url::parse("https://elsewhere.example").unwrap();
        // A dialog that would block for a minute: it must not be shown.
        let dialog = Dialog(Duration::from_secs(60));
        let result = register_through(
            claim().await,
            dialog,
            options,
            origin,
            CancellationToken::new(),
        )
        .await;
        assert_eq!(result.unwrap_err(), KeyError::Unsupported);
    }

    #[test]
    fn windows_failures_read_as_cancelled() {
        assert_eq!(map_error(WebauthnCError::Internal), KeyError::Cancelled);
        assert_eq!(map_error(WebauthnCError::Cancelled), KeyError::Cancelled);
        assert_eq!(map_error(WebauthnCError::Security), KeyError::Unsupported);
    }
}
