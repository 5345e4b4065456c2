//! [`Attestation::SoftToken`] mode: webauthn-authenticator-rs' `SoftToken` makes and uses the
//! credentials, so their `packed` attestation chains to a real (test) CA.
//!
//! [`Attestation::SoftToken`]: crate::Attestation::SoftToken

use std::collections::BTreeMap;

use serde_cbor_2::Value;
use webauthn_authenticator_rs::{
    ctap2::commands::{GetAssertionRequest, MakeCredentialRequest},
    softtoken::SoftToken,
    AuthenticatorBackendHashedClientData,
};
use webauthn_rs_proto::{
    AllowCredentials, AuthenticatorSelectionCriteria, PublicKeyCredentialCreationOptions,
    PublicKeyCredentialRequestOptions, UserVerificationPolicy,
};

use crate::{cbor, status};

/// SoftToken signs UV only when asked to require it.
fn user_verification(uv: bool) -> UserVerificationPolicy {
    if uv {
        UserVerificationPolicy::Required
    } else {
        UserVerificationPolicy::Discouraged_DO_NOT_USE
    }
}

/// SoftToken makes the key and the x5c `packed` statement; the answer is re-keyed from its
/// string-keyed attestation object to CTAP's integer keys, as `perform_register_with_request`
/// does (authenticator_hashed.rs:157-165). Returns the response and the credential id.
pub(crate) fn register(
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
        authenticator_selection: Some(AuthenticatorSelectionCriteria {
            user_verification: user_verification(uv),
            ..Default::default()
        }),
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
    Ok((cbor::encode(&out)?, credential.raw_id.to_vec()))
}

/// An assertion by SoftToken with credential `id`: authData and signature.
pub(crate) fn assert(
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
        user_verification: user_verification(uv),
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
