//! Removing a lost or stolen device at once.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{
    on_both_databases,
    support::{expect_problem, Backend, TestService, ADA_EMAIL},
};

on_both_databases!(
    a_lost_phone_is_disabled_at_once,
    bad_removals_and_renames_change_nothing
);

async fn first_device(service: &TestService, token: &str) -> Option<String> {
    let body: Value = service
        .get_with("/v1/me/authenticators", token)
        .await
        .json()
        .await
        .unwrap();
    body["authenticators"][0]["id"].as_str().map(str::to_owned)
}

async fn delete(service: &TestService, token: &str, path: &str) -> reqwest::Response {
    service
        .http
        .delete(service.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn a_lost_phone_is_disabled_at_once(backend: Backend) {
    let service = TestService::start(backend).await;
    let token = service.ada_token().await;
    let phone = first_device(&service, &token).await.unwrap();
    let renamed = service
        .http
        .patch(service.url(&format!("/v1/me/authenticators/{phone}")))
        .bearer_auth(&token)
        .json(&json!({ "name": "Old iPhone" }))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), StatusCode::OK);
    let removed = delete(
        &service,
        &token,
        &format!("/v1/me/authenticators/{phone}?reason=stolen"),
    )
    .await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    assert_eq!(first_device(&service, &token).await, None);
    expect_problem(
        delete(
            &service,
            &token,
            &format!("/v1/me/authenticators/{phone}?reason=lost"),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let notice = service
        .outbox()
        .await
        .into_iter()
        .find(|m| m.to == ADA_EMAIL)
        .unwrap();
    assert!(
        notice.body.contains("\"Old iPhone\" was removed")
            && notice.body.contains("reported stolen"),
        "{}",
        notice.body
    );
    let record = service
        .audit()
        .await
        .into_iter()
        .find(|r| r.event == "authenticator_removed")
        .unwrap();
    assert_eq!(record.detail["reason"], "stolen");
    // An activation link for the removed phone cannot be made any more.
    expect_problem(
        service
            .post_with(&format!("/v1/me/phones/{phone}/activation"), &token)
            .await,
        404,
        "not_found",
    )
    .await;
    service.stop().await;
}

async fn bad_removals_and_renames_change_nothing(backend: Backend) {
    let service = TestService::start(backend).await;
    let token = service.ada_token().await;
    let phone = first_device(&service, &token).await.unwrap();
    for query in ["", "?reason=", "?reason=misplaced"] {
        let problem = expect_problem(
            delete(
                &service,
                &token,
                &format!("/v1/me/authenticators/{phone}{query}"),
            )
            .await,
            422,
            "invalid_field",
        )
        .await;
        assert_eq!(problem["field"], "reason");
    }
    let grace: Value = service
        .sign_in("grace", "nanosecond-wire-30cm", "1976-12-09", "135790")
        .await
        .json()
        .await
        .unwrap();
    let grace_phone = first_device(&service, grace["token"].as_str().unwrap())
        .await
        .unwrap();
    expect_problem(
        delete(
            &service,
            &token,
            &format!("/v1/me/authenticators/{grace_phone}?reason=lost"),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    expect_problem(
        delete(&service, &token, "/v1/me/authenticators/nope?reason=lost").await,
        404,
        "not_found",
    )
    .await;
    for name in [
        json!({ "name": "" }),
        json!({ "name": "x".repeat(65) }),
        json!({ "label": "x" }),
    ] {
        let response = service
            .http
            .patch(service.url(&format!("/v1/me/authenticators/{phone}")))
            .bearer_auth(&token)
            .json(&name)
            .send()
            .await
            .unwrap();
        expect_problem(response, 422, "invalid_field").await;
    }
    assert_eq!(
        first_device(&service, &token).await,
        Some(phone),
        "still there"
    );
    assert!(service.outbox().await.is_empty());
    service.stop().await;
}
