//! Self-service bypass codes: shape, lifetime, one use (also under concurrency), revocation.

use recovery_server::clock::Clock;
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::Row;
use time::Duration;

use crate::{
    on_both_databases,
    support::{all_at_once, expect_problem, Backend, TestService, ADA, ADA_PASSWORD},
};

on_both_databases!(
    a_code_is_nine_digits_valid_ten_minutes_and_stored_hashed,
    a_code_works_once,
    a_new_code_revokes_the_previous_one,
    a_code_is_unusable_after_ten_minutes,
    five_hundred_parallel_redemptions_succeed_once,
    parallel_issuing_leaves_one_live_code,
);

async fn a_code_is_nine_digits_valid_ten_minutes_and_stored_hashed(backend: Backend) {
    let service = TestService::start(backend).await;
    let token = service.ada_token().await;
    let response = service.post_with("/v1/me/bypass-codes", &token).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    let code = body["code"].as_str().unwrap();
    assert_eq!(code.len(), 9);
    assert!(code.bytes().all(|b| b.is_ascii_digit()));
    let expires_at = time::OffsetDateTime::parse(
        body["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(expires_at - service.clock.now(), Duration::minutes(10));
    let rows = sqlx::query("SELECT code_hash FROM bypass_codes")
        .fetch_all(service.app.db.pool())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let stored: String = rows[0].try_get("code_hash").unwrap();
    assert!(stored.starts_with("$argon2id$"), "stored as argon2id");
    assert!(!stored.contains(code));
    service.stop().await;
}

async fn a_code_works_once(backend: Backend) {
    let service = TestService::start(backend).await;
    let token = service.ada_token().await;
    let code = service.bypass_code(&token).await;
    let first = service
        .sign_in_with_passcode(ADA, ADA_PASSWORD, &code)
        .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let second = service
        .sign_in_with_passcode(ADA, ADA_PASSWORD, &code)
        .await;
    expect_problem(second, 401, "verification_failed").await;
    service.stop().await;
}

async fn a_new_code_revokes_the_previous_one(backend: Backend) {
    let service = TestService::start(backend).await;
    let token = service.ada_token().await;
    let old = service.bypass_code(&token).await;
    let new = service.bypass_code(&token).await;
    let with_old = service.sign_in_with_passcode(ADA, ADA_PASSWORD, &old).await;
    expect_problem(with_old, 401, "verification_failed").await;
    let with_new = service.sign_in_with_passcode(ADA, ADA_PASSWORD, &new).await;
    assert_eq!(with_new.status(), StatusCode::CREATED);
    service.stop().await;
}

async fn a_code_is_unusable_after_ten_minutes(backend: Backend) {
    let service = TestService::start(backend).await;
    let token = service.ada_token().await;
    let code = service.bypass_code(&token).await;
    service.clock.advance(Duration::minutes(10));
    let late = service
        .sign_in_with_passcode(ADA, ADA_PASSWORD, &code)
        .await;
    expect_problem(late, 401, "verification_failed").await;
    service.stop().await;
}

async fn five_hundred_parallel_redemptions_succeed_once(backend: Backend) {
    // The throttle would refuse most of 500 parallel attempts before they reach the code;
    // lift it so that every one of them really races for the redemption.
    let service = TestService::start_with(backend, |config| {
        config.throttle.consecutive_failures = 10_000;
        config.throttle.daily_failures = 10_000;
        config.throttle.client_failures = 10_000;
        config.throttle.verifications_in_flight = 10_000;
    })
    .await;
    let token = service.ada_token().await;
    let code = service.bypass_code(&token).await;
    let url = service.url("/v1/recovery/sessions");
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();
    let statuses = all_at_once(500, |_| {
        let (http, url, code) = (http.clone(), url.clone(), code.clone());
        async move {
            let body =
                serde_json::json!({ "username": ADA, "password": ADA_PASSWORD, "passcode": code });
            http.post(url).json(&body).send().await.unwrap().status()
        }
    })
    .await;
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert_eq!(created, 1, "exactly one redemption succeeds");
    assert_eq!(refused, 499, "every other one is refused: {statuses:?}");
    service.stop().await;
}

async fn parallel_issuing_leaves_one_live_code(backend: Backend) {
    let service = TestService::start(backend).await;
    let token = service.ada_token().await;
    let url = service.url("/v1/me/bypass-codes");
    let http = service.http.clone();
    let statuses = all_at_once(8, |_| {
        let (http, url, token) = (http.clone(), url.clone(), token.clone());
        async move {
            http.post(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    })
    .await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::CREATED),
        "{statuses:?}"
    );
    let live: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM bypass_codes WHERE used_at IS NULL AND revoked_at IS NULL",
    )
    .fetch_one(service.app.db.pool())
    .await
    .unwrap()
    .try_get("n")
    .unwrap();
    assert_eq!(live, 1);
    service.stop().await;
}
