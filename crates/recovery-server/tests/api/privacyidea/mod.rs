//! The privacyIDEA provider against a real privacyIDEA 3.14, which `cargo xtask test` installs,
//! starts on loopback and seeds (realm, passwd resolver, policies; see xtask/src/privacyidea.rs).
//! Each test adds its own people to privacyIDEA's users file and to the directory, so tests
//! running at once never share a person. Without that server these tests fail and say so.

mod admin_session;
mod fixture;
mod security_keys;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{
    on_both_databases,
    support::{expect_problem, Backend, TestService},
};
use fixture::{devices, hotp_code, pi, remove, session, PASSWORD};
use recovery_api::Secret;
use recovery_server::{
    config::ProviderKind,
    otp::{self, OtpSecret},
};

on_both_databases!(
    devices_come_from_privacyidea_and_a_bypass_code_works_once,
    a_new_self_service_code_replaces_only_the_previous_one,
    wrong_passcodes_and_foreign_serials_change_nothing,
    resync_rename_and_removal_touch_only_the_named_token,
    a_new_phone_gets_a_new_totp_and_the_lost_one_is_disabled,
    privacyidea_faults_give_clear_answers,
);

async fn devices_come_from_privacyidea_and_a_bypass_code_works_once(backend: Backend) {
    let pi = pi();
    let service = pi.service(backend).await;
    let user = pi.person(&service).await;
    let hotp = pi.hotp(&user).await;
    let totp = pi.totp(&user).await;
    let token = session(&service, &user).await;
    let listed = devices(&service, &token).await;
    let by_id = |id: &str| listed.iter().find(|d| d["id"] == id).cloned().unwrap();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(by_id(&hotp)["kind"], "hardware_token");
    assert_eq!(by_id(&hotp)["name"], "Desk token");
    assert_eq!(by_id(&totp)["kind"], "phone");
    assert_eq!(by_id(&totp)["status"], "active");

    // A help-desk code, then a self-service one: both are registration tokens.
    let desk = service
        .app
        .mfa
        .issue_bypass_code(
            &mut recovery_server::storage::UnitOfWork::new(&service.app.db),
            &service
                .app
                .directory
                .find_by_username(&user)
                .await
                .unwrap()
                .unwrap(),
            recovery_server::mfa::BypassCodeOrigin::HelpDesk,
            time::Duration::minutes(10),
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    let issued = service.post_with("/v1/me/bypass-codes", &token).await;
    assert_eq!(issued.status(), StatusCode::CREATED);
    let issued: Value = issued.json().await.unwrap();
    let code = issued["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 9);
    let registrations: Vec<Value> = pi
        .tokens(&user)
        .await
        .into_iter()
        .filter(|t| t["tokentype"] == "registration")
        .collect();
    assert_eq!(registrations.len(), 2, "{registrations:?}");
    assert!(registrations
        .iter()
        .all(|t| t["info"]["validity_period_end"].is_string()));
    // The code stops working at privacyIDEA when the person is told it does (to the minute,
    // privacyIDEA's precision), within the configured 10 minutes.
    let expires_at = time::OffsetDateTime::parse(
        issued["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let ends = registrations
        .iter()
        .map(|t| {
            t["info"]["validity_period_end"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect::<Vec<_>>();
    let expected = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}+0000",
        expires_at.year(),
        u8::from(expires_at.month()),
        expires_at.day(),
        expires_at.hour(),
        expires_at.minute()
    );
    assert!(ends.contains(&expected), "{ends:?} vs {expires_at}");
    let left = expires_at - service.app.clock.now();
    assert!(
        left <= time::Duration::minutes(10) && left > time::Duration::minutes(8),
        "{left}"
    );
    assert_eq!(
        devices(&service, &token).await.len(),
        2,
        "codes are no devices"
    );

    let signed_in = service.sign_in_with_passcode(&user, PASSWORD, &code).await;
    assert_eq!(signed_in.status(), StatusCode::CREATED);
    let again = service.sign_in_with_passcode(&user, PASSWORD, &code).await;
    expect_problem(again, 401, "verification_failed").await;
    let desk_code = desk.code.into_secret();
    let with_desk = service
        .sign_in_with_passcode(&user, PASSWORD, desk_code.expose())
        .await;
    assert_eq!(with_desk.status(), StatusCode::CREATED);
    // A device's code works too: the HOTP token's first code.
    let with_token = service
        .sign_in_with_passcode(&user, PASSWORD, &hotp_code(0))
        .await;
    assert_eq!(with_token.status(), StatusCode::CREATED);
    service.stop().await;
}

async fn a_new_self_service_code_replaces_only_the_previous_one(backend: Backend) {
    let pi = pi();
    let service = pi.service(backend).await;
    let user = pi.person(&service).await;
    // A registration token the help desk made in privacyIDEA itself.
    let foreign = pi.enroll(&user, &[("type", "registration")]).await;
    let token = session(&service, &user).await;
    let first = service.bypass_code(&token).await;
    let second = service.bypass_code(&token).await;
    let serials: Vec<String> = pi
        .tokens(&user)
        .await
        .iter()
        .map(|t| t["serial"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        serials.len(),
        2,
        "the first self-service code is gone: {serials:?}"
    );
    assert!(serials.contains(&foreign), "the help desk's code survives");
    let old = service.sign_in_with_passcode(&user, PASSWORD, &first).await;
    expect_problem(old, 401, "verification_failed").await;
    let new = service
        .sign_in_with_passcode(&user, PASSWORD, &second)
        .await;
    assert_eq!(new.status(), StatusCode::CREATED);
    service.stop().await;
}

async fn wrong_passcodes_and_foreign_serials_change_nothing(backend: Backend) {
    let pi = pi();
    let service = pi.service(backend).await;
    let user = pi.person(&service).await;
    let other = pi.person(&service).await;
    pi.hotp(&user).await;
    let theirs = pi.totp(&other).await;
    let wrong = service
        .sign_in_with_passcode(&user, PASSWORD, "123456789")
        .await;
    expect_problem(wrong, 401, "verification_failed").await;
    let wrong = service
        .sign_in_with_passcode(&user, PASSWORD, "000000")
        .await;
    expect_problem(wrong, 401, "verification_failed").await;

    let token = session(&service, &user).await;
    expect_problem(remove(&service, &token, &theirs).await, 404, "not_found").await;
    expect_problem(remove(&service, &token, "TOTP*").await, 404, "not_found").await;
    let renamed = service
        .http
        .patch(service.url(&format!("/v1/me/authenticators/{theirs}")))
        .bearer_auth(&token)
        .json(&json!({ "name": "Mine now" }))
        .send()
        .await
        .unwrap();
    expect_problem(renamed, 404, "not_found").await;
    let activation = service
        .post_with(&format!("/v1/me/phones/{theirs}/activation"), &token)
        .await;
    expect_problem(activation, 404, "not_found").await;
    let untouched = pi.token(&other, &theirs).await;
    assert_eq!(untouched["active"], true);
    assert_eq!(untouched["revoked"], false);
    assert_eq!(untouched["description"], "Old phone");
    service.stop().await;
}

async fn resync_rename_and_removal_touch_only_the_named_token(backend: Backend) {
    let pi = pi();
    let service = pi.service(backend).await;
    let user = pi.person(&service).await;
    let hotp = pi.hotp(&user).await;
    let totp = pi.totp(&user).await;
    let token = session(&service, &user).await;

    // Pressed 50 times away from privacyIDEA: outside its window of 10.
    let drifted = service
        .sign_in_with_passcode(&user, PASSWORD, &hotp_code(50))
        .await;
    expect_problem(drifted, 401, "verification_failed").await;
    let resync = |codes: Value| {
        service
            .http
            .post(service.url(&format!("/v1/me/hardware-tokens/{hotp}/resync")))
            .bearer_auth(&token)
            .json(&json!({ "codes": codes }))
            .send()
    };
    let bad = resync(json!(["111111", "222222"])).await.unwrap();
    expect_problem(bad, 422, "resync_failed").await;
    let good = resync(json!([hotp_code(51), hotp_code(52)])).await.unwrap();
    assert_eq!(good.status(), StatusCode::OK);
    let next = service
        .sign_in_with_passcode(&user, PASSWORD, &hotp_code(53))
        .await;
    assert_eq!(next.status(), StatusCode::CREATED, "in step again");
    let token: Value = next.json().await.unwrap();
    let token = token["token"].as_str().unwrap().to_owned();
    let not_a_token = service
        .http
        .post(service.url(&format!("/v1/me/hardware-tokens/{totp}/resync")))
        .bearer_auth(&token)
        .json(&json!({ "codes": ["123456", "234567"] }))
        .send()
        .await
        .unwrap();
    expect_problem(not_a_token, 404, "not_found").await;

    let renamed = service
        .http
        .patch(service.url(&format!("/v1/me/authenticators/{totp}")))
        .bearer_auth(&token)
        .json(&json!({ "name": "Work phone" }))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.json::<Value>().await.unwrap()["name"], "Work phone");
    assert_eq!(pi.token(&user, &totp).await["description"], "Work phone");

    let removed = remove(&service, &token, &totp).await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    let gone = pi.token(&user, &totp).await;
    assert_eq!(
        (gone["revoked"].clone(), gone["active"].clone()),
        (json!(true), json!(false))
    );
    let kept = pi.token(&user, &hotp).await;
    assert_eq!(kept["revoked"], false, "the other token of the same person");
    assert_eq!(kept["active"], true);
    let listed = devices(&service, &token).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert!(service
        .audit()
        .await
        .iter()
        .any(|r| r.event == "hardware_token_resynced"));
    service.stop().await;
}

async fn a_new_phone_gets_a_new_totp_and_the_lost_one_is_disabled(backend: Backend) {
    let pi = pi();
    let service = pi.service(backend).await;
    let user = pi.person(&service).await;
    let old = pi.totp(&user).await;
    let token = session(&service, &user).await;
    let created = service
        .post_with(&format!("/v1/me/phones/{old}/activation"), &token)
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    let uri = created["activation_url"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    let secret = url::Url::parse(uri)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "secret")
        .unwrap()
        .1
        .into_owned();
    assert_eq!(
        pi.token(&user, &old).await["active"],
        false,
        "the lost phone"
    );
    // One live key per phone: the replaced phone gets no second one, and nothing is enrolled.
    let twice = service
        .post_with(&format!("/v1/me/phones/{old}/activation"), &token)
        .await;
    expect_problem(twice, 404, "not_found").await;
    let tokens = pi.tokens(&user).await;
    assert_eq!(tokens.len(), 2, "{tokens:?}");
    let new = tokens.iter().find(|t| t["serial"] != old.as_str()).unwrap();
    assert_eq!(
        (new["tokentype"].clone(), new["active"].clone()),
        (json!("totp"), json!(true))
    );
    // The scanned key signs in.
    let key = OtpSecret::from_base32(&secret).unwrap();
    let now = time::OffsetDateTime::now_utc();
    let code = otp::hotp(&key, otp::totp_step(now));
    let signed_in = service.sign_in_with_passcode(&user, PASSWORD, &code).await;
    assert_eq!(signed_in.status(), StatusCode::CREATED);
    // That sign-in ended the older session.
    let signed_in: Value = signed_in.json().await.unwrap();
    let token = signed_in["token"].as_str().unwrap().to_owned();

    let texted = service
        .post_with(
            &format!(
                "/v1/me/phones/{}/activation/sms",
                new["serial"].as_str().unwrap()
            ),
            &token,
        )
        .await;
    expect_problem(texted, 501, "unsupported").await;
    let landline = service
        .http
        .post(service.url("/v1/me/phones"))
        .bearer_auth(&token)
        .json(&json!({ "number": "+1 201 555 0199", "type": "landline" }))
        .send()
        .await
        .unwrap();
    let problem = expect_problem(landline, 501, "unsupported").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("help desk"),
        "{problem}"
    );
    service.stop().await;
}

async fn privacyidea_faults_give_clear_answers(backend: Backend) {
    let pi = pi();
    let mut wrong = pi.config();
    wrong.admin_password = Some(Secret::new("not-the-password"));
    let service = TestService::start_with(backend, |c| {
        c.provider = ProviderKind::PrivacyIdea;
        c.privacyidea = Some(wrong);
    })
    .await;
    let user = pi.person(&service).await;
    let token = session(&service, &user).await;
    let refused = service.get_with("/v1/me/authenticators", &token).await;
    expect_problem(refused, 503, "service_misconfigured").await;
    service.stop().await;

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut down = pi.config();
    down.base_url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let service = TestService::start_with(backend, |c| {
        c.provider = ProviderKind::PrivacyIdea;
        c.privacyidea = Some(down);
    })
    .await;
    let user = pi.person(&service).await;
    let token = session(&service, &user).await;
    let unreachable = service.get_with("/v1/me/authenticators", &token).await;
    expect_problem(unreachable, 503, "unavailable").await;
    let code = service.post_with("/v1/me/bypass-codes", &token).await;
    expect_problem(code, 503, "unavailable").await;
    service.stop().await;
}
