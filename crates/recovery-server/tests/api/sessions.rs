//! Identify and verify, the passcode path, session lifetime and ending.

use reqwest::StatusCode;
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};

use crate::{
    on_both_databases,
    support::{expect_problem, Backend, TestService, ADA, ADA_DOB, ADA_PASSWORD, ADA_PIN},
};
use recovery_server::{client::Client, clock::Clock, flows, mfa::BypassCodeOrigin};

on_both_databases!(
    date_of_birth_and_pin_open_a_ten_minute_session,
    every_verification_failure_looks_the_same,
    help_desk_passcode_opens_a_session_once,
    session_expires_after_ten_minutes,
    ended_session_token_stops_working,
    authenticators_list_the_persons_devices,
    a_new_sign_in_ends_the_persons_older_sessions,
);

async fn date_of_birth_and_pin_open_a_ten_minute_session(backend: Backend) {
    let service = TestService::start(backend).await;
    let response = service
        .sign_in(" Ada ", ADA_PASSWORD, ADA_DOB, ADA_PIN)
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["person"]["display_name"], "Ada Lovelace");
    let token = body["token"].as_str().unwrap();
    assert!(token.len() >= 43, "a 256-bit token");
    let expires_at = OffsetDateTime::parse(
        body["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let lifetime = expires_at - service.clock.now();
    assert!(lifetime <= Duration::minutes(10) && lifetime > Duration::minutes(9));
    service.stop().await;
}

async fn every_verification_failure_looks_the_same(backend: Backend) {
    let service = TestService::start(backend).await;
    let attempts = [
        ("nobody", ADA_PASSWORD, ADA_DOB, ADA_PIN),
        (ADA, "wrong-password", ADA_DOB, ADA_PIN),
        (ADA, ADA_PASSWORD, "1985-12-11", ADA_PIN),
        (ADA, ADA_PASSWORD, ADA_DOB, "135790"),
    ];
    let mut answers = Vec::new();
    for (username, password, dob, pin) in attempts {
        let response = service.sign_in(username, password, dob, pin).await;
        let status = response.status();
        let mut headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .filter(|(name, _)| *name != "date")
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
            .collect();
        headers.sort();
        let body = response.bytes().await.unwrap();
        answers.push((status, headers, body));
    }
    assert_eq!(answers[0].0, StatusCode::UNAUTHORIZED);
    for answer in &answers[1..] {
        assert_eq!(
            answer, &answers[0],
            "unknown user and wrong secrets must be indistinguishable"
        );
    }
    let bad_passcode = service
        .sign_in_with_passcode(ADA, ADA_PASSWORD, "123456789")
        .await;
    assert_eq!(bad_passcode.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(bad_passcode.bytes().await.unwrap(), answers[0].2);
    service.stop().await;
}

async fn help_desk_passcode_opens_a_session_once(backend: Backend) {
    let service = TestService::start(backend).await;
    let ada = service
        .app
        .directory
        .find_by_username(ADA)
        .await
        .unwrap()
        .unwrap();
    let issued = flows::bypass_code::issue(
        &service.app,
        &Client::admin_cli(),
        &ada,
        BypassCodeOrigin::HelpDesk,
        None,
    )
    .await
    .unwrap();
    let code = issued.code.secret().expose().to_owned();
    let grouped = format!("{} {} {}", &code[..3], &code[3..6], &code[6..]);
    let wrong_password = service.sign_in_with_passcode(ADA, "wrong", &code).await;
    expect_problem(wrong_password, 401, "verification_failed").await;
    let first = service
        .sign_in_with_passcode(ADA, ADA_PASSWORD, &grouped)
        .await;
    assert_eq!(
        first.status(),
        StatusCode::CREATED,
        "typed with spaces, as people copy it"
    );
    let again = service
        .sign_in_with_passcode(ADA, ADA_PASSWORD, &code)
        .await;
    expect_problem(again, 401, "verification_failed").await;
    service.stop().await;
}

async fn session_expires_after_ten_minutes(backend: Backend) {
    let service = TestService::start(backend).await;
    let token = service.ada_token().await;
    service
        .clock
        .advance(Duration::minutes(9) + Duration::seconds(59));
    let still = service.get_with("/v1/me/authenticators", &token).await;
    assert_eq!(still.status(), StatusCode::OK);
    service.clock.advance(Duration::seconds(1));
    let expired = service.get_with("/v1/me/authenticators", &token).await;
    assert_eq!(expired.headers()["www-authenticate"], "Bearer");
    expect_problem(expired, 401, "session_expired").await;
    let issue = service.post_with("/v1/me/bypass-codes", &token).await;
    expect_problem(issue, 401, "session_expired").await;
    service.stop().await;
}

async fn ended_session_token_stops_working(backend: Backend) {
    let service = TestService::start(backend).await;
    let token = service.ada_token().await;
    let end = service
        .http
        .delete(service.url("/v1/recovery/sessions/current"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(end.status(), StatusCode::NO_CONTENT);
    let reused = service.get_with("/v1/me/authenticators", &token).await;
    expect_problem(reused, 401, "session_invalid").await;
    let end_again = service
        .http
        .delete(service.url("/v1/recovery/sessions/current"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    expect_problem(end_again, 401, "session_invalid").await;
    service.stop().await;
}

async fn a_new_sign_in_ends_the_persons_older_sessions(backend: Backend) {
    let service = TestService::start(backend).await;
    let first = service.ada_token().await;
    let second = service.ada_token().await;
    let old = service.get_with("/v1/me/authenticators", &first).await;
    expect_problem(old, 401, "session_invalid").await;
    let current = service.get_with("/v1/me/authenticators", &second).await;
    assert_eq!(current.status(), StatusCode::OK);
    // Signing in with a passcode ends them too; someone else's session is not touched.
    let grace = service
        .sign_in("grace", "nanosecond-wire-30cm", "1976-12-09", "135790")
        .await;
    assert_eq!(grace.status(), StatusCode::CREATED);
    let grace: Value = grace.json().await.unwrap();
    let code = service.bypass_code(&second).await;
    let third = service
        .sign_in_with_passcode(ADA, ADA_PASSWORD, &code)
        .await;
    assert_eq!(third.status(), StatusCode::CREATED);
    let third: Value = third.json().await.unwrap();
    let old = service.get_with("/v1/me/authenticators", &second).await;
    expect_problem(old, 401, "session_invalid").await;
    let current = service
        .get_with("/v1/me/authenticators", third["token"].as_str().unwrap())
        .await;
    assert_eq!(current.status(), StatusCode::OK);
    let other = service
        .get_with("/v1/me/authenticators", grace["token"].as_str().unwrap())
        .await;
    assert_eq!(other.status(), StatusCode::OK);
    let opened: Vec<_> = service
        .audit()
        .await
        .into_iter()
        .filter(|r| r.event == "session_opened" && r.username.as_deref() == Some(ADA))
        .map(|r| r.detail["ended_sessions"].clone())
        .collect();
    assert_eq!(opened, [json!(0), json!(1), json!(1)]);
    service.stop().await;
}

async fn authenticators_list_the_persons_devices(backend: Backend) {
    let service = TestService::start(backend).await;
    let token = service.ada_token().await;
    let response = service.get_with("/v1/me/authenticators", &token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let devices = body["authenticators"].as_array().unwrap();
    assert_eq!(devices.len(), 1, "ada has one phone: {body}");
    assert_eq!(devices[0]["kind"], "phone");
    assert_eq!(devices[0]["status"], "active");
    assert_eq!(devices[0]["phone"]["phone_type"], "mobile");
    assert_eq!(devices[0]["phone"]["app_activated"], true);
    assert_eq!(devices[0]["phone"]["number_hint"], "•••• 0123");
    assert!(
        !body.to_string().contains("5550123"),
        "the full number is never sent"
    );
    service.stop().await;
}
