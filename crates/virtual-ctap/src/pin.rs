//! The authenticator side of PIN/UV auth protocols 1 and 2 (CTAP 2.1 §6.5.6, §6.5.7).
//!
//! Written from the specification, independently of the platform side in
//! webauthn-authenticator-rs' `pin_uv.rs`, so the crate's code is checked against it rather
//! than against itself. The primitives come from crypto-glue, which the crate already uses.

use crypto_glue::{
    aes256cbc::{
        block_padding::NoPadding, Aes256CbcDec, Aes256CbcEnc, BlockModeDecrypt, BlockModeEncrypt,
        KeyIvInit,
    },
    ecdh,
    ecdsa_p256::{
        self, EcdsaP256AffinePoint, EcdsaP256NonZeroScalar, EcdsaP256PrivateKey,
        EcdsaP256PublicSec1Point,
    },
    hkdf_s256::HkdfSha256,
    hmac_s256::HmacSha256,
    s256::Sha256,
    traits::{Digest, KeyInit, Mac},
};

use crate::status;

/// A PIN/UV auth protocol the authenticator speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    One,
    Two,
}

impl Protocol {
    pub(crate) fn from_number(n: u32) -> Option<Self> {
        match n {
            1 => Some(Self::One),
            2 => Some(Self::Two),
            _ => None,
        }
    }

    /// `kdf(Z)`: protocol 1 is SHA-256(Z); protocol 2 is the HMAC key || the AES key, each
    /// HKDF-SHA-256 with a zero salt.
    fn kdf(self, z: &[u8]) -> Result<Vec<u8>, u8> {
        match self {
            Self::One => Ok(sha256(z).to_vec()),
            Self::Two => {
                let hkdf = HkdfSha256::new(Some(&[0u8; 32]), z);
                let mut out = vec![0u8; 64];
                let (hmac_key, aes_key) = out.split_at_mut(32);
                hkdf.expand(b"CTAP2 HMAC key", hmac_key)
                    .map_err(|_| status::OTHER)?;
                hkdf.expand(b"CTAP2 AES key", aes_key)
                    .map_err(|_| status::OTHER)?;
                Ok(out)
            }
        }
    }

    /// `decapsulate(peerCoseKey)`: ECDH with our key-agreement key, then `kdf`.
    pub(crate) fn shared_secret(
        self,
        ours: &EcdsaP256PrivateKey,
        peer_x: &[u8],
        peer_y: &[u8],
    ) -> Result<Vec<u8>, u8> {
        let peer = ecdsa_p256::from_coords_raw(peer_x, peer_y).ok_or(status::INVALID_PARAMETER)?;
        let shared = ecdh::diffie_hellman(
            EcdsaP256NonZeroScalar::from(ours),
            EcdsaP256AffinePoint::from(&peer),
        );
        self.kdf(shared.raw_secret_bytes().as_slice())
    }

    fn aes_key(self, key: &[u8]) -> Result<&[u8], u8> {
        let key = match self {
            Self::One => key,
            Self::Two => key.get(32..).ok_or(status::OTHER)?,
        };
        if key.len() == 32 {
            Ok(key)
        } else {
            Err(status::OTHER)
        }
    }

