//! Kiosk enrollment and requests made as a kiosk.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{
    on_both_databases,
    support::{expect_problem, Backend, TestService, ADA, ADA_DOB, ADA_PASSWORD, ADA_PIN},
};
use recovery_api::kiosk::KIOSK_CREDENTIAL_HEADER;
use recovery_server::flows;

on_both_databases!(
    a_kiosk_enrolls_once_and_speaks_with_its_name,
    bad_kiosk_credentials_are_refused
);

async fn a_kiosk_enrolls_once_and_speaks_with_its_name(backend: Backend) {
    let service = TestService::start(backend).await;
    let (_, token) = flows::kiosk::create_enrollment(&service.app, "Help Desk Kiosk 2")
        .await
        .unwrap();
    let body = json!({ "enrollment_token": token.expose() });
    let enrolled = service.post_json("/v1/kiosks/enrollments", &body).await;
    assert_eq!(enrolled.status(), StatusCode::CREATED);
    let enrolled: Value = enrolled.json().await.unwrap();
    assert_eq!(enrolled["name"], "Help Desk Kiosk 2");
    let credential = enrolled["credential"].as_str().unwrap().to_owned();
    assert_ne!(credential, token.expose());

    let again = service.post_json("/v1/kiosks/enrollments", &body).await;
    expect_problem(again, 401, "enrollment_token_invalid").await;

    let sign_in = json!({ "username": ADA, "password": ADA_PASSWORD, "date_of_birth": ADA_DOB, "pin": ADA_PIN });
    let session: Value = service
        .http
        .post(service.url("/v1/recovery/sessions"))
        .header(KIOSK_CREDENTIAL_HEADER, &credential)
        .json(&sign_in)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = session["token"].as_str().unwrap();
    let issued = service
        .http
        .post(service.url("/v1/me/bypass-codes"))
        .header(KIOSK_CREDENTIAL_HEADER, &credential)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(issued.status(), StatusCode::CREATED);
    let outbox = service.outbox().await;
    assert!(
        outbox[0].body.contains("from Help Desk Kiosk 2"),
        "{}",
        outbox[0].body
    );
    let audit = service.audit().await;
    assert!(audit
        .iter()
        .any(|r| r.event == "session_opened" && r.client == "Help Desk Kiosk 2"));
    service.stop().await;
}

async fn bad_kiosk_credentials_are_refused(backend: Backend) {
    let service = TestService::start(backend).await;
    let unknown = service
        .post_json(
            "/v1/kiosks/enrollments",
            &json!({ "enrollment_token": "made-up" }),
        )
        .await;
    expect_problem(unknown, 401, "enrollment_token_invalid").await;
    let missing = service
        .post_json("/v1/kiosks/enrollments", &json!({}))
        .await;
    let problem = expect_problem(missing, 422, "invalid_field").await;
    assert_eq!(problem["field"], "enrollment_token");
    let forged = service
        .http
        .post(service.url("/v1/recovery/sessions"))
        .header(KIOSK_CREDENTIAL_HEADER, "forged")
        .json(&json!({ "username": ADA, "password": ADA_PASSWORD, "date_of_birth": ADA_DOB, "pin": ADA_PIN }))
        .send()
        .await
        .unwrap();
    expect_problem(forged, 401, "kiosk_credential_invalid").await;
    let (_, token) = flows::kiosk::create_enrollment(&service.app, "Kiosk 3")
        .await
        .unwrap();
    service.clock.advance(time::Duration::hours(24));
    let expired = service
        .post_json(
            "/v1/kiosks/enrollments",
            &json!({ "enrollment_token": token.expose() }),
        )
        .await;
    expect_problem(expired, 401, "enrollment_token_invalid").await;
    service.stop().await;
}
