//! Duo's request signatures: `Authorization: Basic base64(ikey:hex(HMAC(skey, canonical)))`
//! over a newline-joined canonical request (reference §1.1, §1.3).
//!
//! - v2: date, METHOD, host, path, canonical params. For query strings and form bodies.
//!   Duo's documentation example uses HMAC-SHA1; every current official client uses
//!   HMAC-SHA512 (the server tells them apart by length), so requests use SHA-512 and SHA-1
//!   is kept for the documented vector.
//! - v5: the v2 lines plus the SHA-512 hex of the body and of the `X-Duo-*` headers, always
//!   HMAC-SHA512. For JSON bodies.

use base64::{engine::general_purpose::STANDARD, Engine as _};
use hmac::{Hmac, Mac};
use recovery_api::Secret;
use sha1::Sha1;
use sha2::Sha512;
use time::{format_description::well_known::Rfc2822, OffsetDateTime};
use zeroize::Zeroizing;

use crate::{
    canonical::{canon_params, canon_x_duo_headers, hex, sha512_hex, HeaderError},
    DuoError,
};

/// The HMAC behind a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HmacDigest {
    /// Only in Duo's v2 documentation example.
    Sha1,
    /// What the official clients send, for v2 and v5.
    Sha512,
}

/// Why a request cannot be signed. Never carries the key or the canonical string.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error(transparent)]
    Header(#[from] HeaderError),
    #[error("the secret key cannot key an HMAC")]
    Key,
    #[error("the date cannot be written as RFC 2822")]
    Date,
}

impl From<SigningError> for DuoError {
    fn from(error: SigningError) -> Self {
        match error {
            SigningError::Header(_) => Self::InvalidInput("an X-Duo-* header cannot be signed"),
            SigningError::Key => Self::InvalidInput("the secret key cannot be used"),
            SigningError::Date => Self::InvalidInput("the clock is outside RFC 2822's range"),
        }
    }
}

/// The v2 canonical request. METHOD is uppercased and host lowercased; the path is kept as
/// sent. Zeroized on drop: the params may hold a passcode.
pub fn canonical_v2(
    date: &str,
    method: &str,
    host: &str,
    path: &str,
    params: &[(&str, &str)],
) -> Zeroizing<String> {
    Zeroizing::new(
        [
            date,
            &method.to_ascii_uppercase(),
            &host.to_ascii_lowercase(),
            path,
            &canon_params(params),
        ]
        .join("\n"),
    )
}

/// The v5 canonical request. `params` is the query string (empty for a JSON POST, whose
/// parameters are the body); `body` is the exact bytes sent ("" for GET and DELETE).
pub fn canonical_v5(
    date: &str,
    method: &str,
    host: &str,
    path: &str,
    params: &[(&str, &str)],
    body: &[u8],
    x_duo_headers: &[(&str, &str)],
) -> Result<Zeroizing<String>, SigningError> {
    let v2 = canonical_v2(date, method, host, path, params);
    let headers = canon_x_duo_headers(x_duo_headers)?;
    Ok(Zeroizing::new(
        [v2.as_str(), &sha512_hex(body), &headers].join("\n"),
    ))
}

/// Lowercase hex of the HMAC of `canonical`, keyed with the secret key's UTF-8 bytes as
/// they are (not decoded).
pub fn hmac_hex(
    secret_key: &Secret,
    canonical: &str,
    digest: HmacDigest,
) -> Result<String, SigningError> {
    let key = secret_key.expose().as_bytes();
    let bytes = match digest {
        HmacDigest::Sha1 => {
            let mut mac = Hmac::<Sha1>::new_from_slice(key).map_err(|_| SigningError::Key)?;
            mac.update(canonical.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        HmacDigest::Sha512 => {
            let mut mac = Hmac::<Sha512>::new_from_slice(key).map_err(|_| SigningError::Key)?;
            mac.update(canonical.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
    };
    Ok(hex(&bytes))
}

/// The `Authorization` header value. It is a credential for this one request (and any
/// replay within Duo's date window): never log it.
pub fn authorization(
    integration_key: &str,
    secret_key: &Secret,
    canonical: &str,
    digest: HmacDigest,
) -> Result<Zeroizing<String>, SigningError> {
    let signature = hmac_hex(secret_key, canonical, digest)?;
    Ok(Zeroizing::new(format!(
        "Basic {}",
        STANDARD.encode(format!("{integration_key}:{signature}"))
    )))
}

/// The `Date` header: RFC 2822, e.g. `Tue, 21 Aug 2012 17:29:18 +0000`. The exact string
/// signed must be the one sent.
pub fn http_date(at: OffsetDateTime) -> Result<String, SigningError> {
    at.to_offset(time::UtcOffset::UTC)
        .format(&Rfc2822)
        .map_err(|_| SigningError::Date)
}

#[cfg(test)]
mod tests {
    use duo_emulator::vectors::{self, Pair};
    use time::macros::datetime;

    use super::*;

    fn borrowed(pairs: &[Pair]) -> Vec<(&str, &str)> {
        pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    /// Reference §9.1–§9.5 and §9.8, from the vectors the emulator is tested with: every
    /// canonical string and every `Authorization` header comes out byte for byte.
    #[test]
    fn the_shared_vectors_are_signed_byte_for_byte() {
        let vectors = vectors::load().unwrap();
        let mut signed = 0;
        for r in &vectors.requests {
            let params = borrowed(&r.params);
            let canonical = if r.is_v5() {
                let headers = r.signed_x_duo_headers();
                canonical_v5(
                    &r.date,
                    &r.method,
                    &r.host,
                    &r.path,
                    &params,
                    r.body.as_bytes(),
                    &borrowed(&headers),
                )
                .unwrap()
            } else {
                canonical_v2(&r.date, &r.method, &r.host, &r.path, &params)
            };
            if let Some(expected) = &r.canonical {
                assert_eq!(canonical.as_str(), expected, "{}", r.id);
            }
            if let (Some(prefix), Some(suffix)) = (&r.canonical_prefix, &r.canonical_suffix) {
                assert!(canonical.starts_with(prefix.as_str()), "{}", r.id);
                assert!(canonical.ends_with(suffix.as_str()), "{}", r.id);
            }
            let skey = Secret::new(r.skey.clone());
            for signature in &r.signatures {
                let digest = if signature.version == "v2-sha1" {
                    HmacDigest::Sha1
                } else {
                    HmacDigest::Sha512
                };
                if let Some(hmac) = &signature.hmac {
                    assert_eq!(
                        &hmac_hex(&skey, &canonical, digest).unwrap(),
                        hmac,
                        "{}",
                        r.id
                    );
                }
                assert_eq!(
                    authorization(&r.ikey, &skey, &canonical, digest)
                        .unwrap()
                        .as_str(),
                    signature.authorization,
                    "{}",
                    r.id
                );
                signed += 1;
            }
        }
        assert_eq!(signed, 10);
    }

    #[test]
    fn the_date_is_rfc_2822_in_utc() {
        assert_eq!(
            http_date(datetime!(2012-08-21 19:29:18 +02:00)).unwrap(),
            "Tue, 21 Aug 2012 17:29:18 +0000"
        );
    }
}
