//! Fault injection: rate limits, server errors, slowness, path filters.

use std::time::{Duration, Instant};

use duo_emulator::{DuoEmulator, Fault};

use crate::common::{admin, get, keys, read};

#[tokio::test]
async fn rate_limited_then_recovers() {
    let emu = DuoEmulator::start(keys()).await;
    let a = admin(&keys());
    emu.fail_next(2, Fault::RateLimited);
    for _ in 0..2 {
        let reply = get(&emu, &a, "/admin/v1/users", &[]).await;
        assert_eq!((reply.status, reply.code()), (429, Some(42901)));
        assert_eq!(reply.body["message"], "Too Many Requests");
        assert!(reply.headers.get("retry-after").is_none());
    }
    assert_eq!(get(&emu, &a, "/admin/v1/users", &[]).await.status, 200);
    let log = emu.request_log();
    assert_eq!(log.len(), 3);
    assert_eq!(log[0].fault, Some(Fault::RateLimited));
    assert_eq!(log[0].signature_valid, None);
    assert_eq!(log[2].fault, None);
    assert_eq!(log[2].signature_valid, Some(true));
}

#[tokio::test]
async fn server_errors() {
    let emu = DuoEmulator::start(keys()).await;
    let a = admin(&keys());
    emu.fail_next(1, Fault::ServerError);
    emu.fail_next(1, Fault::ServiceUnavailable);
    let reply = get(&emu, &a, "/admin/v1/users", &[]).await;
    assert_eq!((reply.status, reply.code()), (500, Some(50001)));
    let reply = get(&emu, &a, "/admin/v1/users", &[]).await;
    assert_eq!(reply.status, 503);
    assert!(reply.body.is_string(), "503 carries no JSON envelope");
    assert_eq!(emu.pending_faults(), 0);
}

#[tokio::test]
async fn slow_and_path_filtered() {
    let emu = DuoEmulator::start(keys()).await;
    let a = admin(&keys());
    emu.fail_next(1, Fault::Slow(Duration::from_millis(300)));
    let started = Instant::now();
    let reply = get(&emu, &a, "/admin/v1/users", &[]).await;
    assert_eq!(reply.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));

    emu.fail_next_on("/auth/", 1, Fault::RateLimited);
    assert_eq!(get(&emu, &a, "/admin/v1/users", &[]).await.status, 200);
    let ping = read(
        reqwest::get(format!("{}/auth/v2/ping", emu.base_url()))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(ping.status, 429);
    emu.fail_next(3, Fault::RateLimited);
    emu.clear_faults();
    assert_eq!(get(&emu, &a, "/admin/v1/users", &[]).await.status, 200);
}

#[tokio::test]
async fn a_scripted_answer_replaces_the_reply() {
    let emu = DuoEmulator::start(keys()).await;
    let a = admin(&keys());
    let fault = Fault::Answer {
        status: 200,
        body: "not Duo's envelope".to_owned(),
    };
    emu.fail_next_on("/admin/v1/users", 1, fault.clone());
    let reply = get(&emu, &a, "/admin/v1/users", &[]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, "not Duo's envelope");
    let log = emu.request_log();
    assert_eq!(log[0].fault, Some(fault));
    assert_eq!((log[0].signature_valid, log[0].error_code), (None, None));
    // Used once: the next request is answered normally.
    assert_eq!(
        get(&emu, &a, "/admin/v1/users", &[]).await.body["stat"],
        "OK"
    );
}

#[tokio::test]
async fn shutdown_stops_serving() {
    let emu = DuoEmulator::start(keys()).await;
    let url = format!("{}/auth/v2/ping", emu.base_url());
    assert!(reqwest::get(&url).await.is_ok());
    emu.shutdown().await;
    assert!(reqwest::Client::new().get(&url).send().await.is_err());
    emu.shutdown().await;
}
