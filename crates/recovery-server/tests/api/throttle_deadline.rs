//! A throttle charge taken before a check ends at the attempt's deadline: when the service dies
//! mid-check the charge is never settled, and it must not lock the right person out for good.

use std::time::Duration as StdDuration;

use recovery_server::clock::Clock;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::Row;
use time::Duration;

use crate::{
    on_both_databases,
    support::{expect_problem, Backend, TestService, ADA, ADA_DOB, ADA_PASSWORD, ADA_PIN},
};

on_both_databases!(
    checks_lost_in_a_crash_stop_counting_at_their_deadline,
    failures_on_record_and_lost_checks_count_together,
    a_killed_service_costs_at_most_the_deadline,
);

/// What a service that died mid-check leaves behind: reservations never settled (their drop,
/// which gives the charge back, never runs).
async fn crash_mid_check(service: &TestService, count: usize) {
    for _ in 0..count {
        let reservation = service
            .app
            .throttle
            .reserve(ADA, "kiosk:died", service.clock.now())
            .await
            .unwrap()
            .expect("the attempt is charged");
        std::mem::forget(reservation);
    }
}

async fn checks_lost_in_a_crash_stop_counting_at_their_deadline(backend: Backend) {
    let service = TestService::start(backend).await;
    crash_mid_check(&service, 5).await;

    let during = service.sign_in(ADA, ADA_PASSWORD, ADA_DOB, ADA_PIN).await;
    expect_problem(during, 429, "too_many_attempts").await;

    let deadline = service.app.throttle.policy().attempt_deadline_seconds;
    service
        .clock
        .advance(Duration::seconds(i64::from(deadline) + 1));
    let after = service.sign_in(ADA, ADA_PASSWORD, ADA_DOB, ADA_PIN).await;
    assert_eq!(after.status(), StatusCode::CREATED);
    service.stop().await;
}

async fn failures_on_record_and_lost_checks_count_together(backend: Backend) {
    let service = TestService::start(backend).await;
    for _ in 0..4 {
        let wrong = service.sign_in(ADA, ADA_PASSWORD, ADA_DOB, "999999").await;
        expect_problem(wrong, 401, "verification_failed").await;
    }
    crash_mid_check(&service, 1).await;
    // Four failures and one check under way make five: nothing more is checked meanwhile.
    let right = service.sign_in(ADA, ADA_PASSWORD, ADA_DOB, ADA_PIN).await;
    expect_problem(right, 429, "too_many_attempts").await;

    let deadline = service.app.throttle.policy().attempt_deadline_seconds;
    service
        .clock
        .advance(Duration::seconds(i64::from(deadline) + 1));
    // The lost check no longer counts; the four failures still do, and a fifth locks.
    let fifth = service.sign_in(ADA, ADA_PASSWORD, ADA_DOB, "999999").await;
    assert_eq!(fifth.headers()["retry-after"], "900");
    expect_problem(fifth, 429, "locked").await;
    service.stop().await;
}

/// A stored hash so costly (a million passes) that a check of it is still running when its
/// process is killed; its value does not matter, it is never reached.
const ENDLESS_HASH: &str = "$argon2id$v=19$m=1024,t=1000000,p=1$c29tZXNhbHRzb21lc2FsdA$\
                            AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

async fn attempts_in_flight(service: &TestService) -> i64 {
    sqlx::query("SELECT COUNT(*) AS n FROM verification_attempts WHERE username = $1")
        .bind(ADA)
        .fetch_one(service.app.db.pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

/// The real binary on the test database, SIGKILLed while five checks of Ada are under way.
async fn a_killed_service_costs_at_most_the_deadline(backend: Backend) {
    let service = TestService::start(backend).await;
    let pool = service.app.db.pool();
    let stored: String = sqlx::query("SELECT password_hash FROM people WHERE username = $1")
        .bind(ADA)
        .fetch_one(pool)
        .await
        .unwrap()
        .try_get("password_hash")
        .unwrap();
    sqlx::query("UPDATE people SET password_hash = $1 WHERE username = $2")
        .bind(ENDLESS_HASH)
        .bind(ADA)
        .execute(pool)
        .await
        .unwrap();

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_recovery-server"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("RECOVERY_DATABASE_URL", &service.database_url)
        .env("RECOVERY_PASSWORD_HASH__MEMORY_KIB", "256")
        .env("RECOVERY_PASSWORD_HASH__ITERATIONS", "1")
        .env("RECOVERY_ORGANISATION__NAME", "Example University")
        .env("RUST_LOG", "warn")
        // Tests run in parallel: no two may bind the default admin port.
        .env("RECOVERY_HTTP__ADMIN_LISTEN", "off")
        // Not demo mode: the outbox must be allowed explicitly.
        .env("RECOVERY_ALLOW_OUTBOX", "true")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let mut up = false;
    for _ in 0..600 {
        if let Ok(response) = service.http.get(format!("{base}/healthz")).send().await {
            up = response.status().is_success();
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    assert!(up, "the service process starts");
    let guesses: Vec<_> = (0..5)
        .map(|_| {
            let (http, url) = (service.http.clone(), format!("{base}/v1/recovery/sessions"));
            tokio::spawn(async move {
                let body = json!({
                    "username": ADA, "password": ADA_PASSWORD,
                    "date_of_birth": ADA_DOB, "pin": ADA_PIN,
                });
                http.post(url).json(&body).send().await
            })
        })
        .collect();
    for _ in 0..600 {
        if attempts_in_flight(&service).await >= 5 {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    assert_eq!(
        attempts_in_flight(&service).await,
        5,
        "five checks under way"
    );
    child.kill().await.unwrap();
    for guess in guesses {
        assert!(
            guess.await.unwrap().is_err(),
            "no answer from a killed service"
        );
    }

    sqlx::query("UPDATE people SET password_hash = $1 WHERE username = $2")
        .bind(&stored)
        .bind(ADA)
        .execute(pool)
        .await
        .unwrap();
    let during = service.sign_in(ADA, ADA_PASSWORD, ADA_DOB, ADA_PIN).await;
    expect_problem(during, 429, "too_many_attempts").await;

    // The killed process stamped its deadlines with the system clock: move past the last one.
    let last_deadline: i64 =
        sqlx::query("SELECT MAX(expires_at) AS t FROM verification_attempts WHERE username = $1")
            .bind(ADA)
            .fetch_one(pool)
            .await
            .unwrap()
            .try_get("t")
            .unwrap();
    let deadline = i64::from(service.app.throttle.policy().attempt_deadline_seconds);
    let killed_at = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!(
        last_deadline <= killed_at + deadline,
        "a charge lasts at most one deadline"
    );
    let wait = last_deadline - service.clock.now().unix_timestamp() + 1;
    service.clock.advance(Duration::seconds(wait));
    let after = service.sign_in(ADA, ADA_PASSWORD, ADA_DOB, ADA_PIN).await;
    assert_eq!(after.status(), StatusCode::CREATED);
    service.stop().await;
}
