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
    use super::*;

    const EMPTY_SHA512: &str = "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";

    /// Reference §9.6: every printable ASCII character and the whitespace ones.
    #[test]
    fn printable_ascii_vector() {
        let canonical = canon_params(&[
            ("digits", "0123456789"),
            (
                "letters",
                "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
            ),
            ("punctuation", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
            ("whitespace", "\t\n\x0b\x0c\r "),
        ]);
        assert_eq!(
            canonical,
            "digits=0123456789\
             &letters=abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\
             &punctuation=%21%22%23%24%25%26%27%28%29%2A%2B%2C-.%2F%3A%3B%3C%3D%3E%3F%40%5B%5C%5D%5E_%60%7B%7C%7D~\
             &whitespace=%09%0A%0B%0C%0D%20"
        );
    }

    /// Reference §9.6, Go `TestCanonicalize`: a repeated key sorts by encoded value.
    #[test]
    fn repeated_keys_vector() {
        let canonical = canon_params(&[
            ("username", "H ell?o"),
            ("password", "H-._~i"),
            ("password", "A(!'*)"),
        ]);
        assert_eq!(
            canonical,
            "password=A%28%21%27%2A%29&password=H-._~i&username=H%20ell%3Fo"
        );
    }

    /// Reference §1.2 and §9.6: sort on the key alone, not on the joined string.
    #[test]
    fn a_key_that_prefixes_another_sorts_first() {
        assert_eq!(
            canon_params(&[("foo_bar", "2"), ("foo", "1")]),
            "foo=1&foo_bar=2"
        );
        // `-` sorts below `=`: a string sort would give `a-b=2&a=1`.
        assert_eq!(canon_params(&[("a-b", "2"), ("a", "1")]), "a=1&a-b=2");
        assert_eq!(canon_params(&[("a.b", "2"), ("a", "1")]), "a=1&a.b=2");
    }

    #[test]
    fn edge_cases() {
        assert_eq!(canon_params(&[]), "");
        assert_eq!(canon_params(&[("empty", "")]), "empty=");
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

    /// Reference §9.7.
    #[test]
    fn x_duo_header_vectors() {
        assert_eq!(
            canon_x_duo_headers(&[("X-Duo-Header-1", "header_value_1")]).unwrap(),
            "630b4bfe7e9abd03da2eee8f0a5d4e60a254ec880a839bcc2223bb5b9443e8ef24d58f0254f1f5934bf8c017ebd0fd5b1acf86766bdbe74185e712a4092df3ed"
        );
        assert_eq!(
            canon_x_duo_headers(&[("x-duo-A", "header_value_1"), ("X-Duo-B", "header_value_2")])
                .unwrap(),
            "60be11a30e0756f2ee2afdce1db849b987dcf86c1133394bd7bbbc9877920330c4d78aceacbb377ab8cbd9a8efe6a410fed4047376635ac71226ab46ca10d2b1"
        );
        // Order of the input does not matter.
        assert_eq!(
            canon_x_duo_headers(&[("X-Duo-B", "header_value_2"), ("x-duo-A", "header_value_1")])
                .unwrap(),
            "60be11a30e0756f2ee2afdce1db849b987dcf86c1133394bd7bbbc9877920330c4d78aceacbb377ab8cbd9a8efe6a410fed4047376635ac71226ab46ca10d2b1"
        );
        assert_eq!(canon_x_duo_headers(&[]).unwrap(), EMPTY_SHA512);
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

    /// Reference §9.4 and §9.7.
    #[test]
    fn body_hash_vectors() {
        assert_eq!(sha512_hex(b""), EMPTY_SHA512);
        assert_eq!(
            sha512_hex(b"{}"),
            "27c74670adb75075fad058d5ceaf7b20c4e7786c83bae8a32f626f9782af34c9a33c2046ef60fd2a7878d378e29fec851806bbd9a67878f3a9f1cda4830763fd"
        );
        assert_eq!(
            sha512_hex(br#"{"alpha":["a","b","c","d"],"data":"abc123","info":{"another":2,"test":1}}"#),
            "c30ca4ffc7fe4272aa6ae7a3c94cf71c11ed8ae7aaa32e81a401a59f1cef0866ccb02304380cdc48a813b1566c457653fa62736022f0cfeadcec8cd7c6233480"
        );
    }
}
