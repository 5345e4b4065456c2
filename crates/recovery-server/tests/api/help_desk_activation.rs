//! An agent sends the person a new phone-app activation link, by text to the phone or by
//! e-mail; through the guard, audited with the help desk's detail, never shown to the agent.

use recovery_api::{authenticator::AuthenticatorKind, demo::Channel};
use recovery_server::clock::Clock;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{
    help_desk_support::{count_events, margaret_token, post_as, verified_by_pin, MARGARET},
    on_both_databases,
    support::{expect_problem, Backend, TestService, ADA, ADA_DOB, ADA_EMAIL, ADA_PIN},
};

on_both_databases!(an_agent_sends_an_activation_link_by_text_or_email);

async fn ada_phone(service: &TestService) -> String {
    let ada = service
        .app
        .directory
        .find_by_username(ADA)
        .await
        .unwrap()
        .unwrap();
    service
        .app
        .mfa
        .authenticators(&ada, service.clock.now())
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.kind == AuthenticatorKind::Phone)
        .unwrap()
        .id
}

async fn an_agent_sends_an_activation_link_by_text_or_email(backend: Backend) {
    let service = TestService::start(backend).await;
    let token = margaret_token(&service, 0).await;
    let phone = ada_phone(&service).await;
    let path = format!("/v1/help-desk/people/ada/phones/{phone}/activation");

    let unverified = post_as(
        &service,
        &token,
        &path,
        &json!({ "caller_verification": "nope", "reason": "new phone", "channel": "text" }),
    )
    .await;
    expect_problem(unverified, 403, "caller_not_verified").await;
    let weak = verified_by_pin(&service, &token, ADA, ADA_DOB, ADA_PIN).await;
    let unknown = post_as(
        &service,
        &token,
        "/v1/help-desk/people/ada/phones/no-such-phone/activation",
        &json!({ "caller_verification": weak, "reason": "new phone", "channel": "text" }),
    )
    .await;
    expect_problem(unknown, 404, "not_found").await;
    let bad_channel = post_as(
        &service,
        &token,
        &path,
        &json!({ "caller_verification": weak, "reason": "new phone", "channel": "fax" }),
    )
    .await;
    expect_problem(bad_channel, 422, "invalid_field").await;
    assert_eq!(count_events(&service, "activation_link_created").await, 0);

    let texted = post_as(&service, &token, &path,
        &json!({ "caller_verification": weak, "reason": "new phone, ticket 12", "channel": "text" })).await;
    assert_eq!(texted.status(), StatusCode::ACCEPTED);
    let texted: Value = texted.json().await.unwrap();
    assert!(
        texted["sent_to"][0].as_str().unwrap().starts_with("•••• "),
        "{texted}"
    );
    assert!(!texted.to_string().contains("/v1/activations/"));
    let sms = service
        .outbox()
        .await
        .into_iter()
        .rev()
        .find(|m| m.channel == Channel::Sms)
        .unwrap();
    assert!(sms.body.contains("/v1/activations/"), "{}", sms.body);

    let mailed = post_as(&service, &token, &path,
        &json!({ "caller_verification": weak, "reason": "new phone, ticket 12", "channel": "email" })).await;
    assert_eq!(mailed.status(), StatusCode::ACCEPTED);
    let mailed: Value = mailed.json().await.unwrap();
    assert_eq!(mailed["sent_to"], json!(["a•••@example.org"]));
    let mail = service
        .outbox()
        .await
        .into_iter()
        .rev()
        .find(|m| m.to == ADA_EMAIL && m.body.contains("/v1/activations/"))
        .unwrap();
    assert!(
        mail.body.contains("set up your phone app on a new phone"),
        "{}",
        mail.body
    );
    assert!(
        mail.body.contains(&format!("agent {MARGARET} at")),
        "{}",
        mail.body
    );

    let records: Vec<_> = service
        .audit()
        .await
        .into_iter()
        .filter(|r| r.event == "activation_link_created")
        .collect();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].detail["delivery"], "sms");
    assert_eq!(records[1].detail["delivery"], "email");
    for record in &records {
        assert_eq!(record.detail["help_desk"]["agent"], MARGARET);
        assert_eq!(record.detail["help_desk"]["reason"], "new phone, ticket 12");
    }
    service.stop().await;
}
