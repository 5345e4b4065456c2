//! The lockout policy: 5 in a row → 15 minutes; 10 in 24 hours → help desk; per client too.

use reqwest::StatusCode;
use serde_json::Value;
use time::Duration;

use crate::{
    on_both_databases,
    support::{
        all_at_once, expect_problem, Backend, TestService, ADA, ADA_DOB, ADA_PASSWORD, ADA_PIN,
    },
};
use recovery_server::{client::Client, flows};

on_both_databases!(
    lockout_sequence_then_help_desk_unlock,
    unknown_usernames_lock_like_real_ones,
    parallel_guesses_cannot_pass_the_limit,
    one_client_is_stopped_across_accounts,
    a_success_resets_the_run_of_failures,
);

async fn wrong_pin(service: &TestService, username: &str) -> reqwest::Response {
    service
        .sign_in(username, ADA_PASSWORD, ADA_DOB, "999999")
        .await
}

async fn lockout_sequence_then_help_desk_unlock(backend: Backend) {
    let service = TestService::start(backend).await;
    for _ in 0..4 {
        expect_problem(wrong_pin(&service, ADA).await, 401, "verification_failed").await;
    }
    let fifth = wrong_pin(&service, ADA).await;
    assert_eq!(fifth.headers()["retry-after"], "900");
    let body = expect_problem(fifth, 429, "locked").await;
    assert!(
        body["retry_at"].is_string(),
        "the person is told when to retry"
    );

    let right_but_locked = service.sign_in(ADA, ADA_PASSWORD, ADA_DOB, ADA_PIN).await;
    assert_eq!(right_but_locked.headers()["retry-after"], "900");
    expect_problem(right_but_locked, 429, "locked").await;
    service.clock.advance(Duration::minutes(14));
    let still = service.sign_in(ADA, ADA_PASSWORD, ADA_DOB, ADA_PIN).await;
    assert_eq!(still.headers()["retry-after"], "60");
    expect_problem(still, 429, "locked").await;

    service.clock.advance(Duration::minutes(1));
    for _ in 0..4 {
        expect_problem(wrong_pin(&service, ADA).await, 401, "verification_failed").await;
    }
    // The tenth failure within 24 hours: only the help desk can unlock now.
    let tenth = wrong_pin(&service, ADA).await;
    assert!(tenth.headers().get("retry-after").is_none());
    let body: Value = expect_problem(tenth, 429, "locked").await;
    assert!(body.get("retry_at").is_none());
    assert!(body["detail"].as_str().unwrap().contains("help desk"));
    service.clock.advance(Duration::hours(2));
    let after_hours = service.sign_in(ADA, ADA_PASSWORD, ADA_DOB, ADA_PIN).await;
    expect_problem(after_hours, 429, "locked").await;

    assert!(
        flows::unlock::unlock(&service.app, &Client::admin_cli(), "ADA")
            .await
            .unwrap()
    );
    let unlocked = service.sign_in(ADA, ADA_PASSWORD, ADA_DOB, ADA_PIN).await;
    assert_eq!(unlocked.status(), StatusCode::CREATED);
    service.stop().await;
}

async fn unknown_usernames_lock_like_real_ones(backend: Backend) {
    let service = TestService::start(backend).await;
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..6 {
        let k = wrong_pin(&service, ADA).await;
        known.push((
            k.status(),
            k.headers().get("retry-after").cloned(),
            k.bytes().await.unwrap(),
        ));
        let u = wrong_pin(&service, "not-a-person").await;
        unknown.push((
            u.status(),
            u.headers().get("retry-after").cloned(),
            u.bytes().await.unwrap(),
        ));
    }
    assert_eq!(
        known, unknown,
        "a lock must not reveal that an account exists"
    );
    service.stop().await;
}

async fn parallel_guesses_cannot_pass_the_limit(backend: Backend) {
    let service = TestService::start(backend).await;
    let url = service.url("/v1/recovery/sessions");
    let statuses = all_at_once(30, |i| {
        let (http, url) = (service.http.clone(), url.clone());
        async move {
            let body = serde_json::json!({
                "username": ADA, "password": ADA_PASSWORD,
                "date_of_birth": ADA_DOB, "pin": format!("{:06}", 100_000 + i),
            });
            http.post(url).json(&body).send().await.unwrap().status()
        }
    })
    .await;
    assert!(statuses
        .iter()
        .all(|s| *s == StatusCode::UNAUTHORIZED || *s == StatusCode::TOO_MANY_REQUESTS));
    let checked = service
        .audit()
        .await
        .iter()
        .filter(|r| r.event == "verification_failed")
        .count();
    assert!(
        checked <= 5,
        "at most 5 guesses may be checked, {checked} were"
    );
    let right = service.sign_in(ADA, ADA_PASSWORD, ADA_DOB, ADA_PIN).await;
    expect_problem(right, 429, "locked").await;
    service.stop().await;
}

async fn one_client_is_stopped_across_accounts(backend: Backend) {
    let service = TestService::start(backend).await;
    for i in 0..20 {
        let response = wrong_pin(&service, &format!("guess{i}")).await;
        expect_problem(response, 401, "verification_failed").await;
    }
    let next = service.sign_in(ADA, ADA_PASSWORD, ADA_DOB, ADA_PIN).await;
    assert_eq!(next.headers()["retry-after"], "900");
    expect_problem(next, 429, "too_many_attempts").await;
    service.clock.advance(Duration::minutes(15));
    let later = service.sign_in(ADA, ADA_PASSWORD, ADA_DOB, ADA_PIN).await;
    assert_eq!(later.status(), StatusCode::CREATED);
    service.stop().await;
}

async fn a_success_resets_the_run_of_failures(backend: Backend) {
    let service = TestService::start(backend).await;
    for _ in 0..4 {
        expect_problem(wrong_pin(&service, ADA).await, 401, "verification_failed").await;
    }
    let _ = service.ada_token().await;
    for _ in 0..4 {
        expect_problem(wrong_pin(&service, ADA).await, 401, "verification_failed").await;
    }
    assert_eq!(
        service
            .sign_in(ADA, ADA_PASSWORD, ADA_DOB, ADA_PIN)
            .await
            .status(),
        StatusCode::CREATED
    );
    service.stop().await;
}
