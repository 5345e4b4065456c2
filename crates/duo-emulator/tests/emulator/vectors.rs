//! The reference's official test vectors (section 9), replayed as real HTTP requests: the
//! emulator is configured with the vector's keys and host and its clock is skewed to the
//! vector's date, then the vector's exact Authorization header must verify.

use duo_emulator::{DuoEmulator, EmulatorConfig, EmulatorKeys, SignatureVersion};

use crate::common::{basic, now, read, Reply};

async fn emulator(ikey: &str, skey: &str, host: &str, date_unix: i64) -> DuoEmulator {
    let keys = EmulatorKeys {
        admin_ikey: "DIUNUSEDADMIN0000000".to_owned(),
        admin_skey: "unused".to_owned(),
        auth_ikey: "DIUNUSEDAUTH00000000".to_owned(),
        auth_skey: "unused".to_owned(),
    };
    let emu = DuoEmulator::start_with(EmulatorConfig {
        keys,
        api_host: host.to_owned(),
    })
    .await;
    // The vector's paths are neither /admin nor /auth: any known ikey may sign them.
    emu.add_integration(duo_emulator::IntegrationKind::Admin, ikey, skey);
    emu.set_clock_skew(date_unix - now());
    emu
}

async fn raw(
    emu: &DuoEmulator,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Reply {
    let client = reqwest::Client::new();
    let mut request = client.request(
        reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
        format!("{}{}", emu.base_url(), path_and_query),
    );
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.body(body.to_owned());
    }
    read(request.send().await.unwrap()).await
}

/// The request got past the signature check (and then hit an unknown path: 404/40401).
fn assert_verified(emu: &DuoEmulator, reply: &Reply, version: SignatureVersion) {
    let log = emu.request_log();
    let last = log.last().unwrap();
    assert_eq!(
        last.signature_valid,
        Some(true),
        "{last:?} {:?}",
        reply.body
    );
    assert_eq!(last.signature_version, Some(version));
    assert_eq!(reply.status, 404, "{:?}", reply.body);
    assert_eq!(reply.code(), Some(40401));
}

const DOC_IKEY: &str = "DIWJ8X6AEYOR5OMC6TQ1";
const DOC_SKEY: &str = "Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep";
const DOC_DATE: &str = "Tue, 21 Aug 2012 17:29:18 -0000";
const DOC_DATE_UNIX: i64 = 1_345_570_158;