    /// Protocol 1: AES-256-CBC, all-zero IV. Protocol 2: a random IV, sent in front.
    pub(crate) fn encrypt(self, key: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, u8> {
        if !plaintext.len().is_multiple_of(16) {
            return Err(status::OTHER);
        }
        let aes_key = self.aes_key(key)?;
        let iv: [u8; 16] = match self {
            Self::One => [0; 16],
            Self::Two => random_array(),
        };
        let ciphertext = Aes256CbcEnc::new_from_slices(aes_key, &iv)
            .map_err(|_| status::OTHER)?
            .encrypt_padded_vec::<NoPadding>(plaintext);
        Ok(match self {
            Self::One => ciphertext,
            Self::Two => iv.iter().copied().chain(ciphertext).collect(),
        })
    }

    /// The inverse of [`Self::encrypt`]; a ciphertext that is not whole blocks is an error.
    pub(crate) fn decrypt(self, key: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, u8> {
        let aes_key = self.aes_key(key)?;
        let (iv, body) = match self {
            Self::One => ([0u8; 16].to_vec(), ciphertext),
            Self::Two => {
                if ciphertext.len() < 16 {
                    return Err(status::INVALID_PARAMETER);
                }
                let (iv, body) = ciphertext.split_at(16);
                (iv.to_vec(), body)
            }
        };
        if !body.len().is_multiple_of(16) {
            return Err(status::INVALID_PARAMETER);
        }
        Aes256CbcDec::new_from_slices(aes_key, &iv)
            .map_err(|_| status::OTHER)?
            .decrypt_padded_vec::<NoPadding>(body)
            .map_err(|_| status::INVALID_PARAMETER)
    }

    /// Protocol 1: the first 16 bytes of HMAC-SHA-256. Protocol 2: all 32, keyed with the
    /// first 32 bytes of `key` (the HMAC half of a shared secret, or a whole token).
    pub(crate) fn authenticate(self, key: &[u8], message: &[u8]) -> Result<Vec<u8>, u8> {
        let key = match self {
            Self::One => key,
            Self::Two => key.get(..32).ok_or(status::OTHER)?,
        };
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key).map_err(|_| status::OTHER)?;
        mac.update(message);
        let mut out = mac.finalize().into_bytes().to_vec();
        if self == Self::One {
            out.truncate(16);
        }
        Ok(out)
    }

    /// `verify(key, message, signature)`, in constant time over the expected length.
    pub(crate) fn verify(self, key: &[u8], message: &[u8], signature: &[u8]) -> bool {
        match self.authenticate(key, message) {
            Ok(expected) => {
                expected.len() == signature.len()
                    && expected
                        .iter()
                        .zip(signature)
                        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                        == 0
            }
            Err(_) => false,
        }
    }
}

pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(data);
    let mut out = [0u8; 32];
    out.copy_from_slice(hasher.finalize().as_slice());
    out
}

/// LEFT(SHA-256(pin), 16), what the authenticator stores and the platform sends encrypted.
pub(crate) fn pin_hash(pin: &[u8]) -> [u8; 16] {
    let mut out = [0u8; 16];
    out.copy_from_slice(&sha256(pin)[..16]);
    out
}

pub(crate) fn random_array<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    crypto_glue::rand::fill(&mut out[..]);
    out
}

/// The affine coordinates of a P-256 key's public half.
pub(crate) fn public_coords(key: &EcdsaP256PrivateKey) -> (Vec<u8>, Vec<u8>) {
    let point = EcdsaP256PublicSec1Point::from(key.public_key());
    (
        point.x().map(|x| x.to_vec()).unwrap_or_default(),
        point.y().map(|y| y.to_vec()).unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_protocols_round_trip_and_authenticate_to_their_lengths() {
        let a = ecdsa_p256::new_key();
        let b = ecdsa_p256::new_key();
        let (bx, by) = public_coords(&b);
        let (ax, ay) = public_coords(&a);
        for protocol in [Protocol::One, Protocol::Two] {
            let ours = protocol.shared_secret(&a, &bx, &by).unwrap();
            let theirs = protocol.shared_secret(&b, &ax, &ay).unwrap();
            assert_eq!(ours, theirs);
            let plaintext = [7u8; 64];
            let ciphertext = protocol.encrypt(&ours, &plaintext).unwrap();
            assert_eq!(protocol.decrypt(&theirs, &ciphertext).unwrap(), plaintext);
            let tag = protocol.authenticate(&ours, b"message").unwrap();
            assert_eq!(tag.len(), if protocol == Protocol::One { 16 } else { 32 });
            assert!(protocol.verify(&theirs, b"message", &tag));
            assert!(!protocol.verify(&theirs, b"massage", &tag));
        }
    }
}
