//! Setting, changing and clearing the recovery PIN: only in a fresh passcode session, only a PIN
//! that is hard to guess, always audited and announced, and a refused one changes nothing.

use recovery_server::{client::Client, flows};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use time::Duration;

use crate::{
    on_both_databases,
    support::{
        expect_problem, Backend, TestService, ADA, ADA_DOB, ADA_EMAIL, ADA_PASSWORD, ADA_PIN,
    },
};

on_both_databases!(
    a_passcode_session_sets_a_new_pin_that_replaces_the_old_one,
    a_date_of_birth_session_cannot_change_the_pin,
    an_easy_or_malformed_pin_is_refused_and_changes_nothing,
    an_old_passcode_session_must_verify_again,
    the_help_desk_clears_a_pin_and_the_person_sets_a_new_one,
    no_date_of_birth_on_record_means_no_pin,
);

/// A session opened with a bypass code: what "Set up account recovery" does.
async fn passcode_session(service: &TestService) -> String {
    let first = service.ada_token().await;
    let code = service.bypass_code(&first).await;
    let response = service
        .sign_in_with_passcode(ADA, ADA_PASSWORD, &code)
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

async fn put_pin(service: &TestService, token: &str, body: &Value) -> Response {
    service
        .http
        .put(service.url("/v1/me/recovery-pin"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn status(service: &TestService, token: &str) -> Value {
    let response = service.get_with("/v1/me/recovery-pin", token).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn pin_works(service: &TestService, pin: &str) -> bool {
    let response = service.sign_in(ADA, ADA_PASSWORD, ADA_DOB, pin).await;
    match response.status() {
        StatusCode::CREATED => true,
        StatusCode::UNAUTHORIZED => false,
        other => panic!("unexpected status {other}"),
    }
}

async fn a_passcode_session_sets_a_new_pin_that_replaces_the_old_one(backend: Backend) {
    let service = TestService::start(backend).await;
    let token = passcode_session(&service).await;
    let before = status(&service, &token).await;
    assert_eq!(before["set"], true);
    assert_eq!(before["can_set"], true);
    assert_eq!(
        (before["min_digits"].clone(), before["max_digits"].clone()),
        (json!(6), json!(12))
    );
    let sent_before = service.outbox().await.len();

    let response = put_pin(&service, &token, &json!({ "pin": "480162" })).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["changed"], true);
    assert_eq!(
        body["set_at"],
        status(&service, &token).await["set_at"],
        "the answer says the time as stored"
    );

    let notices: Vec<_> = service
        .outbox()
        .await
        .into_iter()
        .skip(sent_before)
        .collect();
    assert_eq!(notices.len(), 1, "one notice per address");
    assert_eq!(notices[0].to, ADA_EMAIL);
    assert!(notices[0]
        .subject
        .as_deref()
        .unwrap_or_default()
        .contains("recovery PIN was changed"));
    assert!(!notices[0].body.contains("480162"), "the PIN is never sent");

    let records = service.audit().await;
    let last = records.last().unwrap();
    assert_eq!(
        (last.event.as_str(), last.outcome.as_str()),
        ("recovery_pin_set", "success")
    );
    assert_eq!(last.detail["change"], "changed");
    assert!(!serde_json::to_string(&records).unwrap().contains("480162"));

    assert!(pin_works(&service, "480162").await, "the new PIN works");
    assert!(
        !pin_works(&service, ADA_PIN).await,
        "the old PIN no longer does"
    );
    service.stop().await;
}

async fn a_date_of_birth_session_cannot_change_the_pin(backend: Backend) {
    let service = TestService::start(backend).await;
    let token = service.ada_token().await;
    assert_eq!(status(&service, &token).await["can_set"], false);
    let refused = put_pin(&service, &token, &json!({ "pin": "480162" })).await;
    expect_problem(refused, 403, "passcode_sign_in_required").await;
    assert!(pin_works(&service, ADA_PIN).await, "unchanged");
    service.stop().await;
}

async fn an_easy_or_malformed_pin_is_refused_and_changes_nothing(backend: Backend) {
    let service = TestService::start(backend).await;
    let token = passcode_session(&service).await;
    let sent_before = service.outbox().await.len();
    let audited_before = service.audit().await.len();
    for (body, code) in [
        (json!({ "pin": "12345" }), "invalid_field"),
        (json!({ "pin": "1234567890123" }), "invalid_field"),
        (json!({ "pin": "48016a" }), "invalid_field"),
        (json!({ "pin": " 480162" }), "invalid_field"),
        (json!({ "pin": "123456" }), "recovery_pin_too_simple"),
        (json!({ "pin": "999999" }), "recovery_pin_too_simple"),
        (json!({ "pin": "121212" }), "recovery_pin_too_simple"),
        (json!({ "pin": "19851210" }), "recovery_pin_too_simple"),
        (json!({ "pin": "101285" }), "recovery_pin_too_simple"),
    ] {
        let problem = expect_problem(put_pin(&service, &token, &body).await, 422, code).await;
        assert_eq!(problem["field"], "pin", "{body}");
    }
    expect_problem(
        put_pin(&service, &token, &json!({ "pin": 480162 })).await,
        422,
        "invalid_field",
    )
    .await;
    expect_problem(
        put_pin(&service, &token, &json!({})).await,
        422,
        "invalid_field",
    )
    .await;
    expect_problem(
        put_pin(&service, &token, &json!({ "pin": "480162", "extra": 1 })).await,
        422,
        "invalid_field",
    )
    .await;
    assert_eq!(service.outbox().await.len(), sent_before, "nothing sent");
    assert_eq!(
        service.audit().await.len(),
        audited_before,
        "nothing changed"
    );
    assert!(pin_works(&service, ADA_PIN).await);
    service.stop().await;
}

async fn an_old_passcode_session_must_verify_again(backend: Backend) {
    // A session that outlives the few minutes in which it may change factors.
    let service = TestService::start_with(backend, |c| c.session.ttl_seconds = 3600).await;
    let token = passcode_session(&service).await;
    let fresh = i64::from(service.app.config.devices.fresh_minutes);
    service
        .clock
        .advance(Duration::minutes(fresh) + Duration::seconds(1));
    let refused = put_pin(&service, &token, &json!({ "pin": "480162" })).await;
    expect_problem(refused, 401, "reverification_required").await;
    service.stop().await;
}

async fn the_help_desk_clears_a_pin_and_the_person_sets_a_new_one(backend: Backend) {
    let service = TestService::start(backend).await;
    let desk = Client::admin_cli();
    assert!(
        flows::recovery_pin::clear(&service.app, &desk, ADA, "forgotten")
            .await
            .unwrap()
    );
    assert!(
        !pin_works(&service, ADA_PIN).await,
        "a cleared PIN fails like a wrong one"
    );
    let notice = service.outbox().await.pop().unwrap();
    assert!(notice.subject.unwrap_or_default().contains("cleared"));
    let record = service
        .audit()
        .await
        .into_iter()
        .find(|r| r.event == "recovery_pin_cleared")
        .unwrap();
    assert_eq!(record.detail["reason"], "forgotten");
    assert!(
        !flows::recovery_pin::clear(&service.app, &desk, ADA, "again")
            .await
            .unwrap()
    );
    assert!(
        flows::recovery_pin::clear(&service.app, &desk, "nobody", "typo")
            .await
            .is_err()
    );

    // With no PIN, "Set up account recovery": a bypass code from the help desk, then a new PIN.
    let issued = flows::bypass_code::issue(
        &service.app,
        &desk,
        &service
            .app
            .directory
            .find_by_username(ADA)
            .await
            .unwrap()
            .unwrap(),
        recovery_server::mfa::BypassCodeOrigin::HelpDesk,
        None,
    )
    .await
    .unwrap();
    let response = service
        .sign_in_with_passcode(ADA, ADA_PASSWORD, issued.code.into_secret().expose())
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let token: Value = response.json().await.unwrap();
    let token = token["token"].as_str().unwrap();
    assert_eq!(status(&service, token).await["set"], false);
    let set = put_pin(&service, token, &json!({ "pin": "480162" })).await;
    assert_eq!(set.status(), StatusCode::OK);
    assert_eq!(set.json::<Value>().await.unwrap()["changed"], false);
    assert!(pin_works(&service, "480162").await);
    service.stop().await;
}

async fn no_date_of_birth_on_record_means_no_pin(backend: Backend) {
    let service = TestService::start(backend).await;
    let token = passcode_session(&service).await;
    sqlx::query("DELETE FROM hr_facts WHERE username = $1")
        .bind(ADA)
        .execute(service.app.db.pool())
        .await
        .unwrap();
    let refused = put_pin(&service, &token, &json!({ "pin": "480162" })).await;
    expect_problem(refused, 409, "date_of_birth_unknown").await;
    assert!(pin_works(&service, ADA_PIN).await);
    service.stop().await;
}
