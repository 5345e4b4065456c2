//! A flow stopped at any point leaves its state change and its audit record together or not
//! at all: every code is unspent, or spent with its session and its audit record, and every
//! code a client was told about is audited.
//!
//! Two ways to stop a flow: dropping its future after N polls, for every N until it finishes
//! (each await point in turn, on both databases), and SIGKILL of the real binary during
//! concurrent traffic (SQLite file, then the database is inspected after each kill).

use std::{
    future::Future,
    pin::pin,
    process::Stdio,
    task::Poll,
    time::{Duration, Instant},
};

use rand::Rng;
use recovery_api::{phone::AddPhone, session::CreateSession};
use recovery_server::{
    audit::ExportedRecord, client::Client, directory::Person, flows, mfa::BypassCodeOrigin,
};
use serde_json::{json, Value};
use sqlx::{AnyPool, Row};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::Command,
};

use crate::{
    on_both_databases,
    support::{Backend, TestService, ADA, ADA_DOB, ADA_PASSWORD, ADA_PIN},
};

on_both_databases!(a_flow_stopped_at_any_await_point_leaves_change_and_audit_together);

/// Runs `future` until it finishes, or drops it (as a crash stops it) once it has been pending
/// `polls` times.
async fn stop_after<F: Future>(polls: usize, future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    let mut left = polls;
    std::future::poll_fn(|cx| match future.as_mut().poll(cx) {
        Poll::Ready(output) => Poll::Ready(Some(output)),
        Poll::Pending if left == 0 => Poll::Ready(None),
        Poll::Pending => {
            left -= 1;
            Poll::Pending
        }
    })
    .await
}

