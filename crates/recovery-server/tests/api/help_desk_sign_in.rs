//! Agents sign in to the help-desk console: password + their own passcode, or password + a
//! security key that verifies its user (webauthn-authenticator-rs's software key through its
//! real client code). Every failure is the same `verification_failed`, throttled; agent and
//! recovery sessions never open each other's doors.

use reqwest::StatusCode;
use serde_json::{json, Value};
use webauthn_authenticator_rs::{softtoken::SoftToken, WebauthnAuthenticator};

use crate::{
    help_desk_support::{
        agent_sign_in, count_events, give_hopper_a_token, hopper_token, margaret_token, post_as,
        HOPPER, HOPPER_PASSWORD, HOTP, MARGARET, MARGARET_PASSWORD,
    },
    on_both_databases,
    support::{expect_problem, Backend, TestService, ADA, ADA_PASSWORD},
};
use recovery_api::help_desk::KeySignInStarted;

on_both_databases!(
    an_agent_signs_in_with_their_passcode_once,
    every_failure_is_the_same_and_throttled,
    a_bypass_code_never_signs_an_agent_in,
    an_agent_signs_in_with_a_verified_security_key,
    agent_and_recovery_sessions_open_only_their_own_doors,
    every_failure_does_the_same_work,
);

fn origin() -> url::Url {
    url::Url::parse("http://localhost").unwrap()
}

async fn an_agent_signs_in_with_their_passcode_once(backend: Backend) {
    let service = TestService::start(backend).await;
    let signed_in = agent_sign_in(&service, MARGARET, MARGARET_PASSWORD, HOTP[0]).await;
    assert_eq!(signed_in.status(), StatusCode::CREATED);
    let body: Value = signed_in.json().await.unwrap();
    assert_eq!(body["agent"]["username"], MARGARET);
    assert_eq!(body["agent"]["role"], "admin");
    assert_eq!(body["agent"]["method"], "passcode");
    assert_eq!(body["agent"]["permissions"].as_array().unwrap().len(), 12);
    let token = body["token"].as_str().unwrap();
    let me: Value = service
        .get_with("/v1/help-desk/me", token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["display_name"], "Margaret Hamilton");
    assert_eq!(me["security_keys"], 0);
    assert_eq!(
        service
            .app
            .help_desk
            .keys
            .count(
                &service
                    .app
                    .directory
                    .find_by_username(HOPPER)
                    .await
                    .unwrap()
                    .unwrap()
                    .id
            )
            .await
            .unwrap(),
        1,
        "the demo seeds hopper's demo security key"
    );
    // The code was used up.
    let again = agent_sign_in(&service, MARGARET, MARGARET_PASSWORD, HOTP[0]).await;
    expect_problem(again, 401, "verification_failed").await;
    let records = service.audit().await;
    let sign_ins: Vec<_> = records
        .iter()
        .filter(|r| r.event == "help_desk_sign_in")
        .collect();
    assert_eq!(sign_ins.len(), 2);
    assert_eq!(sign_ins[0].outcome, "success");
    assert_eq!(sign_ins[0].detail["method"], "passcode");
    assert_eq!(sign_ins[1].outcome, "failure");
    assert!(!records.iter().any(|r| r.detail.to_string().contains(token)));

    // The help_desk role lacks two permissions.
    give_hopper_a_token(&service).await;
    let hopper = agent_sign_in(&service, HOPPER, HOPPER_PASSWORD, HOTP[0]).await;
    let hopper: Value = hopper.json().await.unwrap();
    assert_eq!(hopper["agent"]["role"], "help_desk");
    let permissions = hopper["agent"]["permissions"].to_string();
    assert!(!permissions.contains("unlock_daily") && !permissions.contains("act_on_agents"));
    service.stop().await;
}

async fn every_failure_is_the_same_and_throttled(backend: Backend) {
    let service = TestService::start(backend).await;
    let mut details = Vec::new();
    for (username, password, passcode) in [
        (MARGARET, "wrong-password", HOTP[0]),
        (MARGARET, MARGARET_PASSWORD, "000000"),
        // ada is a person, not an agent: her right password and a code get nowhere.
        (ADA, ADA_PASSWORD, "123456"),
        ("nobody", "whatever-it-is", "123456"),
    ] {
        let response = agent_sign_in(&service, username, password, passcode).await;
        let problem = expect_problem(response, 401, "verification_failed").await;
        details.push(problem["detail"].clone());
    }
    assert!(details.windows(2).all(|w| w[0] == w[1]), "{details:?}");
    assert_eq!(count_events(&service, "help_desk_sign_in").await, 4);
    // margaret has two failures; the fifth in a row locks her out, like self-service.
    for _ in 0..2 {
        let response = agent_sign_in(&service, MARGARET, "wrong-password", HOTP[0]).await;
        expect_problem(response, 401, "verification_failed").await;
    }
    let locked = agent_sign_in(&service, MARGARET, "wrong-password", HOTP[0]).await;
    expect_problem(locked, 429, "locked").await;
    let refused = agent_sign_in(&service, MARGARET, MARGARET_PASSWORD, HOTP[0]).await;
    expect_problem(refused, 429, "locked").await;
    // The code was never used: after the lock, it still signs her in.
    service.clock.advance(time::Duration::minutes(16));
    let signed_in = agent_sign_in(&service, MARGARET, MARGARET_PASSWORD, HOTP[0]).await;
    assert_eq!(signed_in.status(), StatusCode::CREATED);
    service.stop().await;
}

