//! Test helpers: webauthn-authenticator-rs's `SoftToken`, a software security key with packed
//! attestation (AAGUID `softtoken::AAGUID`, a fresh attestation root per token), answers the
//! real options through the same `WebauthnAuthenticator` client code a native app uses.

use std::collections::BTreeMap;

use base64::{
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
    Engine as _,
};
use uuid::{uuid, Uuid};
use webauthn_authenticator_rs::{
    softtoken::{SoftToken, AAGUID},
    WebauthnAuthenticator,
};
use webauthn_rs::prelude::{
    AttestationCaListBuilder, PublicKeyCredential, RegisterPublicKeyCredential,
};

use super::{
    PendingAuthentication, PendingRegistration, RelyingParty, SecurityKeyError, SecurityKeyPolicy,
    StoredKey,
};

/// The person registering in these tests.
pub(super) const USER_ID: Uuid = uuid!("6c0d7a4e-8f4b-4d61-9a3e-2f1f0c9b7a10");

/// A software key and the PEM of the root its attestation chains to.
pub(super) struct TestKey {
    pub token: SoftToken,
    pub ca_pem: String,
}

impl TestKey {
    pub fn new() -> Self {
        // `false`: the token refuses `userVerification: required` instead of faking a PIN.
        let (token, ca) = SoftToken::new(false).unwrap();
        // webauthn-rs re-exports no certificate encoder, but an `AttestationCaList` serialises
        // its roots as base64url DER.
        let mut builder = AttestationCaListBuilder::new();
        builder
            .insert_device_x509(ca, AAGUID, "SoftToken".to_owned(), BTreeMap::new())
            .unwrap();
        let list = serde_json::to_value(builder.build()).unwrap();
        let (_, root) = list["cas"].as_object().unwrap().iter().next().unwrap();
        let der = URL_SAFE_NO_PAD
            .decode(root["ca"].as_str().unwrap())
            .unwrap();
        Self {
            token,
            ca_pem: pem("CERTIFICATE", &der),
        }
    }

    /// Writes the attestation root to a file, for `attestation_ca_pem_files`.
    pub fn ca_file(&self) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), &self.ca_pem).unwrap();
        file
    }

    /// Starts a registration and lets the key answer it.
    pub fn answer_registration(
        &mut self,
        rp: &RelyingParty,
        exclude: &[StoredKey],
    ) -> (PendingRegistration, RegisterPublicKeyCredential) {
        let (options, pending) = rp
            .start_registration(USER_ID, "ada", "Ada Lovelace", exclude)
            .unwrap();
        let credential = self
            .token
            .do_registration(rp.origin().clone(), options)
            .unwrap();
        (pending, credential)
    }

    /// Starts an authentication with `keys` and lets the key answer it.
    pub fn answer_authentication(
        &mut self,
        rp: &RelyingParty,
        keys: &[StoredKey],
    ) -> (PendingAuthentication, PublicKeyCredential) {
        let (options, pending) = rp.start_authentication(keys).unwrap();
        let credential = self
            .token
            .do_authentication(rp.origin().clone(), options)
            .unwrap();
        (pending, credential)
    }

    /// A whole registration.
    pub fn register(
        &mut self,
        rp: &RelyingParty,
        exclude: &[StoredKey],
    ) -> Result<StoredKey, SecurityKeyError> {
        let (pending, credential) = self.answer_registration(rp, exclude);
        rp.finish_registration(&pending, &credential)
    }
}

pub(super) fn relying_party(policy: SecurityKeyPolicy) -> RelyingParty {
    RelyingParty::new(&policy).unwrap()
}

/// The SoftToken's AAGUID, as the allow-list would name it.
pub(super) const SOFTTOKEN_AAGUID: Uuid = AAGUID;

fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut text = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        text.push_str(std::str::from_utf8(line).unwrap());
        text.push('\n');
    }
    text.push_str(&format!("-----END {label}-----\n"));
    text
}
