//! A client that hangs up mid-check cancels nothing: the check runs to its end, is counted and
//! audited, keeps its hashing slot until its hash is done, and the checks under way are bounded.

use std::time::Duration as StdDuration;

use recovery_server::slow_hash::SlowHasher;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::Row;
use tokio::task::JoinHandle;

use crate::{
    on_both_databases,
    support::{expect_problem, Backend, TestService, ADA_DOB},
};

on_both_databases!(
    hung_up_checks_are_counted_audited_and_keep_their_hash_slot,
    a_full_verification_queue_refuses_with_service_busy,
);

/// Waits for a condition the service reaches on its own; fails the test if it never does.
async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    for _ in 0..600 {
        if condition() {
            return;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    panic!("never happened: {what}");
}

/// Holds hashing threads at their start until dropped, even when the test fails: a thread
/// held for good would keep the test's runtime from shutting down.
struct Held(SlowHasher);

impl Held {
    fn new(hasher: &SlowHasher) -> Self {
        hasher.probe().hold();
        Self(hasher.clone())
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.0.probe().release();
    }
}

/// Lets the server see that the clients went away before hashing resumes.
async fn let_the_server_notice() {
    tokio::time::sleep(StdDuration::from_millis(500)).await;
}

fn wrong_guess(service: &TestService, username: String) -> JoinHandle<reqwest::Response> {
    let (http, url) = (service.http.clone(), service.url("/v1/recovery/sessions"));
    tokio::spawn(async move {
        let body = json!({
            "username": username, "password": "not-the-password",
            "date_of_birth": ADA_DOB, "pin": "999999",
        });
        http.post(url).json(&body).send().await.unwrap()
    })
}

async fn failures_audited(service: &TestService) -> usize {
    let records = service.audit().await;
    records
        .iter()
        .filter(|r| r.event == "verification_failed")
        .count()
}

async fn count(service: &TestService, sql: &str, username: &str) -> i64 {
    sqlx::query(sql)
        .bind(username)
        .fetch_one(service.app.db.pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

async fn hung_up_checks_are_counted_audited_and_keep_their_hash_slot(backend: Backend) {
    let service = TestService::start_with(backend, |config| {
        config.throttle.client_failures = 1_000;
        config.throttle.verifications_in_flight = 1_000;
    })
    .await;
    let hasher = service.app.hasher.clone();
    let probe = hasher.probe();
    let slots = hasher.concurrency();
    let hung_up = slots + 2;
    let audited_before = failures_audited(&service).await;

    let held = Held::new(&hasher);
    let asked = probe.asked_count();
    let requests: Vec<_> = (0..hung_up)
        .map(|i| wrong_guess(&service, format!("gone{i}")))
        .collect();
    eventually("every check asks for its first hash", || {
        probe.asked_count() >= asked + hung_up
    })
    .await;
    for request in &requests {
        request.abort();
    }
    for request in requests {
        assert!(request.await.unwrap_err().is_cancelled());
    }
    let_the_server_notice().await;

    // New checks while the abandoned ones still hash: they must wait for a slot.
    let asked = probe.asked_count();
    let later: Vec<_> = (0..2)
        .map(|i| wrong_guess(&service, format!("later{i}")))
        .collect();
    eventually("the later checks ask for a hash", || {
        probe.asked_count() >= asked + 2
    })
    .await;
    let_the_server_notice().await;
    assert!(
        probe.running() <= slots,
        "{} hashes run with {slots} slots",
        probe.running()
    );
    drop(held);

    for response in later {
        expect_problem(response.await.unwrap(), 401, "verification_failed").await;
    }
    let audited = hung_up + 2;
    for _ in 0..600 {
        if failures_audited(&service).await >= audited_before + audited {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    assert_eq!(
        failures_audited(&service).await,
        audited_before + audited,
        "every check that was hung up on is audited"
    );
    for i in 0..hung_up {
        let username = format!("gone{i}");
        let failures = count(
            &service,
            "SELECT COUNT(*) AS n FROM verification_failures WHERE username = $1",
            &username,
        )
        .await;
        assert_eq!(failures, 1, "{username}'s failure is counted");
        let in_a_row = count(
            &service,
            "SELECT in_a_row AS n FROM account_throttle WHERE username = $1",
            &username,
        )
        .await;
        assert_eq!(in_a_row, 1, "{username} has one failure in a row");
        let in_flight = count(
            &service,
            "SELECT COUNT(*) AS n FROM verification_attempts WHERE username = $1",
            &username,
        )
        .await;
        assert_eq!(in_flight, 0, "{username} has no attempt left in flight");
    }
    assert!(
        probe.most_running() <= slots,
        "at most {slots} hashes ran at once, not {}",
        probe.most_running()
    );
    service.stop().await;
}

async fn a_full_verification_queue_refuses_with_service_busy(backend: Backend) {
    const PLACES: usize = 3;
    let service = TestService::start_with(backend, |config| {
        config.throttle.verifications_in_flight = PLACES as u32;
    })
    .await;
    let probe = service.app.hasher.probe();
    let held = Held::new(&service.app.hasher);
    let asked = probe.asked_count();
    let queued: Vec<_> = (0..PLACES)
        .map(|i| wrong_guess(&service, format!("queued{i}")))
        .collect();
    eventually("the queued checks are under way", || {
        probe.asked_count() >= asked + PLACES
    })
    .await;
    let audit_before = service.audit().await.len();

    let body = json!({
        "username": "one-too-many", "password": "not-the-password",
        "date_of_birth": ADA_DOB, "pin": "999999",
    });
    let refused = service
        .http
        .post(service.url("/v1/recovery/sessions"))
        .json(&body)
        .timeout(StdDuration::from_secs(20))
        .send()
        .await
        .expect("a full queue answers at once");
    assert_eq!(refused.headers()["retry-after"], "2");
    let problem = expect_problem(refused, 503, "service_busy").await;
    assert!(problem["retry_at"].is_string());
    // Refused before anything was charged, checked or recorded.
    assert_eq!(service.audit().await.len(), audit_before);
    let charged = count(
        &service,
        "SELECT COUNT(*) AS n FROM account_throttle WHERE username = $1",
        "one-too-many",
    )
    .await;
    assert_eq!(charged, 0);

    drop(held);
    for response in queued {
        expect_problem(response.await.unwrap(), 401, "verification_failed").await;
    }
    let again = service.post_json("/v1/recovery/sessions", &body).await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    service.stop().await;
}