async fn a_bypass_code_never_signs_an_agent_in(backend: Backend) {
    let service = TestService::start(backend).await;
    let audit_before = service.audit().await.len();
    let response = agent_sign_in(&service, MARGARET, MARGARET_PASSWORD, "123456789").await;
    let problem = expect_problem(response, 422, "invalid_field").await;
    assert_eq!(problem["field"], "passcode");
    let neither = service
        .post_json(
            "/v1/help-desk/sessions",
            &json!({ "username": MARGARET, "password": MARGARET_PASSWORD }),
        )
        .await;
    expect_problem(neither, 422, "invalid_field").await;
    assert_eq!(
        service.audit().await.len(),
        audit_before,
        "nothing recorded"
    );
    // Nothing was charged to the throttle either: the first code still works.
    let signed_in = agent_sign_in(&service, MARGARET, MARGARET_PASSWORD, HOTP[0]).await;
    assert_eq!(signed_in.status(), StatusCode::CREATED);
    service.stop().await;
}

async fn start_key_sign_in(service: &TestService, username: &str) -> KeySignInStarted {
    let response = service
        .post_json(
            "/v1/help-desk/sign-in/security-key",
            &json!({ "username": username }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

/// The shape of a JSON value: objects' keys and the types of what they hold.
fn shape(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), shape(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().take(1).map(shape).collect()),
        Value::String(_) => json!("string"),
        Value::Number(_) => json!("number"),
        Value::Bool(_) => json!("bool"),
        Value::Null => Value::Null,
    }
}

async fn an_agent_signs_in_with_a_verified_security_key(backend: Backend) {
    let service = TestService::start(backend).await;
    give_hopper_a_token(&service).await;
    let token = hopper_token(&service, 0).await;

    // A key that cannot verify its user is refused: it could never sign her in.
    let (mut no_pin, _) = SoftToken::new(false).unwrap();
    let started: Value = post_as(
        &service,
        &token,
        "/v1/help-desk/me/security-keys/registrations",
        &json!({}),
    )
    .await
    .json()
    .await
    .unwrap();
    let asked = &started["options"]["publicKey"]["authenticatorSelection"]["userVerification"];
    assert_eq!(asked, "required");
    // A key without a PIN cannot answer that; told "preferred", it answers unverified.
    let options = serde_json::from_value(started["options"].clone()).unwrap();
    assert!(no_pin.do_registration(origin(), options).is_err());
    let mut lenient = started["options"].clone();
    lenient["publicKey"]["authenticatorSelection"]["userVerification"] = json!("preferred");
    let options = serde_json::from_value(lenient).unwrap();
    let credential = no_pin.do_registration(origin(), options).unwrap();
    let path = format!(
        "/v1/help-desk/me/security-keys/registrations/{}",
        started["id"].as_str().unwrap()
    );
    let refused = post_as(
        &service,
        &token,
        &path,
        &json!({ "name": "", "credential": credential }),
    )
    .await;
    expect_problem(refused, 422, "security_key_rejected").await;

    // A key with a PIN registers (SoftToken `true` answers as if its PIN was entered).
    let (mut key, _) = SoftToken::new(true).unwrap();
    let started: Value = post_as(
        &service,
        &token,
        "/v1/help-desk/me/security-keys/registrations",
        &json!({}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(started["origin"], "http://localhost");
    let options = serde_json::from_value(started["options"].clone()).unwrap();
    let credential = key.do_registration(origin(), options).unwrap();
    let path = format!(
        "/v1/help-desk/me/security-keys/registrations/{}",
        started["id"].as_str().unwrap()
    );
    let registered = post_as(
        &service,
        &token,
        &path,
        &json!({ "name": "Desk key", "credential": credential }),
    )
    .await;
    assert_eq!(registered.status(), StatusCode::CREATED);
    let again = post_as(
        &service,
        &token,
        &path,
        &json!({ "name": "Desk key", "credential": credential }),
    )
    .await;
    expect_problem(again, 409, "registration_invalid").await;
    let me: Value = service
        .get_with("/v1/help-desk/me", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["security_keys"], 2, "the demo key and this one");

    // Her challenge asks for user verification and names her key; anyone else's has the same
    // shape.
    let hers = start_key_sign_in(&service, HOPPER).await;
    let hers_json = serde_json::to_value(&hers).unwrap();
    assert_eq!(
        hers_json["options"]["publicKey"]["userVerification"],
        "required"
    );
    for someone in [ADA, "nobody", MARGARET] {
        let theirs = serde_json::to_value(start_key_sign_in(&service, someone).await).unwrap();
        assert_eq!(shape(&theirs), shape(&hers_json), "{someone}");
        let again = serde_json::to_value(start_key_sign_in(&service, someone).await).unwrap();
        assert_eq!(
            theirs["options"]["publicKey"]["allowCredentials"],
            again["options"]["publicKey"]["allowCredentials"],
            "the same made-up key every time for {someone}"
        );
    }

    let assertion = key
        .do_authentication(origin(), hers.options.clone())
        .unwrap();
    let wrong_password = json!({ "username": HOPPER, "password": "not-hers",
        "security_key": { "challenge_id": hers.challenge_id, "credential": assertion } });
    let response = service
        .post_json("/v1/help-desk/sessions", &wrong_password)
        .await;
    expect_problem(response, 401, "verification_failed").await;

    let fresh = start_key_sign_in(&service, HOPPER).await;
    let assertion = key
        .do_authentication(origin(), fresh.options.clone())
        .unwrap();
    let body = json!({ "username": HOPPER, "password": HOPPER_PASSWORD,
        "security_key": { "challenge_id": fresh.challenge_id, "credential": assertion } });
    let signed_in = service.post_json("/v1/help-desk/sessions", &body).await;
    assert_eq!(signed_in.status(), StatusCode::CREATED);
    let signed_in: Value = signed_in.json().await.unwrap();
    assert_eq!(signed_in["agent"]["method"], "security_key");
    // A challenge is used once.
    let replay = service.post_json("/v1/help-desk/sessions", &body).await;
    expect_problem(replay, 401, "verification_failed").await;

    service.stop().await;
}

async fn agent_and_recovery_sessions_open_only_their_own_doors(backend: Backend) {
    let service = TestService::start(backend).await;
    let recovery = service.ada_token().await;
    let agent = margaret_token(&service, 0).await;
    let refused = service.get_with("/v1/help-desk/me", &recovery).await;
    expect_problem(refused, 401, "session_invalid").await;
    let refused = service
        .get_with("/v1/help-desk/people/ada", &recovery)
        .await;
    expect_problem(refused, 401, "session_invalid").await;
    let refused = service.get_with("/v1/me/authenticators", &agent).await;
    expect_problem(refused, 401, "session_invalid").await;
    let refused = service.post_with("/v1/me/bypass-codes", &agent).await;
    expect_problem(refused, 401, "session_invalid").await;
    assert_eq!(
        service.get_with("/v1/help-desk/me", &agent).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        service
            .get_with("/v1/me/authenticators", &recovery)
            .await
            .status(),
        StatusCode::OK
    );

    // Signing in again ends the older session; signing out ends the current one.
    let newer = margaret_token(&service, 1).await;
    let ended = service.get_with("/v1/help-desk/me", &agent).await;
    expect_problem(ended, 401, "session_invalid").await;
    let signed_out = service
        .http
        .delete(service.url("/v1/help-desk/sessions/current"))
        .bearer_auth(&newer)
        .send()
        .await
        .unwrap();
    assert_eq!(signed_out.status(), StatusCode::NO_CONTENT);
    let ended = service.get_with("/v1/help-desk/me", &newer).await;
    expect_problem(ended, 401, "session_invalid").await;
    assert_eq!(count_events(&service, "help_desk_signed_out").await, 1);

    // Sessions are never extended: 15 minutes after sign-in the token has expired.
    let latest = margaret_token(&service, 2).await;
    service.clock.advance(time::Duration::minutes(15));
    let expired = service.get_with("/v1/help-desk/me", &latest).await;
    expect_problem(expired, 401, "session_expired").await;
    service.stop().await;
}

async fn every_failure_does_the_same_work(backend: Backend) {
    let service = TestService::start(backend).await;
    let probe = service.app.hasher.probe();
    let mut works = Vec::new();
    for (username, password, passcode) in [
        ("nobody", "whatever-it-is", "123456"),
        (MARGARET, "wrong-password", "123456"),
        (MARGARET, MARGARET_PASSWORD, "123456"),
        (ADA, ADA_PASSWORD, "123456"),
    ] {
        probe.record();
        let response = agent_sign_in(&service, username, password, passcode).await;
        expect_problem(response, 401, "verification_failed").await;
        works.push(probe.recorded());
    }
    assert_eq!(
        works[0].len(),
        2,
        "the password and the passcode: {works:?}"
    );
    assert!(works.windows(2).all(|w| w[0] == w[1]), "{works:?}");
    service.stop().await;
}