async fn count(pool: &AnyPool, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(pool)
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

fn events(audit: &[ExportedRecord], event: &str) -> usize {
    audit.iter().filter(|r| r.event == event).count()
}

/// What must hold whenever the service stops, whatever it was doing.
async fn assert_consistent(pool: &AnyPool, audit: &[ExportedRecord], when: &str) {
    let codes = count(pool, "SELECT COUNT(*) AS n FROM bypass_codes").await;
    let spent = count(
        pool,
        "SELECT COUNT(*) AS n FROM bypass_codes WHERE used_at IS NOT NULL",
    )
    .await;
    let sessions = count(pool, "SELECT COUNT(*) AS n FROM recovery_sessions").await;
    let opened = events(audit, "session_opened");
    let opened_by_passcode = audit
        .iter()
        .filter(|r| r.event == "session_opened" && r.detail["method"] == "passcode")
        .count();
    assert_eq!(
        codes as usize,
        events(audit, "bypass_code_issued"),
        "{when}: every stored code has its audit record, and no record names a code not stored"
    );
    assert_eq!(
        spent as usize, opened_by_passcode,
        "{when}: every spent code has its session's audit record"
    );
    assert_eq!(
        sessions as usize, opened,
        "{when}: every session has its audit record"
    );
    let removed = count(
        pool,
        "SELECT COUNT(*) AS n FROM authenticators WHERE status = 'disabled'",
    )
    .await;
    assert_eq!(
        removed as usize,
        events(audit, "authenticator_removed"),
        "{when}: every removal is audited"
    );
    let landlines = count(
        pool,
        "SELECT COUNT(*) AS n FROM authenticators WHERE phone_type = 'landline' \
         AND person_id = (SELECT id FROM people WHERE username = 'ada')",
    )
    .await;
    assert_eq!(
        landlines as usize,
        events(audit, "landline_added"),
        "{when}: every landline added is audited"
    );
}

/// Runs `make()` stopped after 0, 1, 2, … polls, checking the database after every stop,
/// until it finishes or a stop comes after its commit (`committed` counts more rows than
/// before). Returns the finished flow's result, if it finished, and how many stops there were.
async fn stop_everywhere<F, T>(
    service: &TestService,
    what: &str,
    committed: &str,
    make: impl Fn() -> F,
) -> (Option<T>, usize)
where
    F: Future<Output = T>,
{
    let pool = service.app.db.pool();
    // A commit that an earlier stopped flow had already handed to its own task may still land:
    // let it, so that it is not taken for this flow's.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = count(pool, committed).await;
    for polls in 0..10_000 {
        let finished = stop_after(polls, make()).await;
        // What a crash leaves is what the database holds once the dropped work is rolled back.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let audit = service.audit().await;
        let when = format!("{what} stopped after {polls} polls");
        assert_consistent(pool, &audit, &when).await;
        if finished.is_some() || count(pool, committed).await > before {
            return (finished, polls);
        }
    }
    panic!("{what} never finished");
}

async fn ada(service: &TestService) -> Person {
    service
        .app
        .directory
        .find_by_username(ADA)
        .await
        .unwrap()
        .unwrap()
}

fn sign_in_with(passcode: &str) -> CreateSession {
    serde_json::from_value(json!({
        "username": ADA, "password": ADA_PASSWORD, "passcode": passcode,
    }))
    .unwrap()
}

async fn a_flow_stopped_at_any_await_point_leaves_change_and_audit_together(backend: Backend) {
    let service = TestService::start_with(backend, |config| {
        // Stopped attempts keep their throttle charges (issue 12, point 2): not this test's matter.
        config.throttle.consecutive_failures = 10_000;
        config.throttle.daily_failures = 10_000;
        config.throttle.client_failures = 10_000;
        // Stopped attempts keep their sending charges too; each stop here charges one.
        config.limits = recovery_server::sending_caps::SendingLimits {
            notices_per_person: 10_000,
            notices_per_session: 10_000,
            calls_per_person: 10_000,
            calls_per_session: 10_000,
            texts_per_person: 10_000,
            texts_per_session: 10_000,
        };
    })
    .await;
    let app = &service.app;
    let person = ada(&service).await;
    let desk = Client::admin_cli();
    let kiosk = Client {
        throttle_key: "test".to_owned(),
        label: "the test".to_owned(),
        from_kiosk: false,
    };

    let codes = "SELECT COUNT(*) AS n FROM bypass_codes";
    // Issuing: by the help desk (the CLI's flow) and by the person.
    for origin in [BypassCodeOrigin::HelpDesk, BypassCodeOrigin::SelfService] {
        let (_, stops) = stop_everywhere(&service, "issuing", codes, || {
            flows::bypass_code::issue(app, &kiosk, &person, origin, None)
        })
        .await;
        assert!(stops >= 1, "issuing was stopped at least once");
    }

    // Redeeming a help-desk code at sign-in: consume + session + audit.
    let issued = flows::bypass_code::issue(app, &desk, &person, BypassCodeOrigin::HelpDesk, None);
    let code = issued.await.unwrap().code.into_secret();
    let request = sign_in_with(code.expose());
    let sessions = "SELECT COUNT(*) AS n FROM recovery_sessions";
    let (_, stops) = stop_everywhere(&service, "signing in with a bypass code", sessions, || {
        flows::verify::open_session(app, &kiosk, &request)
    })
    .await;
    assert!(stops > 2, "sign-in yields at least three times");
    let spent = count(
        service.app.db.pool(),
        "SELECT COUNT(*) AS n FROM bypass_codes WHERE used_at IS NOT NULL",
    )
    .await;
    assert_eq!(spent, 1);

    // With a session: a landline, then removing the phone.
    let request: CreateSession = serde_json::from_value(json!({
        "username": ADA, "password": ADA_PASSWORD, "date_of_birth": ADA_DOB, "pin": ADA_PIN,
    }))
    .unwrap();
    let opened = flows::verify::open_session(app, &kiosk, &request)
        .await
        .unwrap();
    let (session, _) = flows::session::authenticate(app, &opened.token)
        .await
        .unwrap();
    let add: AddPhone =
        serde_json::from_value(json!({ "number": "+1 201 555 0199", "type": "landline" })).unwrap();
    let landlines = "SELECT COUNT(*) AS n FROM authenticators WHERE phone_type = 'landline'";
    let (added, _) = stop_everywhere(&service, "adding a landline", landlines, || {
        flows::phones::add_landline(app, &kiosk, &session, &person, &add)
    })
    .await;
    if let Some(added) = added {
        added.unwrap();
    }
    let phone = flows::authenticators::list(app, &person)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.name == "iPhone")
        .unwrap();
    let removed = "SELECT COUNT(*) AS n FROM authenticators WHERE status = 'disabled'";
    let (result, _) = stop_everywhere(&service, "removing a phone", removed, || {
        flows::authenticators::remove(
            app,
            &kiosk,
            &session,
            &person,
            &phone.id,
            recovery_api::phone::RemovalReason::Lost,
        )
    })
    .await;
    if let Some(result) = result {
        result.unwrap();
    }

    // The chain survived every stop.
    let verified = app.audit.verify().await.unwrap();
    assert!(verified.is_ok(), "{verified:?}");
    service.stop().await;
}