#[tokio::test]
async fn vector_1_doc_example_v2_sha1() {
    let emu = emulator(
        DOC_IKEY,
        DOC_SKEY,
        "api-xxxxxxxx.duosecurity.com",
        DOC_DATE_UNIX,
    )
    .await;
    let auth = "Basic RElXSjhYNkFFWU9SNU9NQzZUUTE6MmQ5N2Q2MTY2MzE5NzgxYjVhM2EwN2FmMzlkMzY2ZjQ5MTIzNGVkYw==";
    assert_eq!(
        auth,
        basic(DOC_IKEY, "2d97d6166319781b5a3a07af39d366f491234edc")
    );
    // Python's urlencode puts `+` for the space on the wire; the signature covers %20.
    let reply = raw(
        &emu,
        "POST",
        "/accounts/v1/account/list",
        &[
            ("Authorization", auth),
            ("Date", DOC_DATE),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        Some("username=root&realname=First+Last"),
    )
    .await;
    assert_verified(&emu, &reply, SignatureVersion::V2Sha1);
}

#[tokio::test]
async fn vector_2_doc_example_v2_sha512() {
    let emu = emulator(
        DOC_IKEY,
        DOC_SKEY,
        "api-XXXXXXXX.duosecurity.com",
        DOC_DATE_UNIX,
    )
    .await;
    let auth = "Basic RElXSjhYNkFFWU9SNU9NQzZUUTE6MWJmZmI4OTI0MzQ4ZjdkYjdkYTllN2Q3ZDc0OWRlZDkzYWFmZDAyZDhlOTA0OTYwZGE3Yjk2YzU3NTEwMjIwMTg1YTY0YTI4MjdlZThmMjRhYzVkMzA4MDJhOWVlOTdlNTlkZTQ0YjMwNGIxODI0MmYwZDU5NmQxNWE4MTIyYWY=";
    let reply = raw(
        &emu,
        "POST",
        "/accounts/v1/account/list",
        &[
            ("Authorization", auth),
            ("Date", DOC_DATE),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        Some("realname=First%20Last&username=root"),
    )
    .await;
    assert_verified(&emu, &reply, SignatureVersion::V2Sha512);

    // The same header with one parameter changed no longer verifies.
    let reply = raw(
        &emu,
        "POST",
        "/accounts/v1/account/list",
        &[
            ("Authorization", auth),
            ("Date", DOC_DATE),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        Some("realname=First%20Last&username=admin"),
    )
    .await;
    assert_eq!((reply.status, reply.code()), (401, Some(40103)));
}

#[tokio::test]
async fn vector_3_v5_with_json_body() {
    let emu = emulator(
        DOC_IKEY,
        DOC_SKEY,
        "api-xxxxxxxx.duosecurity.com",
        DOC_DATE_UNIX,
    )
    .await;
    let auth = "Basic RElXSjhYNkFFWU9SNU9NQzZUUTE6NzhmNDMyN2Y4MzExNzNjYzc4ZDA5MDdlOTEzZTNjNWEyOGZlNzJkZDQ1NDVhMzQyNTg2YmI2NzE4MWYyYmEzOTNkMjA5MTFlODcwMzYyZjZmYWJhM2RjNmY3ZTlkYjVlOTNhZWQyZjNiZmMxMTBjNmRhZGFmZjRkYzYxNzllMGI=";
    let reply = raw(
        &emu,
        "POST",
        "/accounts/v1/account/list?realname=First%20Last",
        &[
            ("Authorization", auth),
            ("Date", DOC_DATE),
            ("Content-Type", "application/json"),
        ],
        Some(r#"{"txid":"f22b1678-252a-4070-b176-0ca2be7319fd"}"#),
    )
    .await;
    assert_verified(&emu, &reply, SignatureVersion::V5);

    // A body differing by one byte changes the body hash.
    let reply = raw(
        &emu,
        "POST",
        "/accounts/v1/account/list?realname=First%20Last",
        &[
            ("Authorization", auth),
            ("Date", DOC_DATE),
            ("Content-Type", "application/json"),
        ],
        Some(r#"{"txid": "f22b1678-252a-4070-b176-0ca2be7319fd"}"#),
    )
    .await;
    assert_eq!((reply.status, reply.code()), (401, Some(40103)));
}

#[tokio::test]
async fn vector_5_unicode_params_v2() {
    let emu = emulator(
        "test_ikey",
        "gtdfxv9YgVBYcF6dl2Eq17KUQJN2PLM2ODVTkvoT",
        "foO.BAr52.cOm",
        1_354_900_680,
    )
    .await;
    let params: [(&str, &str); 4] = [
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
    let body = crate::common::canon(&params);
    let date = "Fri, 07 Dec 2012 17:18:00 -0000";
    let sha512 = "Basic dGVzdF9pa2V5OjA1MDgwNjUwMzVhMDNiMmExZGUyZjQ1M2U2MjllNzkxZDE4MDMyOWUxNTdmNjVkZjZiM2UwZjA4Mjk5ZDQzMjFlMWM1YzdhN2M3ZWU2YjllNWZjODBkMWZiNmZiZjNhZDVlYjdjNDRkZDNiMzk4NWEwMmMzN2FjYTUzZWMzNjk4";
    let sha1 = basic("test_ikey", "f01811cbbf9561623ab45b893096267fd46a5178");
    for (auth, version) in [
        (sha512, SignatureVersion::V2Sha512),
        (sha1.as_str(), SignatureVersion::V2Sha1),
    ] {
        // The method is sent in the vector's mixed case; the canonical string upper-cases it.
        let reply = raw(
            &emu,
            "PoSt",
            "/Foo/BaR2/qux",
            &[
                ("Authorization", auth),
                ("Date", date),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            Some(&body),
        )
        .await;
        assert_verified(&emu, &reply, version);
    }
}

const V8_IKEY: &str = "DIABCDEFGHIJKLMNOPQR";
const V8_SKEY: &str = "testtesttesttesttesttesttesttesttesttest";
const V8_DATE: &str = "Fri, 24 May 2024 12:00:00 -0000";

#[tokio::test]
async fn vector_8_v5_with_x_duo_date() {
    let emu = emulator(
        V8_IKEY,
        V8_SKEY,
        "api-xxxxxxxx.duosecurity.com",
        1_716_552_000,
    )
    .await;
    let cases: [(&str, &str, Option<&str>, &str); 4] = [
        ("GET", "/api/path", None, "Basic RElBQkNERUZHSElKS0xNTk9QUVI6YzQ1NDYzOWQ3NWI0ZTNkOTliOGIxZDVlNDFjZDdiYjJkMmQ4YmE1NWY2ODExZjc4NmRmYjBlZGQ0ZmFjZDJmM2E1ZTZkNmM4MzdmMzFmNjgyNjcwNjMyNWI0ZWQ3ZGNkYzVmMTExNjQ5NDhlNTdhNzAzMmE1MjQ5OTBlMDE1ODM="),
        ("POST", "/api/path", Some("{}"), "Basic RElBQkNERUZHSElKS0xNTk9QUVI6MTJhMDVkNzgzYjJlNThlMzZmMzdkZjhhNjkwNzgzNTQ5NmZiZTIwZmIzZDA0YjE1MDM2YzgyYjE2OTRmYzU4ZDFjMDQ1MWI5MzdmYjliYTZlN2MyYjQ0ZDg5YjQ3M2FmNzA4MTY2MTgzZDIxNmFlYTEzZTUyNzQyYTU3ZjIzOWY="),
        ("GET", "/api/path?foo=bar", None, "Basic RElBQkNERUZHSElKS0xNTk9QUVI6ODhmZTgwZjNiMjQyYjk5MmY0YjMwMTQwOGQ1MjRhODg2Mjc0ZDNlZDBjNGM3YmQxODRlMWI0ZmYzNzhlNjhlYTA1ZDk0MzNjMDk5MzgwNzhjNDk1MTdhNmM0MjY0Yzk1MGJlOWZmNWNjMjhhZDJkNDQ4Y2VhMjRiYzkzODg3Y2E="),
        ("POST", "/api/path", Some(r#"{"foo":"bar"}"#), "Basic RElBQkNERUZHSElKS0xNTk9QUVI6NjQzNzcwYWYzMTAwNmM1ODRhNzU4ZDkyNjI1MGU0NmE5MGQ3OTEwMGQyMWY3YTAzMTNjM2U3N2Q2NGZhM2M1ZDJjOTRlMmM5MDgxYTJiNjUzNDNjYzNkNWYyZWQyMWY3MzAwZWE1MGIwMDY0MGNiMTc2MGYzMjMxOTIzMDdkMzc="),
    ];
    for (method, target, body, auth) in cases {
        let mut headers = vec![("Authorization", auth), ("X-Duo-Date", V8_DATE)];
        if body.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        let reply = raw(&emu, method, target, &headers, body).await;
        assert_verified(&emu, &reply, SignatureVersion::V5);
    }

    // Extra X-Duo headers are hashed into the signature; a non-X-Duo header is not.
    let auth = "Basic RElBQkNERUZHSElKS0xNTk9QUVI6ZDQ2NTU2NzI2ODAwNDE1ZGM3OGNlZmMzZmI0ZTExZGNmM2VlMTM0MjkwNGYyNzZlZDVjOGUzNDI3ODc4YmQ1Mzc2ZWE2YzU1NTFiOTBiZjcwN2ZhYjUzZjZmMWQyMGExMTQ4OTg4OTg3MDVkMjgyNjg4MjRlZGQwYmU1ZjFkNTM=";
    let reply = raw(
        &emu,
        "GET",
        "/api/path?foo=bar&one=1&bool=true",
        &[
            ("Authorization", auth),
            ("X-Duo-Date", V8_DATE),
            ("x-duo-foo", "bar"),
            ("x-duo-bar", "foo"),
            ("non-duo-bar", "anything"),
        ],
        None,
    )
    .await;
    assert_verified(&emu, &reply, SignatureVersion::V5);

    // Dropping one signed X-Duo header breaks it.
    let reply = raw(
        &emu,
        "GET",
        "/api/path?foo=bar&one=1&bool=true",
        &[
            ("Authorization", auth),
            ("X-Duo-Date", V8_DATE),
            ("x-duo-foo", "bar"),
        ],
        None,
    )
    .await;
    assert_eq!((reply.status, reply.code()), (401, Some(40103)));
}
