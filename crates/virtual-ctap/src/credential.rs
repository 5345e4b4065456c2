//! Credentials the key makes itself (ES256 on P-256), and the authenticator data and
//! signatures that makeCredential and getAssertion build from them.

use std::collections::BTreeMap;

use std::fmt;

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

/// A credential given to the key rather than made by it: a fixed id and P-256 private key for
/// one relying party, so that a relying party may store its public half beforehand (the demo
/// agent key, `demo_credential`).
#[derive(Clone)]
pub struct PresetCredential {
    id: Vec<u8>,
    rp_id: String,
    key: EcdsaP256PrivateKey,
}

/// The private key given is no P-256 scalar (zero, too large, or not 32 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidPrivateKey;

impl fmt::Display for InvalidPrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a P-256 private key")
    }
}

impl std::error::Error for InvalidPrivateKey {}

impl PresetCredential {
    /// `private_key` is the 32-byte big-endian P-256 scalar.
    pub fn new(id: &[u8], rp_id: &str, private_key: &[u8]) -> Result<Self, InvalidPrivateKey> {
        let key = EcdsaP256PrivateKey::from_slice(private_key).map_err(|_| InvalidPrivateKey)?;
        Ok(Self {
            id: id.to_vec(),
            rp_id: rp_id.to_owned(),
            key,
        })
    }

    pub fn id(&self) -> &[u8] {
        &self.id
    }

    pub fn rp_id(&self) -> &str {
        &self.rp_id
    }

    /// The public key's affine coordinates (32 bytes each), what a relying party stores.
    pub fn public_key_coordinates(&self) -> (Vec<u8>, Vec<u8>) {
        pin::public_coords(&self.key)
    }

    pub(crate) fn to_credential(&self) -> Credential {
        Credential {
            id: self.id.clone(),
            rp_id: self.rp_id.clone(),
            key: Some(self.key.clone()),
        }
    }
}

impl fmt::Debug for PresetCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PresetCredential")
            .field("rp_id", &self.rp_id)
            .field("id_len", &self.id.len())
            .finish_non_exhaustive()
    }
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
