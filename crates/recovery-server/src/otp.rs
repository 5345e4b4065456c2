//! One-time passwords: TOTP for phone apps (RFC 6238), HOTP for hardware tokens (RFC 4226).
//! totp-rs does the arithmetic; HOTP is TOTP with a one-second step read at `time = counter`.

use data_encoding::BASE32_NOPAD;
use rand::{rngs::OsRng, RngCore};
use recovery_api::Secret;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use totp_rs::{Algorithm, TOTP};
use zeroize::Zeroizing;

pub const DIGITS: usize = 6;
pub const TOTP_STEP_SECONDS: u64 = 30;

/// Raw OTP key material.
#[derive(Clone)]
pub struct OtpSecret(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for OtpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OtpSecret(<redacted>)")
    }
}

impl OtpSecret {
    /// 160 random bits, RFC 4226's recommended length.
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new(vec![0u8; 20]);
        OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// From the base32 tokens are shipped with (spaces and case ignored).
    pub fn from_base32(text: &str) -> Option<Self> {
        let cleaned: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect::<String>()
            .trim_end_matches('=')
            .to_owned();
        let bytes = BASE32_NOPAD.decode(cleaned.as_bytes()).ok()?;
        (bytes.len() >= 10).then(|| Self::from_bytes(bytes))
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    fn hotp_generator(&self) -> TOTP {
        TOTP::new_unchecked(
            Algorithm::SHA1,
            DIGITS,
            0,
            1,
            self.0.to_vec(),
            None,
            String::new(),
        )
    }
}

/// The HOTP code for one counter value.
pub fn hotp(secret: &OtpSecret, counter: u64) -> String {
    secret.hotp_generator().generate(counter)
}

/// The TOTP time step of an instant.
pub fn totp_step(at: OffsetDateTime) -> u64 {
    u64::try_from(at.unix_timestamp()).unwrap_or(0) / TOTP_STEP_SECONDS
}

/// The time step a TOTP code belongs to, accepting one step of clock drift either way and
/// refusing steps at or before `last_used` (a code works once).
pub fn totp_match(
    secret: &OtpSecret,
    code: &str,
    now: OffsetDateTime,
    last_used: Option<u64>,
) -> Option<u64> {
    let current = totp_step(now);
    let generator = secret.hotp_generator();
    [current.saturating_sub(1), current, current + 1]
        .into_iter()
        .filter(|step| last_used.is_none_or(|last| *step > last))
        .find(|step| equal(&generator.generate(*step), code))
}

/// Finds `codes` as consecutive HOTP values starting within `window` counters of `from`, and
/// returns the counter after the last one (where the token now stands).
pub fn hotp_resync(secret: &OtpSecret, codes: &[&str], from: u64, window: u64) -> Option<u64> {
    let generator = secret.hotp_generator();
    let first = codes.first()?;
    (from..=from.saturating_add(window)).find_map(|start| {
        if !equal(&generator.generate(start), first) {
            return None;
        }
        let rest_match = codes
            .iter()
            .enumerate()
            .skip(1)
            .all(|(i, code)| equal(&generator.generate(start + i as u64), code));
        rest_match.then(|| start + codes.len() as u64)
    })
}

/// The HOTP counter a single code matches within `window` of `from`; for sign-in with a token.
pub fn hotp_match(secret: &OtpSecret, code: &str, from: u64, window: u64) -> Option<u64> {
    hotp_resync(secret, &[code], from, window)
}

/// A standard `otpauth://totp/…` URI that any authenticator app enrolls from.
pub fn otpauth_uri(secret: &OtpSecret, issuer: &str, account: &str) -> Secret {
    let encoded = Zeroizing::new(BASE32_NOPAD.encode(secret.bytes()));
    let label = format!("{}:{}", encode(issuer), encode(account));
    Secret::new(format!(
        "otpauth://totp/{label}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={TOTP_STEP_SECONDS}",
        encoded.as_str(),
        encode(issuer)
    ))
}

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

fn equal(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4226 appendix D: the secret "12345678901234567890".
    fn rfc_secret() -> OtpSecret {
        OtpSecret::from_bytes(b"12345678901234567890".to_vec())
    }

    #[test]
    fn hotp_matches_rfc_4226_vectors() {
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(hotp(&rfc_secret(), counter as u64), *code);
        }
    }

    #[test]
    fn totp_matches_rfc_6238_vector() {
        // RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits); the last 6 are ours.
        let at = OffsetDateTime::from_unix_timestamp(59).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        assert_eq!(totp_match(&rfc_secret(), "287082", at, None), Some(1));
        assert_eq!(
            totp_match(&rfc_secret(), "287082", at, Some(1)),
            None,
            "used once"
        );
    }

    #[test]
    fn resync_finds_consecutive_codes_in_the_window() {
        let secret = rfc_secret();
        assert_eq!(hotp_resync(&secret, &["969429", "338314"], 0, 10), Some(5));
        assert_eq!(
            hotp_resync(&secret, &["969429", "338314", "254676"], 0, 10),
            Some(6)
        );
        assert_eq!(
            hotp_resync(&secret, &["969429", "254676"], 0, 10),
            None,
            "not consecutive"
        );
        assert_eq!(
            hotp_resync(&secret, &["969429", "338314"], 0, 2),
            None,
            "outside the window"
        );
    }

    #[test]
    fn base32_round_trip_and_uri() {
        let secret = OtpSecret::from_base32("GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ")
            .map(|s| s.bytes().to_vec());
        assert_eq!(secret.as_deref(), Some(&b"12345678901234567890"[..]));
        let uri = otpauth_uri(&rfc_secret(), "Example University", "ada");
        assert!(uri
            .expose()
            .starts_with("otpauth://totp/Example%20University:ada?secret=GEZDGNBVGY3TQOJQ"));
    }
}
