//! Security keys through privacyIDEA's two-step WebAuthn enrolment, answered by
//! webauthn-authenticator-rs's software key through its real CTAP2 client code.

use reqwest::StatusCode;
use serde_json::{json, Value};
use webauthn_authenticator_rs::{softtoken::SoftToken, WebauthnAuthenticator};

use super::fixture::{devices, pi, session, Pi};
use crate::{
    on_both_databases,
    support::{expect_problem, Backend, TestService},
};
use recovery_api::security_key::RegistrationStarted;

on_both_databases!(a_security_key_registers_through_privacyidea);

async fn register(
    service: &TestService,
    token: &str,
    pi: &Pi,
    key: &mut SoftToken,
    name: &str,
) -> reqwest::Response {
    let started = service
        .post_with("/v1/me/security-keys/registrations", token)
        .await;
    assert_eq!(started.status(), StatusCode::CREATED);
    let started: RegistrationStarted = started.json().await.unwrap();
    assert_eq!(started.origin, pi.origin());
    let origin = url::Url::parse(&started.origin).unwrap();
    let credential = key.do_registration(origin, started.options).unwrap();
    service
        .http
        .post(service.url(&format!(
            "/v1/me/security-keys/registrations/{}",
            started.id
        )))
        .bearer_auth(token)
        .json(&json!({ "name": name, "credential": credential }))
        .send()
        .await
        .unwrap()
}

async fn a_security_key_registers_through_privacyidea(backend: Backend) {
    let pi = pi();
    let service = pi.service(backend).await;
    let user = pi.person(&service).await;
    let token = session(&service, &user).await;
    let (mut key, _ca) = SoftToken::new(false).unwrap();
    let registered = register(&service, &token, &pi, &mut key, "Desk key").await;
    assert_eq!(registered.status(), StatusCode::CREATED);
    let registered: Value = registered.json().await.unwrap();
    assert_eq!(registered["kind"], "security_key");
    assert_eq!(registered["name"], "Desk key");
    let serial = registered["id"].as_str().unwrap();
    let stored = pi.token(&user, serial).await;
    assert_eq!(
        (stored["tokentype"].clone(), stored["rollout_state"].clone()),
        (json!("webauthn"), json!("enrolled"))
    );
    assert_eq!(devices(&service, &token).await.len(), 1);

    // Another person cannot finish this person's registration.
    let other = pi.person(&service).await;
    let other_token = session(&service, &other).await;
    let started: RegistrationStarted = service
        .post_with("/v1/me/security-keys/registrations", &token)
        .await
        .json()
        .await
        .unwrap();
    let credential = key
        .do_registration(url::Url::parse(&pi.origin()).unwrap(), started.options)
        .unwrap();
    let foreign = service
        .http
        .post(service.url(&format!(
            "/v1/me/security-keys/registrations/{}",
            started.id
        )))
        .bearer_auth(&other_token)
        .json(&json!({ "name": "", "credential": credential }))
        .send()
        .await
        .unwrap();
    expect_problem(foreign, 409, "registration_invalid").await;
    service.stop().await;
}

/// Why the provider sends `Origin` on step 2: privacyIDEA refuses the enrolment without it.
#[tokio::test]
async fn without_the_origin_header_privacyidea_refuses_a_security_key() {
    let pi = pi();
    let user = pi.add_user();
    let first = pi
        .call(
            reqwest::Method::POST,
            "/token/init",
            &[("type", "webauthn"), ("user", &user), ("realm", &pi.realm)],
        )
        .await;
    let request = first["detail"]["webAuthnRegisterRequest"].clone();
    let serial = request["serialNumber"].as_str().unwrap().to_owned();
    let transaction = request["transaction_id"].as_str().unwrap().to_owned();
    let options: recovery_api::security_key::CreationChallengeResponse = serde_json::from_value(json!({
        "publicKey": {
            "rp": request["relyingParty"],
            "user": { "id": data_encoding::BASE64URL_NOPAD.encode(serial.as_bytes()), "name": user, "displayName": user },
            "challenge": request["nonce"],
            "pubKeyCredParams": [{ "type": "public-key", "alg": -7 }],
            "authenticatorSelection": { "requireResidentKey": false, "userVerification": "preferred" },
            "attestation": "direct",
        }
    }))
    .unwrap();
    let (mut key, _ca) = SoftToken::new(false).unwrap();
    let credential = key
        .do_registration(url::Url::parse(&pi.origin()).unwrap(), options)
        .unwrap();
    let clientdata = data_encoding::BASE64URL_NOPAD.encode(&credential.response.client_data_json);
    let regdata = data_encoding::BASE64URL_NOPAD.encode(&credential.response.attestation_object);
    let form = [
        ("type", "webauthn"),
        ("user", user.as_str()),
        ("realm", pi.realm.as_str()),
        ("serial", serial.as_str()),
        ("transaction_id", transaction.as_str()),
        ("clientdata", clientdata.as_str()),
        ("regdata", regdata.as_str()),
    ];
    let refused = pi.call(reqwest::Method::POST, "/token/init", &form).await;
    assert_eq!(refused["result"]["status"], false, "{refused}");
    assert_eq!(
        pi.token(&user, &serial).await["rollout_state"],
        "clientwait"
    );
}
