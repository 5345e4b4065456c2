//! Every bad input gets a clear problem document and changes nothing: no audit record, no
//! throttle charge, no session, no code.

use reqwest::StatusCode;
use serde_json::json;

use crate::{
    on_both_databases,
    support::{expect_problem, Backend, TestService, ADA, ADA_DOB, ADA_PASSWORD, ADA_PIN},
};

on_both_databases!(
    bad_bodies_are_refused_and_change_nothing,
    bad_tokens_are_refused,
    unknown_routes_and_methods
);

async fn bad_bodies_are_refused_and_change_nothing(backend: Backend) {
    let service = TestService::start(backend).await;
    let audit_before = service.audit().await.len();
    let url = service.url("/v1/recovery/sessions");
    let raw = |body: &'static str| {
        service
            .http
            .post(&url)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };

    expect_problem(
        raw("{\"username\": \"ada\",").await.unwrap(),
        400,
        "malformed_request",
    )
    .await;
    expect_problem(raw("[1, 2]").await.unwrap(), 400, "malformed_request").await;
    expect_problem(raw("").await.unwrap(), 400, "malformed_request").await;

    let cases = [
        (
            json!({ "username": 42, "password": ADA_PASSWORD, "date_of_birth": ADA_DOB, "pin": ADA_PIN }),
            "username",
        ),
        (
            json!({ "password": ADA_PASSWORD, "date_of_birth": ADA_DOB, "pin": ADA_PIN }),
            "username",
        ),
        (
            json!({ "username": ADA, "date_of_birth": ADA_DOB, "pin": ADA_PIN }),
            "password",
        ),
        (
            json!({ "username": ADA, "password": ADA_PASSWORD }),
            "date_of_birth",
        ),
        (
            json!({ "username": ADA, "password": ADA_PASSWORD, "date_of_birth": ADA_DOB }),
            "pin",
        ),
        (
            json!({ "username": ADA, "password": ADA_PASSWORD, "date_of_birth": "1985-02-30", "pin": ADA_PIN }),
            "date_of_birth",
        ),
        (
            json!({ "username": ADA, "password": ADA_PASSWORD, "date_of_birth": "10/12/1985", "pin": ADA_PIN }),
            "date_of_birth",
        ),
        (
            json!({ "username": ADA, "password": ADA_PASSWORD, "date_of_birth": ADA_DOB, "pin": "24681O" }),
            "pin",
        ),
        (
            json!({ "username": ADA, "password": ADA_PASSWORD, "date_of_birth": ADA_DOB, "pin": 246810 }),
            "pin",
        ),
        (
            json!({ "username": ADA, "password": ADA_PASSWORD, "passcode": "12345678" }),
            "passcode",
        ),
        (
            json!({ "username": ADA, "password": ADA_PASSWORD, "passcode": "1234567890" }),
            "passcode",
        ),
        (
            json!({ "username": ADA, "password": ADA_PASSWORD, "passcode": "12345678x" }),
            "passcode",
        ),
        (
            json!({ "username": ADA, "password": ADA_PASSWORD, "passcode": "123456789", "pin": ADA_PIN }),
            "passcode",
        ),
        (
            json!({ "username": ADA, "password": ADA_PASSWORD, "date_of_birth": ADA_DOB, "pin": ADA_PIN, "admin": true }),
            "admin",
        ),
        (
            json!({ "username": "", "password": ADA_PASSWORD, "date_of_birth": ADA_DOB, "pin": ADA_PIN }),
            "username",
        ),
        (
            json!({ "username": ADA, "password": "", "date_of_birth": ADA_DOB, "pin": ADA_PIN }),
            "password",
        ),
        (
            json!({ "username": ADA, "password": "x".repeat(1025), "date_of_birth": ADA_DOB, "pin": ADA_PIN }),
            "password",
        ),
    ];
    for (body, field) in cases {
        let response = service.post_json("/v1/recovery/sessions", &body).await;
        let problem = expect_problem(response, 422, "invalid_field").await;
        assert_eq!(problem["field"], field, "for {body}: {problem}");
    }

    let huge = json!({ "username": ADA, "password": "x".repeat(20_000), "date_of_birth": ADA_DOB, "pin": ADA_PIN });
    expect_problem(
        service.post_json("/v1/recovery/sessions", &huge).await,
        413,
        "payload_too_large",
    )
    .await;

    let as_form = service
        .http
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("username=ada")
        .send()
        .await
        .unwrap();
    expect_problem(as_form, 415, "unsupported_media_type").await;

    assert_eq!(
        service.audit().await.len(),
        audit_before,
        "bad input leaves no trace"
    );
    // Not one of those counted as a guess: five real failures still lock only at the fifth.
    for _ in 0..4 {
        let wrong = service.sign_in(ADA, ADA_PASSWORD, ADA_DOB, "999999").await;
        expect_problem(wrong, 401, "verification_failed").await;
    }
    assert_eq!(
        service
            .sign_in(ADA, ADA_PASSWORD, ADA_DOB, ADA_PIN)
            .await
            .status(),
        StatusCode::CREATED
    );
    service.stop().await;
}

async fn bad_tokens_are_refused(backend: Backend) {
    let service = TestService::start(backend).await;
    let no_header = service
        .http
        .get(service.url("/v1/me/authenticators"))
        .send()
        .await
        .unwrap();
    expect_problem(no_header, 401, "session_invalid").await;
    let garbage = service
        .get_with("/v1/me/authenticators", "not-a-token")
        .await;
    expect_problem(garbage, 401, "session_invalid").await;
    let basic = service
        .http
        .get(service.url("/v1/me/authenticators"))
        .basic_auth("ada", Some("pw"))
        .send()
        .await
        .unwrap();
    expect_problem(basic, 401, "session_invalid").await;
    let codes_before = service.outbox().await.len();
    let issue = service.post_with("/v1/me/bypass-codes", "forged").await;
    expect_problem(issue, 401, "session_invalid").await;
    assert_eq!(
        service.outbox().await.len(),
        codes_before,
        "no code, no notification"
    );
    service.stop().await;
}

async fn unknown_routes_and_methods(backend: Backend) {
    let service = TestService::start(backend).await;
    let missing = service
        .http
        .get(service.url("/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    expect_problem(missing, 404, "not_found").await;
    let wrong_method = service
        .http
        .get(service.url("/v1/recovery/sessions"))
        .send()
        .await
        .unwrap();
    expect_problem(wrong_method, 405, "method_not_allowed").await;
    service.stop().await;
}
