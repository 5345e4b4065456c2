//! High-entropy opaque tokens (recovery sessions, kiosk credentials, enrollment tokens).
//!
//! A token is 256 random bits; only its keyed hash (HMAC-SHA-256) is stored, so a copy of the
//! database opens no session. A slow hash would add nothing at this entropy.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use rand::{rngs::OsRng, RngCore};
use recovery_api::Secret;
use sha2::Sha256;
use zeroize::Zeroizing;

/// Makes a new token: 32 random bytes, base64url.
pub fn generate() -> Secret {
    generate_bytes(32)
}

/// A token of `len` random bytes, base64url; shorter ones make smaller QR codes.
pub fn generate_bytes(len: usize) -> Secret {
    let mut bytes = Zeroizing::new(vec![0u8; len]);
    OsRng.fill_bytes(&mut bytes);
    Secret::new(URL_SAFE_NO_PAD.encode(bytes.as_slice()))
}

/// The key that makes token hashes useless without the service.
#[derive(Clone)]
pub struct TokenHasher {
    key: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for TokenHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenHasher(<redacted>)")
    }
}

impl TokenHasher {
    pub fn new(key: &[u8]) -> Self {
        Self {
            key: Zeroizing::new(key.to_vec()),
        }
    }

    /// A new random key, base64url-encoded for storage.
    pub fn generate_key() -> Secret {
        generate()
    }

    pub fn from_encoded_key(encoded: &str) -> Option<Self> {
        let key = Zeroizing::new(URL_SAFE_NO_PAD.decode(encoded.trim()).ok()?);
        (key.len() >= 32).then(|| Self::new(&key))
    }

    /// Hex of HMAC-SHA-256(key, purpose || 0 || token): the purpose keeps a session token from
    /// ever matching a kiosk credential.
    pub fn hash(&self, purpose: &str, token: &str) -> String {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            // HMAC takes keys of any length; this branch cannot be reached.
            return String::new();
        };
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(token.as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_and_distinct() {
        let (a, b) = (generate(), generate());
        assert_eq!(a.expose().len(), 43);
        assert_ne!(a, b);
    }

    #[test]
    fn hashes_depend_on_key_and_purpose() {
        let one = TokenHasher::new(&[1; 32]);
        let two = TokenHasher::new(&[2; 32]);
        assert_eq!(one.hash("session", "t"), one.hash("session", "t"));
        assert_ne!(one.hash("session", "t"), two.hash("session", "t"));
        assert_ne!(one.hash("session", "t"), one.hash("kiosk", "t"));
    }
}
