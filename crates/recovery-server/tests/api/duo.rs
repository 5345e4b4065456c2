//! The Duo provider against the Duo emulator, which checks every request's signature the way
//! Duo does and keeps Duo's state; faults are injected where Duo would fail.

use std::time::Duration as StdDuration;

use duo_emulator::{DuoEmulator, EmulatorKeys, Fault, Permission};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{
    on_both_databases,
    support::{expect_problem, Backend, TestService, ADA, ADA_PASSWORD},
};
use recovery_api::Secret;
use recovery_server::{
    config::ProviderKind,
    mfa::duo::client::{DuoApplication, DuoConfig},
};

on_both_databases!(
    devices_and_a_one_use_bypass_code_come_from_duo,
    a_landline_is_proven_by_an_answered_call,
    reactivation_removal_resync_and_unsupported_keys,
    duo_faults_give_clear_answers,
    a_new_self_service_code_revokes_the_previous_one_at_duo,
);

/// RFC 4226's test key: the token's codes are known.
const TOKEN_SECRET: &[u8] = b"12345678901234567890";

struct DuoSetup {
    duo: DuoEmulator,
    user_id: String,
    phone_id: String,
    token_id: String,
}

async fn emulator() -> DuoSetup {
    let duo = DuoEmulator::start(EmulatorKeys::example()).await;
    let user_id = duo.add_user(ADA);
    let phone_id = duo.add_phone(&user_id, "+12015550123", "mobile", "apple ios", true);
    let token_id = duo.add_token(&user_id, "D-100-7", TOKEN_SECRET, 0);
    duo.add_webauthn(&user_id, "YubiKey 5");
    DuoSetup {
        duo,
        user_id,
        phone_id,
        token_id,
    }
}

fn duo_config(duo: &DuoEmulator, admin_secret: &str) -> DuoConfig {
    let keys = duo.keys();
    DuoConfig {
        api_host: duo.api_host().to_owned(),
        admin: DuoApplication {
            integration_key: keys.admin_ikey.clone(),
            secret_key: Secret::new(admin_secret),
        },
        auth: DuoApplication {
            integration_key: keys.auth_ikey.clone(),
            secret_key: Secret::new(keys.auth_skey.clone()),
        },
        base_url: Some(duo.base_url()),
        timeout_seconds: 2,
        max_retry_wait_seconds: 2,
    }
}

async fn service(backend: Backend, duo: &DuoEmulator) -> TestService {
    let config = duo_config(duo, &duo.keys().admin_skey.clone());
    TestService::start_with(backend, |c| {
        c.provider = ProviderKind::Duo;
        c.duo = Some(config);
    })
    .await
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

async fn devices_and_a_one_use_bypass_code_come_from_duo(backend: Backend) {
    let setup = emulator().await;
    let service = service(backend, &setup.duo).await;
    setup
        .duo
        .add_bypass_code(&setup.user_id, "111222333", 1, 3600);
    let token = service.ada_token().await;
    let listed = devices(&service, &token).await;
    let kinds: Vec<&str> = listed.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["phone", "hardware_token", "security_key"],
        "{listed:?}"
    );
    assert_eq!(listed[0]["id"], format!("phone:{}", setup.phone_id));
    assert_eq!(listed[0]["phone"]["platform"], "ios");
    assert_eq!(listed[0]["phone"]["app_activated"], true);
    assert_eq!(listed[0]["phone"]["number_hint"], "•••• 0123");
    assert_eq!(listed[2]["name"], "YubiKey 5");

    let code = service.bypass_code(&token).await;
    let codes = setup.duo.bypass_codes(&setup.user_id);
    assert_eq!(
        codes.len(),
        2,
        "the help desk's code is preserved: {codes:?}"
    );
    let signed_in = service
        .sign_in_with_passcode(ADA, ADA_PASSWORD, &code)
        .await;
    assert_eq!(signed_in.status(), StatusCode::CREATED);
    let again = service
        .sign_in_with_passcode(ADA, ADA_PASSWORD, &code)
        .await;
    expect_problem(again, 401, "verification_failed").await;
    // A user Duo holds in `bypass` status would pass any code at Duo: refused here.
    setup.duo.set_user_status(&setup.user_id, "bypass");
    let any = service
        .sign_in_with_passcode(ADA, ADA_PASSWORD, "123456789")
        .await;
    expect_problem(any, 401, "verification_failed").await;
    let log = setup.duo.request_log();
    assert!(
        log.iter()
            .all(|r| r.path == "/auth/v2/ping" || r.signature_valid == Some(true)),
        "{log:?}"
    );
    service.stop().await;
}

