//! The demo agent key (`virtual_ctap::demo_credential`) and the stored credential the demo
//! directory seeds for hopper (`crates/recovery-server/src/demo/hopper_security_key.json`): the
//! file is rebuilt from the demo credential here, and the service's relying party accepts an
//! assertion the demo key makes with its PIN.
//!
//! `UPDATE_DEMO_KEY=1 cargo test -p recovery-desk-core --test journey demo_agent_key` rewrites
//! the file (only needed if the demo credential changes, which strands every stored copy).

use std::{path::PathBuf, sync::Arc};

use futures::executor::block_on;
use recovery_server::security_key::{RelyingParty, SecurityKeyPolicy, StoredKey};
use url::Url;
use virtual_ctap::{demo_credential, Config, VirtualAuthenticator};
use webauthn_authenticator_rs::{
    ctap2::CtapAuthenticator,
    types::{CableRequestType, CableState, EnrollSampleStatus},
    ui::UiCallback,
    WebauthnAuthenticator,
};
use webauthn_rs::prelude::{
    AttestationFormat, AttestationMetadata, COSEAlgorithm, COSEEC2Key, COSEKey, COSEKeyType,
    Credential, ECDSACurve, ParsedAttestation, ParsedAttestationData, SecurityKey,
};
use webauthn_rs_proto::{extensions::RegisteredExtensions, UserVerificationPolicy};

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../recovery-server/src/demo/hopper_security_key.json")
}

/// The webauthn-rs `SecurityKey` JSON the service keeps for a key (`StoredKey::key_json`),
/// built from the demo credential's public half: registered with its PIN (so every sign-in
/// must be verified), no attestation, counter 0.
fn hopper_key_json() -> String {
    let credential = demo_credential::hopper().unwrap();
    let (x, y) = credential.public_key_coordinates();
    let key = SecurityKey::from(Credential {
        cred_id: credential.id().to_vec(),
        cred: COSEKey {
            type_: COSEAlgorithm::ES256,
            key: COSEKeyType::EC_EC2(COSEEC2Key {
                curve: ECDSACurve::SECP256R1,
                x,
                y,
            }),
        },
        counter: 0,
        transports: None,
        user_verified: true,
        backup_eligible: false,
        backup_state: false,
        registration_policy: UserVerificationPolicy::Preferred,
        extensions: RegisteredExtensions::none(),
        attestation: ParsedAttestation {
            data: ParsedAttestationData::None,
            metadata: AttestationMetadata::None,
        },
        attestation_format: AttestationFormat::None,
    });
    serde_json::to_string(&key).unwrap()
}

fn stored_key() -> StoredKey {
    let json = std::fs::read_to_string(committed_path()).unwrap();
    StoredKey {
        credential_id: String::new(),
        aaguid: None,
        key_json: json.trim_end().to_owned(),
    }
}

#[test]
fn the_committed_stored_credential_is_the_demo_credentials() {
    let built = hopper_key_json();
    if std::env::var_os("UPDATE_DEMO_KEY").is_some() {
        std::fs::write(committed_path(), format!("{built}\n")).unwrap();
    }
    let committed = std::fs::read_to_string(committed_path()).unwrap();
    assert_eq!(
        committed.trim_end(),
        built,
        "stale: rerun with UPDATE_DEMO_KEY=1"
    );
    let key = stored_key().to_security_key().unwrap();
    assert_eq!(
        key.cred_id().as_slice(),
        demo_credential::HOPPER_CREDENTIAL_ID
    );
}

/// Answers the PIN prompt with hopper's PIN, once.
#[derive(Debug, Default)]
struct Hopper {
    asked: std::sync::atomic::AtomicU32,
}

impl UiCallback for Hopper {
    fn request_pin(&self) -> Option<String> {
        self.asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Some(demo_credential::HOPPER_PIN.to_owned())
    }
    fn request_touch(&self) {}
    fn processing(&self) {}
    fn fingerprint_enrollment_feedback(&self, _: u32, _: Option<EnrollSampleStatus>) {}
    fn cable_qr_code(&self, _: CableRequestType, _: String) {}
    fn dismiss_qr_code(&self) {}
    fn cable_status_update(&self, _: CableState) {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_services_relying_party_accepts_the_demo_key_with_its_pin() {
    // The embedded demo service's relying party: the service's defaults.
    let policy = SecurityKeyPolicy::default();
    assert_eq!(policy.rp_id, demo_credential::RP_ID);
    let rp = RelyingParty::new(&policy).unwrap();
    let stored = stored_key();
    let (options, pending) = rp
        .start_authentication(std::slice::from_ref(&stored))
        .unwrap();
    let key = VirtualAuthenticator::new(demo_credential::hopper_key(Config::ctap21()).unwrap());
    let person = Arc::new(Hopper::default());
    let origin = Url::parse(&policy.rp_origin).unwrap();
    let ui = Arc::clone(&person);
    let assertion = tokio::task::spawn_blocking(move || {
        let mut authenticator = block_on(CtapAuthenticator::new(key, &*ui)).unwrap();
        authenticator.do_authentication(origin, options)
    })
    .await
    .unwrap()
    .unwrap();
    let authenticated = rp
        .finish_authentication(&pending, &assertion, std::slice::from_ref(&stored))
        .unwrap();
    assert!(authenticated.user_verified, "the PIN was used");
    assert_eq!(person.asked.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(
        authenticated.credential_id,
        stored
            .to_security_key()
            .map(|k| base64_url(k.cred_id()))
            .unwrap()
    );
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
