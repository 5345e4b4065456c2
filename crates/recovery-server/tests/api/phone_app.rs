//! "I have a new phone": a single-use activation link that re-enrols the phone app (TOTP).

use reqwest::StatusCode;
use serde_json::Value;
use time::Duration;

use crate::{
    on_both_databases,
    support::{expect_problem, Backend, TestService, ADA, ADA_EMAIL, ADA_PASSWORD},
};
use recovery_api::demo::Channel;
use recovery_server::{
    clock::Clock,
    otp::{self, OtpSecret},
};

on_both_databases!(
    an_activation_link_enrols_a_new_phone_app_once,
    a_texted_link_works_and_the_newest_link_wins,
    activation_refuses_other_devices_and_bad_links,
);

async fn ada_phone_id(service: &TestService, token: &str) -> String {
    let body: Value = service
        .get_with("/v1/me/authenticators", token)
        .await
        .json()
        .await
        .unwrap();
    body["authenticators"][0]["id"].as_str().unwrap().to_owned()
}

async fn activation(service: &TestService, token: &str, phone: &str) -> Value {
    let response = service
        .post_with(&format!("/v1/me/phones/{phone}/activation"), token)
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

fn secret_of(uri: &str) -> OtpSecret {
    let secret = uri
        .split("secret=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    OtpSecret::from_base32(secret).unwrap()
}

async fn an_activation_link_enrols_a_new_phone_app_once(backend: Backend) {
    let service = TestService::start(backend).await;
    let token = service.ada_token().await;
    let phone = ada_phone_id(&service, &token).await;
    let created = activation(&service, &token, &phone).await;
    let url = created["activation_url"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with(&format!("{}/v1/activations/", service.base)),
        "{url}"
    );
    let code = url.rsplit('/').next().unwrap();
    assert!(code.len() >= 19, "at least 112 bits: {code}");
    let expires_at = time::OffsetDateTime::parse(
        created["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!(expires_at - service.clock.now() <= Duration::minutes(10));

    let page = service.http.get(&url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("<form method=\"post\">"),
        "GET only shows a button"
    );

    let redeemed = service.http.post(&url).send().await.unwrap();
    assert_eq!(redeemed.status(), StatusCode::OK);
    let redeemed: Value = redeemed.json().await.unwrap();
    let uri = redeemed["otpauth_uri"].as_str().unwrap();
    assert!(
        uri.starts_with("otpauth://totp/Example%20University:ada?secret="),
        "{uri}"
    );
    let again = service.http.post(&url).send().await.unwrap();
    expect_problem(again, 410, "activation_invalid").await;

    // The new app's code signs in, once.
    let secret = secret_of(uri);
    let step = otp::totp_step(service.clock.now());
    let code = otp::hotp(&secret, step);
    let signed_in = service
        .sign_in_with_passcode(ADA, ADA_PASSWORD, &code)
        .await;
    assert_eq!(signed_in.status(), StatusCode::CREATED);
    let replayed = service
        .sign_in_with_passcode(ADA, ADA_PASSWORD, &code)
        .await;
    expect_problem(replayed, 401, "verification_failed").await;

    let notices: Vec<_> = service
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.to == ADA_EMAIL)
        .collect();
    assert!(notices
        .iter()
        .any(|n| n.body.contains("link to set up your phone app")));
    assert!(notices
        .iter()
        .any(|n| n.body.contains("was set up on a new phone")));
    let audit = serde_json::to_string(&service.audit().await).unwrap();
    assert!(audit.contains("activation_link_created") && audit.contains("phone_app_reactivated"));
    assert!(!audit.contains(code.as_str()) || code.len() < 6);
    assert!(
        !audit.contains(url.rsplit('/').next().unwrap()),
        "the link is not audited"
    );
    service.stop().await;
}

async fn a_texted_link_works_and_the_newest_link_wins(backend: Backend) {
    let service = TestService::start(backend).await;
    let token = service.ada_token().await;
    let phone = ada_phone_id(&service, &token).await;
    let shown = activation(&service, &token, &phone).await;
    let texted = service
        .post_with(&format!("/v1/me/phones/{phone}/activation/sms"), &token)
        .await;
    assert_eq!(texted.status(), StatusCode::ACCEPTED);
    let texted: Value = texted.json().await.unwrap();
    assert_eq!(texted["number_hint"], "•••• 0123");
    let sms = service
        .outbox()
        .await
        .into_iter()
        .find(|m| m.channel == Channel::Sms)
        .expect("an SMS");
    assert_eq!(sms.to, "+12015550123");
    let link = sms
        .body
        .split_whitespace()
        .find(|w| w.starts_with("http"))
        .unwrap()
        .to_owned();

    let old = service
        .http
        .post(shown["activation_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    expect_problem(old, 410, "activation_invalid").await;
    let new = service
        .http
        .post(&link)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(new.status(), StatusCode::OK);
    assert!(new.text().await.unwrap().contains("href=\"otpauth://totp/"));
    service.stop().await;
}

async fn activation_refuses_other_devices_and_bad_links(backend: Backend) {
    let service = TestService::start(backend).await;
    let token = service.ada_token().await;
    let grace = service
        .sign_in("grace", "nanosecond-wire-30cm", "1976-12-09", "135790")
        .await;
    let grace: Value = grace.json().await.unwrap();
    let grace_token = grace["token"].as_str().unwrap();
    let grace_phone = ada_phone_id(&service, grace_token).await;
    let foreign = service
        .post_with(&format!("/v1/me/phones/{grace_phone}/activation"), &token)
        .await;
    expect_problem(foreign, 404, "not_found").await;
    let unknown = service
        .post_with("/v1/me/phones/nope/activation", &token)
        .await;
    expect_problem(unknown, 404, "not_found").await;
    let forged = service
        .http
        .post(service.url("/v1/activations/AAAAAAAAAAAAAAAAAAAAAA"))
        .send()
        .await
        .unwrap();
    expect_problem(forged, 410, "activation_invalid").await;
    let phone = ada_phone_id(&service, &token).await;
    let created = activation(&service, &token, &phone).await;
    service.clock.advance(Duration::minutes(10));
    let late = service
        .http
        .post(created["activation_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    expect_problem(late, 410, "activation_invalid").await;
    service.stop().await;
}
