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

use super::{
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
    use time::macros::datetime;

    use super::*;

    const DOC_IKEY: &str = "DIWJ8X6AEYOR5OMC6TQ1";
    const DOC_SKEY: &str = "Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep";
    const DOC_DATE: &str = "Tue, 21 Aug 2012 17:29:18 -0000";

    fn doc_canonical(host: &str) -> Zeroizing<String> {
        canonical_v2(
            DOC_DATE,
            "POST",
            host,
            "/accounts/v1/account/list",
            &[("realname", "First Last"), ("username", "root")],
        )
    }

    /// Reference §9.1: Duo's documentation example, v2 + HMAC-SHA1.
    #[test]
    fn v2_sha1_documentation_vector() {
        let canonical = doc_canonical("api-xxxxxxxx.duosecurity.com");
        assert_eq!(
            canonical.as_str(),
            "Tue, 21 Aug 2012 17:29:18 -0000\nPOST\napi-xxxxxxxx.duosecurity.com\n\
             /accounts/v1/account/list\nrealname=First%20Last&username=root"
        );
        let skey = Secret::new(DOC_SKEY);
        assert_eq!(
            hmac_hex(&skey, &canonical, HmacDigest::Sha1).unwrap(),
            "2d97d6166319781b5a3a07af39d366f491234edc"
        );
        assert_eq!(
            authorization(DOC_IKEY, &skey, &canonical, HmacDigest::Sha1)
                .unwrap()
                .as_str(),
            "Basic RElXSjhYNkFFWU9SNU9NQzZUUTE6MmQ5N2Q2MTY2MzE5NzgxYjVhM2EwN2FmMzlkMzY2ZjQ5MTIzNGVkYw=="
        );
    }

    /// Reference §9.2: the same request with HMAC-SHA512 (Go `TestSign`, uppercase host).
    #[test]
    fn v2_sha512_vector() {
        let canonical = doc_canonical("api-XXXXXXXX.duosecurity.com");
        assert_eq!(
            authorization(DOC_IKEY, &Secret::new(DOC_SKEY), &canonical, HmacDigest::Sha512)
                .unwrap()
                .as_str(),
            "Basic RElXSjhYNkFFWU9SNU9NQzZUUTE6MWJmZmI4OTI0MzQ4ZjdkYjdkYTllN2Q3ZDc0OWRlZDkzYWFmZDAyZDhlOTA0OTYwZGE3Yjk2YzU3NTEwMjIwMTg1YTY0YTI4MjdlZThmMjRhYzVkMzA4MDJhOWVlOTdlNTlkZTQ0YjMwNGIxODI0MmYwZDU5NmQxNWE4MTIyYWY="
        );
    }

    /// Reference §9.5: unicode keys and values, v2 with both digests. The reference gives
    /// the expected HMACs but not the four params; these are the ones the HMACs confirm.
    #[test]
    fn v2_unicode_vector() {
        let params = [
            (
                "\u{469a}\u{287b}\u{35d0}\u{8ef3}\u{6727}\u{502a}\u{0810}\u{d091}\u{c8}\u{c170}",
                "\u{0f45}\u{1a76}\u{341a}\u{654c}\u{c23f}\u{9b09}\u{abe2}\u{8343}\u{1b27}\u{60d0}",
            ),
            (
                "\u{7449}\u{7e4b}\u{ccfb}\u{59ff}\u{fe5f}\u{83b7}\u{adcc}\u{900c}\u{cfd1}\u{7813}",
                "\u{8db7}\u{5022}\u{92d3}\u{42ef}\u{207d}\u{8730}\u{acfe}\u{5617}\u{0946}\u{4e30}",
            ),
            (
                "\u{7470}\u{9314}\u{901c}\u{9eae}\u{40d8}\u{4201}\u{82d8}\u{8c70}\u{1d31}\u{a042}",
                "\u{17d9}\u{0ba8}\u{9358}\u{aadf}\u{a42a}\u{48be}\u{fb96}\u{6fe9}\u{b7ff}\u{32f3}",
            ),
            (
                "\u{c2c5}\u{2c1d}\u{2620}\u{3617}\u{96b3}F\u{8605}\u{20e8}\u{ac21}\u{5934}",
                "\u{fba9}\u{41aa}\u{bd83}\u{840b}\u{2615}\u{3e6e}\u{652d}\u{a8b5}\u{d56b}U",
            ),
        ];
        let canonical = canonical_v2(
            "Fri, 07 Dec 2012 17:18:00 -0000",
            "PoSt",
            "foO.BAr52.cOm",
            "/Foo/BaR2/qux",
            &params,
        );
        assert!(canonical.starts_with(
            "Fri, 07 Dec 2012 17:18:00 -0000\nPOST\nfoo.bar52.com\n/Foo/BaR2/qux\n%E4%9A%9A"
        ));
        let skey = Secret::new("gtdfxv9YgVBYcF6dl2Eq17KUQJN2PLM2ODVTkvoT");
        assert_eq!(
            hmac_hex(&skey, &canonical, HmacDigest::Sha1).unwrap(),
            "f01811cbbf9561623ab45b893096267fd46a5178"
        );
        assert_eq!(
            hmac_hex(&skey, &canonical, HmacDigest::Sha512).unwrap(),
            "0508065035a03b2a1de2f453e629e791d180329e157f65df6b3e0f08299d4321e1c5c7a7c7ee6b9e5fc80d1fb6fbf3ad5eb7c44dd3b3985a02c37aca53ec3698"
        );
        assert_eq!(
            authorization("test_ikey", &skey, &canonical, HmacDigest::Sha512)
                .unwrap()
                .as_str(),
            "Basic dGVzdF9pa2V5OjA1MDgwNjUwMzVhMDNiMmExZGUyZjQ1M2U2MjllNzkxZDE4MDMyOWUxNTdmNjVkZjZiM2UwZjA4Mjk5ZDQzMjFlMWM1YzdhN2M3ZWU2YjllNWZjODBkMWZiNmZiZjNhZDVlYjdjNDRkZDNiMzk4NWEwMmMzN2FjYTUzZWMzNjk4"
        );
    }

    /// Reference §9.3: v5 with query params and a JSON body (Go `TestSignV5`).
    #[test]
    fn v5_vector() {
        let canonical = canonical_v5(
            DOC_DATE,
            "POST",
            "api-XXXXXXXX.duosecurity.com",
            "/accounts/v1/account/list",
            &[("realname", "First Last")],
            br#"{"txid":"f22b1678-252a-4070-b176-0ca2be7319fd"}"#,
            &[],
        )
        .unwrap();
        assert_eq!(
            authorization(DOC_IKEY, &Secret::new(DOC_SKEY), &canonical, HmacDigest::Sha512)
                .unwrap()
                .as_str(),
            "Basic RElXSjhYNkFFWU9SNU9NQzZUUTE6NzhmNDMyN2Y4MzExNzNjYzc4ZDA5MDdlOTEzZTNjNWEyOGZlNzJkZDQ1NDVhMzQyNTg2YmI2NzE4MWYyYmEzOTNkMjA5MTFlODcwMzYyZjZmYWJhM2RjNmY3ZTlkYjVlOTNhZWQyZjNiZmMxMTBjNmRhZGFmZjRkYzYxNzllMGI="
        );
    }

    /// Reference §9.4: the v5 canonical string line by line (Go `TestCanonicalizeV5`).
    #[test]
    fn v5_canonical_vector() {
        let canonical = canonical_v5(
            "Fri, 07 Dec 2012 17:18:00 -0000",
            "post",
            "FOO.example.CoM",
            "/Foo/BaR2/qux",
            &[("username", "H ell?o")],
            br#"{"activation_code":"duo://x1bTAIQGWXppdi2ctPVn-YXBpLWR1bzEuZHVvLnRlc3Q","user_id":"DU439XKOX2W6LMYHWLEV"}"#,
            &[],
        )
        .unwrap();
        let lines: Vec<&str> = canonical.split('\n').collect();
        assert_eq!(
            lines,
            [
                "Fri, 07 Dec 2012 17:18:00 -0000",
                "POST",
                "foo.example.com",
                "/Foo/BaR2/qux",
                "username=H%20ell%3Fo",
                "9ddab7d898836a76fafbb0dcef7bc83f14036b39bbb1ebbe43044f7c76338fa699eba8f0d3ecb329a084f32ef23c8a1609efad25032923b651e6f3f6d2f7b773",
                "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
            ]
        );
    }

    /// Reference §9.8: full v5 with `x-duo-date` in the signed headers (duo_hmac_python).
    #[test]
    fn v5_with_x_duo_date_vectors() {
        let ikey = "DIABCDEFGHIJKLMNOPQR";
        let skey = Secret::new("testtesttesttesttesttesttesttesttesttest");
        let host = "api-xxxxxxxx.duosecurity.com";
        let date = "Fri, 24 May 2024 12:00:00 -0000";
        let sign = |method: &str,
                    params: &[(&str, &str)],
                    body: &[u8],
                    extra: &[(&str, &str)]|
         -> String {
            let mut headers = vec![("x-duo-date", date)];
            headers.extend_from_slice(extra);
            let canonical =
                canonical_v5(date, method, host, "/api/path", params, body, &headers).unwrap();
            authorization(ikey, &skey, &canonical, HmacDigest::Sha512)
                .unwrap()
                .to_string()
        };
        assert_eq!(
            sign("GET", &[], b"", &[]),
            "Basic RElBQkNERUZHSElKS0xNTk9QUVI6YzQ1NDYzOWQ3NWI0ZTNkOTliOGIxZDVlNDFjZDdiYjJkMmQ4YmE1NWY2ODExZjc4NmRmYjBlZGQ0ZmFjZDJmM2E1ZTZkNmM4MzdmMzFmNjgyNjcwNjMyNWI0ZWQ3ZGNkYzVmMTExNjQ5NDhlNTdhNzAzMmE1MjQ5OTBlMDE1ODM="
        );
        assert_eq!(
            sign("POST", &[], b"{}", &[]),
            "Basic RElBQkNERUZHSElKS0xNTk9QUVI6MTJhMDVkNzgzYjJlNThlMzZmMzdkZjhhNjkwNzgzNTQ5NmZiZTIwZmIzZDA0YjE1MDM2YzgyYjE2OTRmYzU4ZDFjMDQ1MWI5MzdmYjliYTZlN2MyYjQ0ZDg5YjQ3M2FmNzA4MTY2MTgzZDIxNmFlYTEzZTUyNzQyYTU3ZjIzOWY="
        );
        assert_eq!(
            sign("GET", &[("foo", "bar")], b"", &[]),
            "Basic RElBQkNERUZHSElKS0xNTk9QUVI6ODhmZTgwZjNiMjQyYjk5MmY0YjMwMTQwOGQ1MjRhODg2Mjc0ZDNlZDBjNGM3YmQxODRlMWI0ZmYzNzhlNjhlYTA1ZDk0MzNjMDk5MzgwNzhjNDk1MTdhNmM0MjY0Yzk1MGJlOWZmNWNjMjhhZDJkNDQ4Y2VhMjRiYzkzODg3Y2E="
        );
        assert_eq!(
            sign("POST", &[], br#"{"foo":"bar"}"#, &[]),
            "Basic RElBQkNERUZHSElKS0xNTk9QUVI6NjQzNzcwYWYzMTAwNmM1ODRhNzU4ZDkyNjI1MGU0NmE5MGQ3OTEwMGQyMWY3YTAzMTNjM2U3N2Q2NGZhM2M1ZDJjOTRlMmM5MDgxYTJiNjUzNDNjYzNkNWYyZWQyMWY3MzAwZWE1MGIwMDY0MGNiMTc2MGYzMjMxOTIzMDdkMzc="
        );
        // The non-Duo header is sent but not signed, so it is not passed here.
        assert_eq!(
            sign(
                "GET",
                &[("foo", "bar"), ("one", "1"), ("bool", "true")],
                b"",
                &[("x-duo-foo", "bar"), ("x-duo-bar", "foo")],
            ),
            "Basic RElBQkNERUZHSElKS0xNTk9QUVI6ZDQ2NTU2NzI2ODAwNDE1ZGM3OGNlZmMzZmI0ZTExZGNmM2VlMTM0MjkwNGYyNzZlZDVjOGUzNDI3ODc4YmQ1Mzc2ZWE2YzU1NTFiOTBiZjcwN2ZhYjUzZjZmMWQyMGExMTQ4OTg4OTg3MDVkMjgyNjg4MjRlZGQwYmU1ZjFkNTM="
        );
    }

    #[test]
    fn the_date_is_rfc_2822_in_utc() {
        assert_eq!(
            http_date(datetime!(2012-08-21 19:29:18 +02:00)).unwrap(),
            "Tue, 21 Aug 2012 17:29:18 +0000"
        );
    }
}
