//! Sealing secrets the service must read back (TOTP and HOTP keys cannot be hashed):
//! XChaCha20-Poly1305 under the service's OTP key, with a random nonce per value.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chacha20poly1305::{
    aead::{Aead, AeadCore, KeyInit},
    XChaCha20Poly1305, XNonce,
};
use rand::rngs::OsRng;
use zeroize::Zeroizing;

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("the sealing key must be base64url of 32 bytes")]
    Key,
    #[error("a sealed value is corrupt or was sealed under another key")]
    Open,
}

#[derive(Clone)]
pub struct SealingKey {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey(<redacted>)")
    }
}

impl SealingKey {
    pub fn from_encoded(encoded: &str) -> Result<Self, SealError> {
        let key = Zeroizing::new(
            URL_SAFE_NO_PAD
                .decode(encoded.trim())
                .map_err(|_| SealError::Key)?,
        );
        let cipher = XChaCha20Poly1305::new_from_slice(&key).map_err(|_| SealError::Key)?;
        Ok(Self { cipher })
    }

    /// base64url(nonce || ciphertext).
    pub fn seal(&self, plaintext: &[u8]) -> Result<String, SealError> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ciphertext = self
            .cipher
            .encrypt(&nonce, plaintext)
            .map_err(|_| SealError::Open)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ciphertext);
        Ok(URL_SAFE_NO_PAD.encode(out))
    }

    pub fn open(&self, sealed: &str) -> Result<Zeroizing<Vec<u8>>, SealError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(sealed)
            .map_err(|_| SealError::Open)?;
        if bytes.len() < 24 {
            return Err(SealError::Open);
        }
        let (nonce, ciphertext) = bytes.split_at(24);
        self.cipher
            .decrypt(XNonce::from_slice(nonce), ciphertext)
            .map(Zeroizing::new)
            .map_err(|_| SealError::Open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_under_their_key() {
        let key = SealingKey::from_encoded(&URL_SAFE_NO_PAD.encode([7u8; 32])).unwrap();
        let other = SealingKey::from_encoded(&URL_SAFE_NO_PAD.encode([8u8; 32])).unwrap();
        let sealed = key.seal(b"otp secret").unwrap();
        assert!(!sealed.contains("otp"));
        assert_eq!(
            key.open(&sealed).ok().map(|v| v.to_vec()),
            Some(b"otp secret".to_vec())
        );
        assert!(other.open(&sealed).is_err());
        assert!(SealingKey::from_encoded("short").is_err());
    }
}