/// The real binary, killed with SIGKILL at random moments while clients issue and redeem codes
/// on its SQLite file; after each kill the database must be consistent and every code a
/// client received must be audited. Bounded: 30 kills or 90 seconds, whichever comes first.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_during_issue_and_redeem_leaves_every_code_accounted_for() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let started = Instant::now();
    let mut kills = 0;
    let mut told_total = 0usize;
    let mut redeemed_total = 0usize;
    while kills < 30 && started.elapsed() < Duration::from_secs(90) {
        let mut server = Command::new(env!("CARGO_BIN_EXE_recovery-server"))
            .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(&data)
            .env("RECOVERY_PASSWORD_HASH__MEMORY_KIB", "256")
            .env("RECOVERY_PASSWORD_HASH__ITERATIONS", "1")
            .env("RECOVERY_THROTTLE__CONSECUTIVE_FAILURES", "100000")
            .env("RECOVERY_THROTTLE__DAILY_FAILURES", "100000")
            .env("RECOVERY_THROTTLE__CLIENT_FAILURES", "100000")
            .env("RUST_LOG", "error")
            // Tests run in parallel: no two may bind the default admin port.
            .env("RECOVERY_HTTP__ADMIN_LISTEN", "off")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stdout = server.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            let line = lines
                .next_line()
                .await
                .unwrap()
                .expect("the server says where it listens");
            if let Some(rest) = line.split("listening on ").nth(1) {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
        };
        let http = reqwest::Client::new();
        // Four people at once, each: sign in, get a code, sign in with it.
        let workers: Vec<_> = [
            ("ada", ADA_PASSWORD, ADA_DOB, ADA_PIN),
            ("grace", "nanosecond-wire-30cm", "1976-12-09", "135790"),
            ("katherine", "orbital-trajectory-1962", "1968-08-26", "112358"),
            ("alan", "imitation-game-1950", "1992-06-23", "975310"),
        ]
        .into_iter()
        .map(|(username, password, dob, pin)| {
            let (http, base) = (http.clone(), base.clone());
            tokio::spawn(async move {
                let mut told = Vec::new();
                let mut redeemed = 0usize;
                loop {
                    let signed_in = http
                        .post(format!("{base}/v1/recovery/sessions"))
                        .json(&json!({ "username": username, "password": password,
                                       "date_of_birth": dob, "pin": pin }))
                        .send()
                        .await;
                    let Ok(Ok(body)) = signed_in.map(|r| r.error_for_status()) else { break };
                    let Ok(body) = body.json::<Value>().await else { break };
                    let token = body["token"].as_str().unwrap_or_default().to_owned();
                    let issued = http
                        .post(format!("{base}/v1/me/bypass-codes"))
                        .bearer_auth(&token)
                        .send()
                        .await;
                    let Ok(Ok(issued)) = issued.map(|r| r.error_for_status()) else { break };
                    let Ok(issued) = issued.json::<Value>().await else { break };
                    let code = issued["code"].as_str().unwrap_or_default().to_owned();
                    told.push(code.clone());
                    let redeem = http
                        .post(format!("{base}/v1/recovery/sessions"))
                        .json(&json!({ "username": username, "password": password, "passcode": code }))
                        .send()
                        .await;
                    match redeem.map(|r| r.status()) {
                        Ok(status) if status.is_success() => redeemed += 1,
                        _ => break,
                    }
                }
                (told, redeemed)
            })
        })
        .collect();
        let at = rand::thread_rng().gen_range(50..600);
        tokio::time::sleep(Duration::from_millis(at)).await;
        server.start_kill().unwrap();
        server.wait().await.unwrap();
        kills += 1;
        for worker in workers {
            let (told, redeemed) = worker.await.unwrap();
            told_total += told.len();
            redeemed_total += redeemed;
        }
        inspect(&data, kills, told_total, redeemed_total).await;
    }
    assert!(kills >= 10, "only {kills} kills in the time allowed");
    assert!(
        told_total > 0 && redeemed_total > 0,
        "the traffic issued {told_total} and redeemed {redeemed_total} codes"
    );
}

/// The database after a kill: codes, sessions and audit records agree, and the chain holds.
async fn inspect(data: &std::path::Path, kills: usize, told: usize, redeemed: usize) {
    let url = format!("sqlite://{}", data.join("demo.db").display());
    let db = recovery_server::storage::Database::open(&url)
        .await
        .unwrap();
    let audit = recovery_server::audit::AuditLog::new(db.clone());
    let records = audit.export(0).await.unwrap();
    let pool = db.pool();
    let codes = count(pool, "SELECT COUNT(*) AS n FROM bypass_codes").await;
    let spent = count(
        pool,
        "SELECT COUNT(*) AS n FROM bypass_codes WHERE used_at IS NOT NULL",
    )
    .await;
    let sessions = count(pool, "SELECT COUNT(*) AS n FROM recovery_sessions").await;
    let by_passcode = records
        .iter()
        .filter(|r| r.event == "session_opened" && r.detail["method"] == "passcode")
        .count();
    assert_eq!(
        codes as usize,
        events(&records, "bypass_code_issued"),
        "after kill {kills}: codes and their audit records"
    );
    assert_eq!(
        spent as usize, by_passcode,
        "after kill {kills}: spent codes and their sessions' audit records"
    );
    assert_eq!(
        sessions as usize,
        events(&records, "session_opened"),
        "after kill {kills}: sessions and their audit records"
    );
    // Each code a client was shown is stored, so audited; each sign-in a client got spent one.
    assert!(
        codes as usize >= told,
        "after kill {kills}: {codes} codes stored, {told} shown"
    );
    assert!(
        spent as usize >= redeemed,
        "after kill {kills}: {spent} spent, {redeemed} redeemed"
    );
    let verified = audit.verify().await.unwrap();
    assert!(verified.is_ok(), "after kill {kills}: {verified:?}");
    db.close().await;
}
