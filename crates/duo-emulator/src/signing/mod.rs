//! Duo's request signatures, read from the receiving side (reference section 1.2, 1.3).
//!
//! The server never learns which parameters the client "meant" to sign: it re-reads what
//! arrived (query string, form body, JSON body bytes, `X-Duo-*` headers), canonicalizes it
//! and recomputes the HMAC for every signature version the request could have used.

mod pairs;

use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha512};
use subtle::ConstantTimeEq;

pub(crate) use pairs::{canon_params, parse_pairs, RawPair};

/// Which canonical form and digest a request was signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureVersion {
    /// Five lines (date, method, host, path, params), HMAC-SHA1 (Duo's documentation example).
    V2Sha1,
    /// Five lines, HMAC-SHA512 (what current v2 clients send).
    V2Sha512,
    /// v2 lines plus the SHA-512 of the body, HMAC-SHA512.
    V4,
    /// v2 lines plus the SHA-512 of the body and of the `X-Duo-*` headers, HMAC-SHA512.
    V5,
}

impl SignatureVersion {
    /// The canonical-string version number (2, 4 or 5).
    pub fn number(self) -> u8 {
        match self {
            SignatureVersion::V2Sha1 | SignatureVersion::V2Sha512 => 2,
            SignatureVersion::V4 => 4,
            SignatureVersion::V5 => 5,
        }
    }

    /// `"sha1"` or `"sha512"`.
    pub fn digest(self) -> &'static str {
        match self {
            SignatureVersion::V2Sha1 => "sha1",
            _ => "sha512",
        }
    }
}

const LOWER_HEX: &[u8; 16] = b"0123456789abcdef";

/// Lower-case hex, as every official client renders its HMAC.
pub(crate) fn lower_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(LOWER_HEX[usize::from(b >> 4)]));
        out.push(char::from(LOWER_HEX[usize::from(b & 0x0f)]));
    }
    out
}

/// SHA-512 of some bytes, lower-case hex.
pub(crate) fn sha512_hex(data: &[u8]) -> String {
    lower_hex(&Sha512::digest(data))
}

/// The hash of the `X-Duo-*` headers: names lower-cased and sorted, then name, value, name,
/// value… joined with NUL, SHA-512 hex. `None` when a name repeats or a value holds a NUL.
pub(crate) fn x_duo_headers_hash(headers: &[(String, String)]) -> Option<String> {
    let mut lowered: Vec<(String, &str)> = headers
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value.as_str()))
        .collect();
    lowered.sort_by(|a, b| a.0.cmp(&b.0));
    if lowered
        .windows(2)
        .any(|w| matches!(w, [a, b] if a.0 == b.0))
    {
        return None;
    }
    let mut parts: Vec<&str> = Vec::with_capacity(lowered.len() * 2);
    for (name, value) in &lowered {
        if name.contains('\0') || value.contains('\0') {
            return None;
        }
        parts.push(name);
        parts.push(value);
    }
    Some(sha512_hex(parts.join("\0").as_bytes()))
}

/// The five lines shared by v2, v4 and v5: date, upper-cased method, lower-cased host, the
/// path exactly as sent, and the canonical parameters.
pub(crate) fn canonical_v2(
    date: &str,
    method: &str,
    host: &str,
    path: &str,
    params: &str,
) -> String {
    [
        date,
        &method.to_ascii_uppercase(),
        &host.to_ascii_lowercase(),
        path,
        params,
    ]
    .join("\n")
}

/// v4: the v2 lines plus the body's SHA-512.
pub(crate) fn canonical_v4(
    date: &str,
    method: &str,
    host: &str,
    path: &str,
    params: &str,
    body: &[u8],
) -> String {
    format!(
        "{}\n{}",
        canonical_v2(date, method, host, path, params),
        sha512_hex(body)
    )
}

/// v5: the v2 lines plus the body's SHA-512 and the `X-Duo-*` header hash.
pub(crate) fn canonical_v5(
    date: &str,
    method: &str,
    host: &str,
    path: &str,
    params: &str,
    body: &[u8],
    x_duo_hash: &str,
) -> String {
    format!(
        "{}\n{}\n{}",
        canonical_v2(date, method, host, path, params),
        sha512_hex(body),
        x_duo_hash
    )
}

/// HMAC-SHA1 of `message` keyed with the skey string's bytes, lower-case hex.
pub(crate) fn hmac_sha1_hex(skey: &str, message: &str) -> String {
    match <Hmac<Sha1> as Mac>::new_from_slice(skey.as_bytes()) {
        Ok(mut mac) => {
            mac.update(message.as_bytes());
            lower_hex(&mac.finalize().into_bytes())
        }
        // HMAC accepts keys of any length; this arm cannot be reached.
        Err(_) => String::new(),
    }
}