async fn a_landline_is_proven_by_an_answered_call(backend: Backend) {
    let setup = emulator().await;
    let service = service(backend, &setup.duo).await;
    let token = service.ada_token().await;
    let add = |number: &'static str| {
        let (http, url, token) = (
            service.http.clone(),
            service.url("/v1/me/phones"),
            token.clone(),
        );
        async move {
            http.post(url)
                .bearer_auth(token)
                .json(&json!({ "number": number, "extension": "42", "type": "landline" }))
                .send()
                .await
                .unwrap()
        }
    };
    let verify = |id: String, body: Value| {
        let (http, url, token) = (
            service.http.clone(),
            service.url(&format!("/v1/me/phones/{id}/verify")),
            token.clone(),
        );
        async move {
            http.post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };

    let added = add("+1 201 555 0199").await;
    assert_eq!(added.status(), StatusCode::CREATED);
    let added: Value = added.json().await.unwrap();
    assert_eq!(added["delivery"], "answer_call");
    let id = added["id"].as_str().unwrap().to_owned();
    let with_code = verify(id.clone(), json!({ "code": "123456" })).await;
    expect_problem(with_code, 422, "invalid_field").await;
    let waiting = verify(id.clone(), json!({})).await;
    assert_eq!(waiting.status(), StatusCode::ACCEPTED);
    let call = setup.duo.calls().pop().expect("a verification call");
    assert!(setup.duo.answer_call(&call.txid, true));
    let verified = verify(id.clone(), json!({})).await;
    assert_eq!(verified.status(), StatusCode::OK);
    assert_eq!(verified.json::<Value>().await.unwrap()["status"], "active");
    assert!(setup
        .duo
        .phones_of(&setup.user_id)
        .iter()
        .any(|p| p.number == "+12015550199" && p.extension == "42"));

    let denied: Value = add("+1 201 555 0188").await.json().await.unwrap();
    let denied_id = denied["id"].as_str().unwrap().to_owned();
    let call = setup.duo.calls().pop().unwrap();
    setup.duo.answer_call(&call.txid, false);
    expect_problem(
        verify(denied_id, json!({})).await,
        410,
        "verification_expired",
    )
    .await;
    assert!(
        setup
            .duo
            .phones()
            .iter()
            .all(|p| p.number != "+12015550188"),
        "an unproven phone is deleted again"
    );
    service.stop().await;
}

