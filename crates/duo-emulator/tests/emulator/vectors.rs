//! The reference's official test vectors (section 9), from the shared `src/vectors.json`,
//! replayed as real HTTP requests: the emulator is configured with the vector's keys and
//! host and its clock is skewed to the vector's date, then the vector's exact
//! Authorization header must verify — and stop verifying once one signed byte changes.

use duo_emulator::vectors::{self, SignedRequest};
use duo_emulator::{DuoEmulator, EmulatorConfig, EmulatorKeys, SignatureVersion};

use crate::common::{basic, now, read, Reply};

async fn emulator(vector: &SignedRequest) -> DuoEmulator {
    let keys = EmulatorKeys {
        admin_ikey: "DIUNUSEDADMIN0000000".to_owned(),
        admin_skey: "unused".to_owned(),
        auth_ikey: "DIUNUSEDAUTH00000000".to_owned(),
        auth_skey: "unused".to_owned(),
    };
    let emu = DuoEmulator::start_with(EmulatorConfig {
        keys,
        api_host: vector.host.clone(),
    })
    .await;
    // The vectors' paths are neither /admin nor /auth: any known ikey may sign them.
    emu.add_integration(
        duo_emulator::IntegrationKind::Admin,
        &vector.ikey,
        &vector.skey,
    );
    emu.set_clock_skew(vector.date_unix - now());
    emu
}

/// Sends the vector's wire request with this Authorization, `change` applied to the
/// (query, body, headers) first.
async fn send(
    emu: &DuoEmulator,
    vector: &SignedRequest,
    authorization: &str,
    change: impl FnOnce(&mut String, &mut String, &mut Vec<(String, String)>),
) -> Reply {
    let mut query = vector.wire.query.clone();
    let mut body = vector.wire.body.clone();
    let mut headers: Vec<(String, String)> = vec![
        ("Authorization".to_owned(), authorization.to_owned()),
        (vector.date_header.clone(), vector.date.clone()),
    ];
    headers.extend(vector.x_duo_headers.iter().cloned());
    headers.extend(vector.wire.unsigned_headers.iter().cloned());
    if let Some(content_type) = &vector.wire.content_type {
        headers.push(("Content-Type".to_owned(), content_type.clone()));
    }
    change(&mut query, &mut body, &mut headers);
    let target = if query.is_empty() {
        format!("{}{}", emu.base_url(), vector.path)
    } else {
        format!("{}{}?{query}", emu.base_url(), vector.path)
    };
    // The method goes out in the vector's case (9.5 sends `PoSt`); the signature
    // upper-cases it.
    let mut request = reqwest::Client::new().request(
        reqwest::Method::from_bytes(vector.method.as_bytes()).unwrap(),
        target,
    );
    for (name, value) in &headers {
        request = request.header(name, value);
    }
    if !body.is_empty() {
        request = request.body(body);
    }
    read(request.send().await.unwrap()).await
}

/// The request got past the signature check (and then hit an unknown path: 404/40401).
fn assert_verified(emu: &DuoEmulator, reply: &Reply, version: SignatureVersion, id: &str) {
    let log = emu.request_log();
    let last = log.last().unwrap();
    assert_eq!(
        last.signature_valid,
        Some(true),
        "{id}: {last:?} {:?}",
        reply.body
    );
    assert_eq!(last.signature_version, Some(version), "{id}");
    assert_eq!(reply.status, 404, "{id}: {:?}", reply.body);
    assert_eq!(reply.code(), Some(40401), "{id}");
}

fn assert_refused(reply: &Reply, id: &str) {
    assert_eq!((reply.status, reply.code()), (401, Some(40103)), "{id}");
}

#[tokio::test]
async fn every_signed_vector_verifies() {
    let vectors = vectors::load().unwrap();
    let mut replayed = 0;
    for vector in vectors.requests.iter().filter(|r| !r.signatures.is_empty()) {
        let emu = emulator(vector).await;
        for signature in &vector.signatures {
            if let Some(hmac) = &signature.hmac {
                assert_eq!(
                    signature.authorization,
                    basic(&vector.ikey, hmac),
                    "{}",
                    vector.id
                );
            }
            let reply = send(&emu, vector, &signature.authorization, |_, _, _| {}).await;
            let version = signature.signature_version().unwrap();
            assert_verified(&emu, &reply, version, &vector.id);
            replayed += 1;
        }
    }
    // 9.1, 9.2, 9.3, both digests of 9.5 and the five of 9.8.
    assert_eq!(replayed, 10);
}

#[tokio::test]
async fn a_changed_parameter_breaks_a_v2_signature() {
    let vectors = vectors::load().unwrap();
    let vector = vectors.request("9.2").unwrap();
    let emu = emulator(vector).await;
    let auth = &vector.signatures[0].authorization;
    let reply = send(&emu, vector, auth, |_, body, _| {
        *body = body.replace("username=root", "username=admin");
    })
    .await;
    assert_refused(&reply, &vector.id);
}

#[tokio::test]
async fn a_body_differing_by_one_byte_breaks_a_v5_signature() {
    let vectors = vectors::load().unwrap();
    let vector = vectors.request("9.3").unwrap();
    let emu = emulator(vector).await;
    let auth = &vector.signatures[0].authorization;
    let reply = send(&emu, vector, auth, |_, body, _| {
        *body = body.replacen(':', ": ", 1);
    })
    .await;
    assert_refused(&reply, &vector.id);
}

#[tokio::test]
async fn dropping_a_signed_x_duo_header_breaks_it_and_an_unsigned_one_does_not() {
    let vectors = vectors::load().unwrap();
    let vector = vectors.request("9.8e").unwrap();
    let emu = emulator(vector).await;
    let auth = &vector.signatures[0].authorization;
    let reply = send(&emu, vector, auth, |_, _, headers| {
        headers.retain(|(name, _)| name != "non-duo-bar");
    })
    .await;
    assert_verified(&emu, &reply, SignatureVersion::V5, &vector.id);
    let reply = send(&emu, vector, auth, |_, _, headers| {
        headers.retain(|(name, _)| name != "x-duo-bar");
    })
    .await;
    assert_refused(&reply, &vector.id);
}
