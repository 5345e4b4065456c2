//! Registering a security key: real WebAuthn options from the service, answered by
//! webauthn-authenticator-rs's software key through its real CTAP2 client code.

use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Row;
use webauthn_authenticator_rs::{
    softtoken::{SoftToken, AAGUID},
    WebauthnAuthenticator,
};

use crate::{
    on_both_databases,
    support::{expect_problem, Backend, TestService, ADA_EMAIL},
};
use recovery_api::security_key::{RegisterPublicKeyCredential, RegistrationStarted};
use recovery_server::security_key::{RelyingParty, SecurityKeyPolicy, StoredKey};

on_both_databases!(
    a_registered_key_then_authenticates,
    a_registration_finishes_once_and_only_for_its_challenge,
    a_model_outside_the_allow_list_is_refused,
);

fn origin() -> url::Url {
    url::Url::parse("http://localhost").unwrap()
}

async fn start(service: &TestService, token: &str) -> RegistrationStarted {
    let response = service
        .post_with("/v1/me/security-keys/registrations", token)
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

async fn finish(
    service: &TestService,
    token: &str,
    id: &str,
    name: &str,
    credential: &RegisterPublicKeyCredential,
) -> reqwest::Response {
    service
        .http
        .post(service.url(&format!("/v1/me/security-keys/registrations/{id}")))
        .bearer_auth(token)
        .json(&json!({ "name": name, "credential": credential }))
        .send()
        .await
        .unwrap()
}

async fn stored_keys(service: &TestService) -> Vec<StoredKey> {
    sqlx::query("SELECT credential_id, credential FROM authenticators WHERE kind = 'security_key' AND status = 'active'")
        .fetch_all(service.app.db.pool())
        .await
        .unwrap()
        .iter()
        .map(|row| StoredKey {
            credential_id: row.try_get("credential_id").unwrap(),
            aaguid: None,
            key_json: row.try_get("credential").unwrap(),
        })
        .collect()
}

async fn a_registered_key_then_authenticates(backend: Backend) {
    let service = TestService::start(backend).await;
    let token = service.ada_token().await;
    let (mut key, _ca) = SoftToken::new(false).unwrap();
    let started = start(&service, &token).await;
    assert_eq!(
        started.origin, "http://localhost",
        "the origin the client must report"
    );
    let credential = key.do_registration(origin(), started.options).unwrap();
    let registered = finish(&service, &token, &started.id, "  Desk key ", &credential).await;
    assert_eq!(registered.status(), StatusCode::CREATED);
    let registered: Value = registered.json().await.unwrap();
    assert_eq!(registered["kind"], "security_key");
    assert_eq!(registered["name"], "Desk key");
    assert_eq!(registered["status"], "active");

    // The stored credential authenticates with the same key.
    let relying_party = RelyingParty::new(&SecurityKeyPolicy::default()).unwrap();
    let keys = stored_keys(&service).await;
    assert_eq!(keys.len(), 1);
    let (challenge, pending) = relying_party.start_authentication(&keys).unwrap();
    let assertion = key.do_authentication(origin(), challenge).unwrap();
    let authenticated = relying_party
        .finish_authentication(&pending, &assertion, &keys)
        .unwrap();
    assert_eq!(authenticated.credential_id, keys[0].credential_id);

    // The next registration excludes it, so a real key would refuse to register twice.
    let next = start(&service, &token).await;
    let options = serde_json::to_value(&next.options).unwrap();
    let excluded = options["publicKey"]["excludeCredentials"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        excluded
            .iter()
            .any(|c| c["id"] == keys[0].credential_id.as_str()),
        "{options}"
    );

    let notice = service
        .outbox()
        .await
        .into_iter()
        .find(|m| m.to == ADA_EMAIL)
        .unwrap();
    assert!(
        notice
            .body
            .contains("The security key \"Desk key\" was added"),
        "{}",
        notice.body
    );
    let events: Vec<String> = service.audit().await.into_iter().map(|r| r.event).collect();
    assert!(events.contains(&"security_key_registered".to_owned()));

    // Rename, then remove it.
    let id = registered["id"].as_str().unwrap();
    let renamed = service
        .http
        .patch(service.url(&format!("/v1/me/authenticators/{id}")))
        .bearer_auth(&token)
        .json(&json!({ "name": "Blue key" }))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.json::<Value>().await.unwrap()["name"], "Blue key");
    let removed = service
        .http
        .delete(service.url(&format!("/v1/me/authenticators/{id}?reason=lost")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    assert!(stored_keys(&service).await.is_empty());
    service.stop().await;
}

async fn a_registration_finishes_once_and_only_for_its_challenge(backend: Backend) {
    let service = TestService::start(backend).await;
    let token = service.ada_token().await;
    let (mut key, _ca) = SoftToken::new(false).unwrap();
    let first = start(&service, &token).await;
    let second = start(&service, &token).await;
    let for_first = key.do_registration(origin(), first.options).unwrap();

    let crossed = finish(&service, &token, &second.id, "", &for_first).await;
    expect_problem(crossed, 422, "security_key_rejected").await;
    let ok = finish(&service, &token, &first.id, "", &for_first).await;
    assert_eq!(ok.status(), StatusCode::CREATED);
    let named: Value = ok.json().await.unwrap();
    assert_eq!(
        named["name"], "Security key",
        "the model's name when none is given"
    );
    let twice = finish(&service, &token, &first.id, "", &for_first).await;
    expect_problem(twice, 409, "registration_invalid").await;
    let unknown = finish(&service, &token, "no-such-registration", "", &for_first).await;
    expect_problem(unknown, 409, "registration_invalid").await;

    // Another person cannot finish ada's registration.
    let third = start(&service, &token).await;
    let for_third = key.do_registration(origin(), third.options).unwrap();
    let grace: Value = service
        .sign_in("grace", "nanosecond-wire-30cm", "1976-12-09", "135790")
        .await
        .json()
        .await
        .unwrap();
    let foreign = finish(
        &service,
        grace["token"].as_str().unwrap(),
        &third.id,
        "",
        &for_third,
    )
    .await;
    expect_problem(foreign, 409, "registration_invalid").await;

    let malformed = service
        .http
        .post(service.url(&format!("/v1/me/security-keys/registrations/{}", third.id)))
        .bearer_auth(&token)
        .json(&json!({ "name": "x", "credential": { "id": 5 } }))
        .send()
        .await
        .unwrap();
    expect_problem(malformed, 422, "invalid_field").await;
    assert_eq!(
        stored_keys(&service).await.len(),
        1,
        "only the one good registration"
    );
    let failures = service
        .audit()
        .await
        .into_iter()
        .filter(|r| r.event == "security_key_registration_failed")
        .count();
    assert_eq!(failures, 4);
    service.stop().await;
}

async fn a_model_outside_the_allow_list_is_refused(backend: Backend) {
    let other_model = uuid::Uuid::from_u128(0x2fc0579f_8113_47ea_b116_bb5a8db9202a);
    let service = TestService::start_with(backend, |config| {
        config.security_keys.allowed_aaguids = vec![other_model];
    })
    .await;
    let token = service.ada_token().await;
    let (mut key, _ca) = SoftToken::new(false).unwrap();
    let started = start(&service, &token).await;
    let credential = key.do_registration(origin(), started.options).unwrap();
    let refused = finish(&service, &token, &started.id, "", &credential).await;
    expect_problem(refused, 422, "security_key_model_not_allowed").await;
    assert!(stored_keys(&service).await.is_empty());
    assert!(
        service.outbox().await.is_empty(),
        "nothing added, nothing announced"
    );
    service.stop().await;

    let service = TestService::start_with(backend, |config| {
        config.security_keys.allowed_aaguids = vec![AAGUID];
    })
    .await;
    let token = service.ada_token().await;
    let started = start(&service, &token).await;
    let credential = key.do_registration(origin(), started.options).unwrap();
    assert_eq!(
        finish(&service, &token, &started.id, "", &credential)
            .await
            .status(),
        StatusCode::CREATED
    );
    service.stop().await;
}