async fn reactivation_removal_resync_and_unsupported_keys(backend: Backend) {
    let setup = emulator().await;
    let service = service(backend, &setup.duo).await;
    let token = service.ada_token().await;
    let phone = format!("phone:{}", setup.phone_id);
    let activation = service
        .post_with(&format!("/v1/me/phones/{phone}/activation"), &token)
        .await;
    assert_eq!(activation.status(), StatusCode::CREATED);
    let activation: Value = activation.json().await.unwrap();
    assert!(
        activation["activation_url"]
            .as_str()
            .unwrap()
            .starts_with("https://"),
        "{activation}"
    );
    let texted = service
        .post_with(&format!("/v1/me/phones/{phone}/activation/sms"), &token)
        .await;
    assert_eq!(texted.status(), StatusCode::ACCEPTED);
    assert_eq!(setup.duo.sms_activations().len(), 1);

    let token_device = format!("token:{}", setup.token_id);
    let codes: Vec<String> = (40..43)
        .map(|c| duo_emulator::hotp(TOKEN_SECRET, c, 6))
        .collect();
    let resync = |codes: Value| {
        let (http, url, token) = (
            service.http.clone(),
            service.url(&format!("/v1/me/hardware-tokens/{token_device}/resync")),
            token.clone(),
        );
        async move {
            http.post(url)
                .bearer_auth(token)
                .json(&json!({ "codes": codes }))
                .send()
                .await
                .unwrap()
        }
    };
    expect_problem(
        resync(json!([codes[0], codes[1]])).await,
        422,
        "invalid_field",
    )
    .await;
    assert_eq!(resync(json!(codes)).await.status(), StatusCode::OK);
    assert!(setup.duo.token_counter(&setup.token_id).unwrap() >= 43);

    let key = service
        .post_with("/v1/me/security-keys/registrations", &token)
        .await;
    let problem = expect_problem(key, 501, "unsupported").await;
    assert_eq!(
        problem["detail"],
        "Your organisation's MFA system does not support registering security keys here; \
         add one in Duo's device management portal.",
    );

    let removed = service
        .http
        .delete(service.url(&format!("/v1/me/authenticators/{phone}?reason=stolen")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    assert!(
        setup.duo.phone(&setup.phone_id).is_none(),
        "no one else used it: deleted"
    );
    let key = setup.duo.webauthn_of(&setup.user_id)[0].webauthnkey.clone();
    let removed_key = service
        .http
        .delete(service.url(&format!("/v1/me/authenticators/webauthn:{key}?reason=lost")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(removed_key.status(), StatusCode::NO_CONTENT);
    assert!(setup.duo.webauthn_of(&setup.user_id).is_empty());
    let foreign = service
        .http
        .delete(service.url("/v1/me/authenticators/phone:DPNOTADAS00000000000?reason=lost"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    expect_problem(foreign, 404, "not_found").await;
    service.stop().await;
}

async fn duo_faults_give_clear_answers(backend: Backend) {
    let setup = emulator().await;
    setup.duo.set_clock_skew(200);
    let service = service(backend, &setup.duo).await;
    let token = service.ada_token().await;
    // Duo's clock runs 200 s ahead: the offset measured at start keeps signatures fresh.
    assert_eq!(devices(&service, &token).await.len(), 3);

    setup.duo.fail_next(2, Fault::RateLimited);
    assert_eq!(
        devices(&service, &token).await.len(),
        3,
        "429s are retried with backoff"
    );

    setup.duo.fail_next(10, Fault::ServerError);
    let down = service.get_with("/v1/me/authenticators", &token).await;
    expect_problem(down, 503, "unavailable").await;
    setup.duo.clear_faults();

    // Attempts that end in an error are not guesses: they give their throttle charge back.
    setup.duo.fail_next(100, Fault::ServerError);
    for _ in 0..6 {
        let failed = service
            .sign_in_with_passcode(ADA, ADA_PASSWORD, "123456789")
            .await;
        expect_problem(failed, 503, "unavailable").await;
    }
    setup.duo.clear_faults();
    tokio::time::sleep(StdDuration::from_millis(200)).await;
    // Sign-in still works, and its session is the one used from here on.
    let token = service.ada_token().await;

    setup
        .duo
        .fail_next(1, Fault::Slow(StdDuration::from_secs(3)));
    let slow = service.post_with("/v1/me/bypass-codes", &token).await;
    expect_problem(slow, 503, "unavailable").await;
    setup.duo.clear_faults();
    service.stop().await;

    let misconfigured = {
        let config = duo_config(&setup.duo, "not-the-secret-key-at-all-00000000000000");
        TestService::start_with(backend, |c| {
            c.provider = ProviderKind::Duo;
            c.duo = Some(config);
        })
        .await
    };
    let token = misconfigured.ada_token().await;
    let refused = misconfigured
        .get_with("/v1/me/authenticators", &token)
        .await;
    let problem = expect_problem(refused, 503, "service_misconfigured").await;
    assert!(
        !problem.to_string().contains("not-the-secret"),
        "no key in the answer"
    );
    misconfigured.stop().await;

    // A missing API permission is a misconfiguration too, named in the log, not to the person.
    let service = self::service(backend, &setup.duo).await;
    let token = service.ada_token().await;
    let admin = setup.duo.keys().admin_ikey.clone();
    setup
        .duo
        .revoke_permission(&admin, Permission::WriteResource);
    let refused = service.post_with("/v1/me/bypass-codes", &token).await;
    expect_problem(refused, 503, "service_misconfigured").await;
    service.stop().await;
}

/// README: "a new one revokes the previous self-service code". At Duo too: the old code no
/// longer signs in, while the help desk's codes (given in Duo's panel or by this service's
/// `bypass-code issue`) keep working.
async fn a_new_self_service_code_revokes_the_previous_one_at_duo(backend: Backend) {
    use recovery_server::{client::Client, flows, mfa::BypassCodeOrigin};

    let setup = emulator().await;
    let service = service(backend, &setup.duo).await;
    setup
        .duo
        .add_bypass_code(&setup.user_id, "111222333", 1, 3600);
    let token = service.ada_token().await;
    let first = service.bypass_code(&token).await;
    let ada = service
        .app
        .directory
        .find_by_username(ADA)
        .await
        .unwrap()
        .unwrap();
    let help_desk = flows::bypass_code::issue(
        &service.app,
        &Client::admin_cli(),
        &ada,
        BypassCodeOrigin::HelpDesk,
        None,
    )
    .await
    .unwrap();
    let help_desk = help_desk.code.secret().expose().to_owned();
    let second = service.bypass_code(&token).await;
    assert_eq!(
        setup.duo.bypass_codes(&setup.user_id).len(),
        3,
        "the panel's code, the help desk's code and the second self-service code"
    );

    let old = service
        .sign_in_with_passcode(ADA, ADA_PASSWORD, &first)
        .await;
    expect_problem(old, 401, "verification_failed").await;
    for code in ["111222333", help_desk.as_str(), second.as_str()] {
        let signed_in = service.sign_in_with_passcode(ADA, ADA_PASSWORD, code).await;
        assert_eq!(
            signed_in.status(),
            StatusCode::CREATED,
            "{code} still works"
        );
    }
    let log = setup.duo.request_log();
    let deletes: Vec<_> = log
        .iter()
        .filter(|r| r.method == "DELETE" && r.path.starts_with("/admin/v1/bypass_codes/"))
        .collect();
    assert_eq!(deletes.len(), 1, "{log:?}");
    assert_eq!(deletes[0].signature_valid, Some(true));

    // A third code revokes the second, which was already used up: no error.
    let third_session = service.ada_token().await;
    service.bypass_code(&third_session).await;
    service.stop().await;
}
