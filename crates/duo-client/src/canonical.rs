//! The byte-exact pieces Duo signs: percent-encoded, sorted parameters; the SHA-512 of a body;
//! the SHA-512 of the `X-Duo-*` headers. One byte off and Duo answers 40103, so the official
//! test vectors pin every rule here.

use std::fmt::Write as _;

use sha2::{Digest as _, Sha512};

/// Percent-encodes UTF-8 bytes. Only RFC 3986 unreserved characters stay literal; hex is
/// uppercase and a space is `%20`, never `+` (Duo re-canonicalizes what it parsed, and
/// `+`/lowercase hex give a different string).
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for &byte in value.as_bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// `k=v` pairs joined by `&`, sorted by encoded key and then by encoded value, so a repeated
/// key gives one pair per value. Sorting the pairs, not the joined `k=v` strings, matters
/// when one key is a prefix of another (`foo=1&foo_bar=2`). No params give "".
pub fn canon_params(params: &[(&str, &str)]) -> String {
    let mut encoded: Vec<(String, String)> = params
        .iter()
        .map(|(key, value)| (percent_encode(key), percent_encode(value)))
        .collect();
    encoded.sort();
    let mut out = String::new();
    for (index, (key, value)) in encoded.iter().enumerate() {
        if index > 0 {
            out.push('&');
        }
        out.push_str(key);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// Lowercase hex of SHA-512; `sha512_hex(b"")` is the v5 body hash of a GET or DELETE.
pub fn sha512_hex(bytes: &[u8]) -> String {
    hex(&Sha512::digest(bytes))
}

/// Lowercase hex, as every official client sends it.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// Why a set of `X-Duo-*` headers cannot be signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("a signed header must be named X-Duo-*")]
    NotXDuo,
    #[error("a signed header must not contain NUL")]
    ContainsNul,
    #[error("a signed header appears twice")]
    Duplicate,
}

/// SHA-512 hex of the `X-Duo-*` headers for v5: lowercased names, sorted, then name, value,
/// name, value… joined with NUL. No headers hash the empty string.
pub fn canon_x_duo_headers(headers: &[(&str, &str)]) -> Result<String, HeaderError> {
    let mut lowered: Vec<(String, &str)> = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        if !name.starts_with("x-duo-") {
            return Err(HeaderError::NotXDuo);
        }
        if name.contains('\0') || value.contains('\0') {
            return Err(HeaderError::ContainsNul);
        }
        if lowered.iter().any(|(seen, _)| *seen == name) {
            return Err(HeaderError::Duplicate);
        }
        lowered.push((name, value));
    }
    lowered.sort();
    let joined = lowered
        .iter()
        .flat_map(|(name, value)| [name.as_str(), *value])
        .collect::<Vec<_>>()
        .join("\0");
    Ok(sha512_hex(joined.as_bytes()))
}

#[cfg(test)]
mod tests {
    use duo_emulator::vectors;

    use super::*;

    /// Reference §9.6 and §1.2, from the shared vectors.
    #[test]
    fn canonical_params_match_the_shared_vectors() {
        for vector in vectors::load().unwrap().canonical_params {
            let params: Vec<(&str, &str)> = vector
                .params
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            assert_eq!(canon_params(&params), vector.canonical, "{}", vector.name);
        }
    }

    /// Reference §9.4 and §9.7, from the shared vectors.
    #[test]
    fn header_and_body_hashes_match_the_shared_vectors() {
        let vectors = vectors::load().unwrap();
        for vector in &vectors.x_duo_headers {
            let headers: Vec<(&str, &str)> = vector
                .headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            assert_eq!(
                canon_x_duo_headers(&headers).unwrap(),
                vector.sha512,
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
    }

    #[test]
    fn edge_cases() {
        assert_eq!(canon_params(&[("empty", "")]), "empty=");
        assert_eq!(canon_params(&[("a.b", "2"), ("a", "1")]), "a=1&a.b=2");
        // Keys are encoded too, and sorting uses the encoded form.
        assert_eq!(canon_params(&[("b c", "1"), ("b", "2")]), "b=2&b%20c=1");
        // UTF-8 bytes, uppercase hex; `+` is data, not a space.
        assert_eq!(percent_encode("é+ ü"), "%C3%A9%2B%20%C3%BC");
        assert_eq!(percent_encode("+12015550100"), "%2B12015550100");
        // Booleans and numbers arrive as the strings Duo expects.
        assert_eq!(
            canon_params(&[("preserve_existing", "true"), ("count", "1")]),
            "count=1&preserve_existing=true"
        );
    }

    #[test]
    fn x_duo_headers_are_validated() {
        assert_eq!(
            canon_x_duo_headers(&[("Date", "x")]),
            Err(HeaderError::NotXDuo)
        );
        assert_eq!(
            canon_x_duo_headers(&[("X-Duo-A", "a\0b")]),
            Err(HeaderError::ContainsNul)
        );
        assert_eq!(
            canon_x_duo_headers(&[("X-Duo-A", "1"), ("x-duo-a", "2")]),
            Err(HeaderError::Duplicate)
        );
    }
}
