//! Resyncing a code-generating token (grace's demo token uses RFC 4226's test key).

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{
    on_both_databases,
    support::{expect_problem, Backend, TestService},
};
use recovery_server::otp::{hotp, OtpSecret};

on_both_databases!(
    a_token_resyncs_from_consecutive_codes,
    bad_resyncs_change_nothing
);

const GRACE: (&str, &str, &str, &str) = ("grace", "nanosecond-wire-30cm", "1976-12-09", "135790");

fn code(counter: u64) -> String {
    hotp(
        &OtpSecret::from_bytes(b"12345678901234567890".to_vec()),
        counter,
    )
}

async fn grace(service: &TestService) -> (String, String) {
    let session: Value = service
        .sign_in(GRACE.0, GRACE.1, GRACE.2, GRACE.3)
        .await
        .json()
        .await
        .unwrap();
    let token = session["token"].as_str().unwrap().to_owned();
    let devices: Value = service
        .get_with("/v1/me/authenticators", &token)
        .await
        .json()
        .await
        .unwrap();
    let id = devices["authenticators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "hardware_token")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (token, id)
}

async fn resync(service: &TestService, token: &str, id: &str, codes: Value) -> reqwest::Response {
    service
        .http
        .post(service.url(&format!("/v1/me/hardware-tokens/{id}/resync")))
        .bearer_auth(token)
        .json(&json!({ "codes": codes }))
        .send()
        .await
        .unwrap()
}

async fn a_token_resyncs_from_consecutive_codes(backend: Backend) {
    let service = TestService::start(backend).await;
    let (token, id) = grace(&service).await;
    // The token was pressed 500 times away from the service: sign-in with it fails.
    let drifted = service
        .sign_in_with_passcode(GRACE.0, GRACE.1, &code(500))
        .await;
    expect_problem(drifted, 401, "verification_failed").await;
    let response = resync(
        &service,
        &token,
        &id,
        json!([code(501), code(502), code(503)]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["kind"], "hardware_token");
    let next = service
        .sign_in_with_passcode(GRACE.0, GRACE.1, &code(504))
        .await;
    assert_eq!(next.status(), StatusCode::CREATED, "in step again");
    // That sign-in ended the older session: the replay comes with the new one.
    let next: Value = next.json().await.unwrap();
    let token = next["token"].as_str().unwrap().to_owned();
    let replay = resync(&service, &token, &id, json!([code(501), code(502)])).await;
    expect_problem(replay, 422, "resync_failed").await;
    let notices = service.outbox().await;
    assert!(notices.iter().any(|m| m.body.contains("was resynced")));
    assert!(service
        .audit()
        .await
        .iter()
        .any(|r| r.event == "hardware_token_resynced"));
    service.stop().await;
}

async fn bad_resyncs_change_nothing(backend: Backend) {
    let service = TestService::start(backend).await;
    let (token, id) = grace(&service).await;
    for codes in [
        json!([code(1)]),
        json!([code(1), code(2), code(3), code(4)]),
        json!(["12345a", "123456"]),
        json!("123456"),
    ] {
        let problem = expect_problem(
            resync(&service, &token, &id, codes).await,
            422,
            "invalid_field",
        )
        .await;
        assert_eq!(problem["field"], "codes");
    }
    expect_problem(
        resync(&service, &token, &id, json!([code(5), code(7)])).await,
        422,
        "resync_failed",
    )
    .await;
    expect_problem(
        resync(&service, &token, &id, json!([code(1500), code(1501)])).await,
        422,
        "resync_failed",
    )
    .await;
    let ada = service.ada_token().await;
    expect_problem(
        resync(&service, &ada, &id, json!([code(1), code(2)])).await,
        404,
        "not_found",
    )
    .await;
    // Nothing moved: the token's first code still signs in.
    let first = service
        .sign_in_with_passcode(GRACE.0, GRACE.1, &code(0))
        .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    service.stop().await;
}