/// HMAC-SHA512 of `message` keyed with the skey string's bytes, lower-case hex.
pub(crate) fn hmac_sha512_hex(skey: &str, message: &str) -> String {
    match <Hmac<Sha512> as Mac>::new_from_slice(skey.as_bytes()) {
        Ok(mut mac) => {
            mac.update(message.as_bytes());
            lower_hex(&mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// Constant-time comparison of the signature that came in with the one recomputed. An empty
/// expectation never matches.
pub(crate) fn signatures_match(received: &str, expected: &str) -> bool {
    !expected.is_empty()
        && received.len() == expected.len()
        && bool::from(received.as_bytes().ct_eq(expected.as_bytes()))
}

/// Everything about an arrived request that a signature can cover.
pub(crate) struct Received<'a> {
    pub date: &'a str,
    pub method: &'a str,
    pub host: &'a str,
    pub path: &'a str,
    /// Query-string parameters.
    pub query: &'a [RawPair],
    /// Form-body parameters, when the body is `application/x-www-form-urlencoded`.
    pub form: Option<&'a [RawPair]>,
    /// The body exactly as received.
    pub body: &'a [u8],
    /// The `X-Duo-*` headers, or `None` when they cannot be hashed (a repeated name).
    pub x_duo: Option<&'a [(String, String)]>,
}

/// Recomputes every signature the request could carry and says which one matches.
///
/// - 40 hex digits: v2 with HMAC-SHA1, over the query plus any form body (only when the
///   body is a form or empty).
/// - 128 hex digits: v2 with HMAC-SHA512 (only when the body is a form or empty, so that no
///   body byte goes unsigned), v4 and v5 (params line from the query string, body hashed).
pub(crate) fn verify(
    received: &Received<'_>,
    skey: &str,
    signature: &str,
) -> Option<SignatureVersion> {
    let body_is_form_or_empty = received.form.is_some() || received.body.is_empty();
    let mut v2_pairs: Vec<RawPair> = received.query.to_vec();
    if let Some(form) = received.form {
        v2_pairs.extend_from_slice(form);
    }
    let v2_params = canon_params(&v2_pairs);
    let query_params = canon_params(received.query);
    let (date, method, host, path) = (received.date, received.method, received.host, received.path);

    match signature.len() {
        40 if body_is_form_or_empty => {
            let canonical = canonical_v2(date, method, host, path, &v2_params);
            signatures_match(signature, &hmac_sha1_hex(skey, &canonical))
                .then_some(SignatureVersion::V2Sha1)
        }
        128 => {
            if body_is_form_or_empty {
                let canonical = canonical_v2(date, method, host, path, &v2_params);
                if signatures_match(signature, &hmac_sha512_hex(skey, &canonical)) {
                    return Some(SignatureVersion::V2Sha512);
                }
            }
            let v4 = canonical_v4(date, method, host, path, &query_params, received.body);
            if signatures_match(signature, &hmac_sha512_hex(skey, &v4)) {
                return Some(SignatureVersion::V4);
            }
            let headers_hash = x_duo_headers_hash(received.x_duo?)?;
            let v5 = canonical_v5(
                date,
                method,
                host,
                path,
                &query_params,
                received.body,
                &headers_hash,
            );
            signatures_match(signature, &hmac_sha512_hex(skey, &v5)).then_some(SignatureVersion::V5)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vectors::{self, Pair};

    fn raw(pairs: &[Pair]) -> Vec<RawPair> {
        pairs
            .iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn header_and_body_hashes_match_the_shared_vectors() {
        let vectors = vectors::load().unwrap();
        for vector in &vectors.x_duo_headers {
            assert_eq!(
                x_duo_headers_hash(&vector.headers).as_deref(),
                Some(vector.sha512.as_str()),
                "{}",
                vector.name
            );
        }
        for vector in &vectors.body_sha512 {
            assert_eq!(
                sha512_hex(vector.body.as_bytes()),
                vector.sha512,
                "{}",
                vector.name
            );
        }
        // A repeated name cannot be hashed: the server cannot know which one was signed.
        let dup = [
            ("X-Duo-A".to_owned(), "1".to_owned()),
            ("x-duo-a".to_owned(), "2".to_owned()),
        ];
        assert_eq!(x_duo_headers_hash(&dup), None);
    }

    #[test]
    fn canonical_strings_and_hmacs_match_the_shared_vectors() {
        let vectors = vectors::load().unwrap();
        for r in &vectors.requests {
            let params = canon_params(&raw(&r.params));
            let canonical = if r.is_v5() {
                let headers = x_duo_headers_hash(&r.signed_x_duo_headers()).unwrap();
                canonical_v5(
                    &r.date,
                    &r.method,
                    &r.host,
                    &r.path,
                    &params,
                    r.body.as_bytes(),
                    &headers,
                )
            } else {
                canonical_v2(&r.date, &r.method, &r.host, &r.path, &params)
            };
            if let Some(expected) = &r.canonical {
                assert_eq!(&canonical, expected, "{}", r.id);
            }
            if let (Some(prefix), Some(suffix)) = (&r.canonical_prefix, &r.canonical_suffix) {
                assert!(canonical.starts_with(prefix.as_str()), "{}", r.id);
                assert!(canonical.ends_with(suffix.as_str()), "{}", r.id);
            }
            for signature in &r.signatures {
                let hmac = match signature.signature_version().unwrap() {
                    SignatureVersion::V2Sha1 => hmac_sha1_hex(&r.skey, &canonical),
                    _ => hmac_sha512_hex(&r.skey, &canonical),
                };
                if let Some(expected) = &signature.hmac {
                    assert_eq!(&hmac, expected, "{}", r.id);
                }
            }
        }
    }

    #[test]
    fn signature_comparison_is_exact() {
        assert!(signatures_match("abc", "abc"));
        assert!(!signatures_match("ABC", "abc"));
        assert!(!signatures_match("ab", "abc"));
        assert!(!signatures_match("", ""));
    }
}
