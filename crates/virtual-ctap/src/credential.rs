//! Credentials the key makes itself (ES256 on P-256), and the authenticator data and
//! signatures that makeCredential and getAssertion build from them.

use std::collections::BTreeMap;

use crypto_glue::{
    ecdsa_p256::{EcdsaP256PrivateKey, EcdsaP256Signature, EcdsaP256SigningKey},
    traits::Signer,
};
use serde_cbor_2::Value;

use crate::{cbor, pin, status};

/// COSE algorithm ES256, the only one the key makes credentials for.
pub(crate) const ES256: i128 = -7;

/// authData flag bits (WebAuthn §6.1).
const UP: u8 = 0x01;
const UV: u8 = 0x04;
pub(crate) const AT: u8 = 0x40;

pub(crate) struct Credential {
    pub(crate) id: Vec<u8>,
    pub(crate) rp_id: String,
    /// `None` when the inner SoftToken holds the key.
    pub(crate) key: Option<EcdsaP256PrivateKey>,
}

/// The UP and UV flag bits.
pub(crate) fn flags(up: bool, uv: bool) -> u8 {
    (if up { UP } else { 0 }) | if uv { UV } else { 0 }
}

/// The fixed start of authData: rpIdHash, flags, signCount.
pub(crate) fn auth_data(rp_id: &str, flags: u8, sign_count: u32) -> Vec<u8> {
    let mut out = pin::sha256(rp_id.as_bytes()).to_vec();
    out.push(flags);
    out.extend_from_slice(&sign_count.to_be_bytes());
    out
}

/// The credential public key as a CBOR-encoded COSE_Key.
pub(crate) fn cose_public_key(key: &EcdsaP256PrivateKey) -> Result<Vec<u8>, u8> {
    let (x, y) = pin::public_coords(key);
    serde_cbor_2::to_vec(&cbor::cose_p256_key(ES256, x, y)).map_err(|_| status::OTHER)
}

/// A DER ECDSA signature over authData || clientDataHash: what both `packed` attestation and
/// an assertion sign.
pub(crate) fn sign(
    key: &EcdsaP256PrivateKey,
    auth_data: &[u8],
    client_data_hash: &[u8],
) -> Result<Vec<u8>, u8> {
    let message: Vec<u8> = auth_data.iter().chain(client_data_hash).copied().collect();
    let signing = EcdsaP256SigningKey::from(key);
    let signature: EcdsaP256Signature = signing.try_sign(&message).map_err(|_| status::OTHER)?;
    Ok(signature.to_der().as_bytes().to_vec())
}

/// A PublicKeyCredentialDescriptor for a response.
pub(crate) fn descriptor(id: Vec<u8>) -> Value {
    Value::Map(BTreeMap::from([
        (Value::Text("id".into()), Value::Bytes(id)),
        (Value::Text("type".into()), Value::Text("public-key".into())),
    ]))
}
