//! Adding a landline, proven by the code a verification call speaks.

use reqwest::StatusCode;
use serde_json::{json, Value};
use time::Duration;

use crate::{
    on_both_databases,
    support::{expect_problem, Backend, TestService, ADA_EMAIL},
};
use recovery_api::demo::{Channel, OutboxMessage};

on_both_databases!(
    a_landline_is_verified_by_the_spoken_code,
    bad_numbers_are_refused_and_change_nothing,
    three_wrong_codes_discard_the_phone,
    an_unverified_phone_is_discarded_after_ten_minutes,
    binding_a_device_needs_a_recent_verification,
);

/// The six digits the call spoke ("1, 2, 3, 4, 5, 6").
pub fn spoken_code(call: &OutboxMessage) -> String {
    let after = call.body.split("code is").nth(1).unwrap_or_default();
    after.chars().filter(char::is_ascii_digit).take(6).collect()
}

async fn add(service: &TestService, token: &str, body: Value) -> reqwest::Response {
    service
        .http
        .post(service.url("/v1/me/phones"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn verify(service: &TestService, token: &str, id: &str, code: &str) -> reqwest::Response {
    service
        .http
        .post(service.url(&format!("/v1/me/phones/{id}/verify")))
        .bearer_auth(token)
        .json(&json!({ "code": code }))
        .send()
        .await
        .unwrap()
}

async fn devices(service: &TestService, token: &str) -> Vec<Value> {
    let body: Value = service
        .get_with("/v1/me/authenticators", token)
        .await
        .json()
        .await
        .unwrap();
    body["authenticators"].as_array().unwrap().clone()
}

async fn a_landline_is_verified_by_the_spoken_code(backend: Backend) {
    let service = TestService::start(backend).await;
    let token = service.ada_token().await;
    let added = add(
        &service,
        &token,
        json!({ "number": "(201) 555-0199", "extension": "123", "type": "landline" }),
    )
    .await;
    assert_eq!(added.status(), StatusCode::CREATED);
    let added: Value = added.json().await.unwrap();
    assert_eq!(added["number_hint"], "•••• 0199");
    assert_eq!(added["delivery"], "voice_call");
    let id = added["id"].as_str().unwrap().to_owned();
    let second = add(
        &service,
        &token,
        json!({ "number": "+1 201 555 0177", "type": "landline" }),
    )
    .await;
    let problem = expect_problem(second, 422, "invalid_field").await;
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("already waiting"));

    let listed = devices(&service, &token).await;
    let pending = listed.iter().find(|d| d["id"] == id.as_str()).unwrap();
    assert_eq!(pending["status"], "pending");

    let outbox = service.outbox().await;
    let call = outbox
        .iter()
        .find(|m| m.channel == Channel::Voice)
        .expect("a verification call");
    assert!(call.to.starts_with("+12015550199"), "{}", call.to);
    assert!(
        call.to.contains("123") || call.body.contains("123"),
        "the extension is dialled: {call:?}"
    );
    let code = spoken_code(call);
    assert_eq!(code.len(), 6, "{}", call.body);

    let verified = verify(&service, &token, &id, &code).await;
    assert_eq!(verified.status(), StatusCode::OK);
    let verified: Value = verified.json().await.unwrap();
    assert_eq!(verified["status"], "active");
    assert_eq!(verified["phone"]["phone_type"], "landline");
    let again = verify(&service, &token, &id, &code).await;
    expect_problem(again, 404, "not_found").await;

    let notices: Vec<_> = service
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.to == ADA_EMAIL)
        .collect();
    assert_eq!(notices.len(), 2, "added, then verified: {notices:?}");
    assert!(notices[0].body.contains("ending •••• 0199 was added"));
    assert!(notices[1].body.contains("was verified"));
    assert!(notices.iter().all(|n| !n.body.contains(&code)));
    let events: Vec<String> = service.audit().await.into_iter().map(|r| r.event).collect();
    assert!(
        events.contains(&"landline_added".to_owned())
            && events.contains(&"landline_verified".to_owned())
    );
    let audit = serde_json::to_string(&service.audit().await).unwrap();
    assert!(!audit.contains(&code), "the spoken code is never audited");
    service.stop().await;
}

async fn bad_numbers_are_refused_and_change_nothing(backend: Backend) {
    let service = TestService::start(backend).await;
    let token = service.ada_token().await;
    let before = (
        devices(&service, &token).await.len(),
        service.outbox().await.len(),
        service.audit().await.len(),
    );
    let cases = [
        (
            json!({ "number": "+34 612 345 678", "type": "landline" }),
            422,
            "phone_number_not_landline",
            "number",
        ),
        (
            json!({ "number": "12", "type": "landline" }),
            422,
            "phone_number_invalid",
            "number",
        ),
        (
            json!({ "number": "call me maybe", "type": "landline" }),
            422,
            "phone_number_invalid",
            "number",
        ),
        (
            json!({ "number": "+1 201 555 0199", "extension": "12a", "type": "landline" }),
            422,
            "phone_number_invalid",
            "extension",
        ),
        (
            json!({ "number": "+1 201 555 0199", "type": "mobile" }),
            422,
            "invalid_field",
            "type",
        ),
        (
            json!({ "number": "+1 201 555 0199", "type": "fax" }),
            422,
            "invalid_field",
            "type",
        ),
        (
            json!({ "type": "landline" }),
            422,
            "invalid_field",
            "number",
        ),
    ];
    for (body, status, code, field) in cases {
        let problem = expect_problem(add(&service, &token, body.clone()).await, status, code).await;
        assert_eq!(problem["field"], field, "{body}: {problem}");
    }
    let unknown = verify(&service, &token, "no-such-phone", "123456").await;
    expect_problem(unknown, 404, "not_found").await;
    let after = (
        devices(&service, &token).await.len(),
        service.outbox().await.len(),
        service.audit().await.len(),
    );
    assert_eq!(before, after, "nothing changed");
    service.stop().await;
}

async fn three_wrong_codes_discard_the_phone(backend: Backend) {
    let service = TestService::start(backend).await;
    let token = service.ada_token().await;
    let added: Value = add(
        &service,
        &token,
        json!({ "number": "+1 201 555 0199", "type": "landline" }),
    )
    .await
    .json()
    .await
    .unwrap();
    let id = added["id"].as_str().unwrap();
    let right = spoken_code(
        service
            .outbox()
            .await
            .iter()
            .find(|m| m.channel == Channel::Voice)
            .unwrap(),
    );
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let malformed = verify(&service, &token, id, "12ab56").await;
    expect_problem(malformed, 422, "invalid_field").await;
    let without_code = service
        .http
        .post(service.url(&format!("/v1/me/phones/{id}/verify")))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let problem = expect_problem(without_code, 422, "invalid_field").await;
    assert_eq!(problem["field"], "code");
    let first = expect_problem(
        verify(&service, &token, id, wrong).await,
        400,
        "code_incorrect",
    )
    .await;
    assert_eq!(first["attempts_left"], 2);
    let second = expect_problem(
        verify(&service, &token, id, wrong).await,
        400,
        "code_incorrect",
    )
    .await;
    assert_eq!(second["attempts_left"], 1);
    expect_problem(
        verify(&service, &token, id, wrong).await,
        410,
        "verification_expired",
    )
    .await;
    expect_problem(verify(&service, &token, id, &right).await, 404, "not_found").await;
    assert!(
        devices(&service, &token)
            .await
            .iter()
            .all(|d| d["id"] != id),
        "discarded"
    );
    service.stop().await;
}

async fn an_unverified_phone_is_discarded_after_ten_minutes(backend: Backend) {
    let service = TestService::start(backend).await;
    let token = service.ada_token().await;
    let added: Value = add(
        &service,
        &token,
        json!({ "number": "+1 201 555 0199", "type": "landline" }),
    )
    .await
    .json()
    .await
    .unwrap();
    let id = added["id"].as_str().unwrap();
    let code = spoken_code(
        service
            .outbox()
            .await
            .iter()
            .find(|m| m.channel == Channel::Voice)
            .unwrap(),
    );
    service.clock.advance(Duration::minutes(9));
    let fresh_token = service.ada_token().await;
    service.clock.advance(Duration::minutes(1));
    expect_problem(
        verify(&service, &fresh_token, id, &code).await,
        410,
        "verification_expired",
    )
    .await;
    assert!(devices(&service, &fresh_token)
        .await
        .iter()
        .all(|d| d["id"] != id));
    service.stop().await;
}

async fn binding_a_device_needs_a_recent_verification(backend: Backend) {
    let service = TestService::start_with(backend, |config| {
        config.session.ttl_seconds = 1800;
        config.devices.fresh_minutes = 10;
    })
    .await;
    let token = service.ada_token().await;
    service.clock.advance(Duration::minutes(11));
    let stale = add(
        &service,
        &token,
        json!({ "number": "+1 201 555 0199", "type": "landline" }),
    )
    .await;
    expect_problem(stale, 401, "reverification_required").await;
    let key = service
        .post_with("/v1/me/security-keys/registrations", &token)
        .await;
    expect_problem(key, 401, "reverification_required").await;
    // Looking is still fine.
    assert_eq!(
        service
            .get_with("/v1/me/authenticators", &token)
            .await
            .status(),
        StatusCode::OK
    );
    service.stop().await;
}
