//! The tamper-evident audit log: `audit verify` names the first broken link for each kind of
//! tampering, on the database and on an export; concurrent appends keep one chain; and on
//! PostgreSQL the documented grants keep the service's own role from rewriting the log.

use std::process::Output;

use reqwest::StatusCode;
use sqlx::{Connection, Executor, Row};

use crate::{
    on_both_databases,
    support::{all_at_once, test_config, Backend, TestService, ADA, ADA_PASSWORD},
};

on_both_databases!(
    an_intact_chain_and_its_export_verify,
    an_altered_record_is_named,
    a_deleted_record_is_named,
    an_inserted_record_is_named,
    reordered_records_are_named,
    a_log_emptied_while_the_head_remains_is_named,
    a_cut_tail_is_named,
    tampering_with_an_export_is_named,
    concurrent_appends_keep_one_chain,
);

async fn admin(database_url: &str, args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_recovery-server"))
        .args(args)
        .env("RECOVERY_DATABASE_URL", database_url)
        .env("RECOVERY_PASSWORD_HASH__MEMORY_KIB", "256")
        .env("RECOVERY_PASSWORD_HASH__ITERATIONS", "1")
        .env("RUST_LOG", "warn")
        .output()
        .await
        .unwrap()
}

/// `audit verify` on the service's database: `Ok(stdout)` when intact, `Err(stderr)` when not.
async fn verify(service: &TestService) -> Result<String, String> {
    let output = admin(&service.database_url, &["audit", "verify"]).await;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if output.status.success() {
        Ok(stdout)
    } else {
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        Err(stderr)
    }
}

/// A service with some history: sign-ins, a failure, a bypass code. Returns the last seq.
async fn with_history(backend: Backend) -> (TestService, i64) {
    let service = TestService::start(backend).await;
    let token = service.ada_token().await;
    service.bypass_code(&token).await;
    let wrong = service
        .sign_in(ADA, ADA_PASSWORD, "1985-12-11", "246810")
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    service.ada_token().await;
    service.ada_token().await;
    let audit = service.audit().await;
    assert!(audit.len() >= 5, "{audit:?}");
    let last = audit.last().unwrap().seq;
    (service, last)
}

/// What an attacker with the file (SQLite) or the owner's role (PostgreSQL) does first.
async fn remove_guards(service: &TestService, backend: Backend) {
    let pool = service.app.db.pool();
    match backend {
        Backend::Sqlite => {
            for trigger in ["audit_events_no_update", "audit_events_no_delete"] {
                pool.execute(format!("DROP TRIGGER {trigger}").as_str())
                    .await
                    .unwrap();
            }
        }
        Backend::Postgres => {
            pool.execute("ALTER TABLE audit_events DISABLE TRIGGER USER")
                .await
                .unwrap();
        }
    }
}

async fn tamper(service: &TestService, backend: Backend, statements: &[String]) {
    remove_guards(service, backend).await;
    for statement in statements {
        service
            .app
            .db
            .pool()
            .execute(statement.as_str())
            .await
            .unwrap();
    }
}

async fn an_intact_chain_and_its_export_verify(backend: Backend) {
    let (service, last) = with_history(backend).await;
    let report = verify(&service).await.unwrap();
    assert!(report.contains(&format!("up to record {last}")), "{report}");
    let audit = service.audit().await;
    assert!(audit
        .iter()
        .all(|r| r.hash.is_some() && r.prev_hash.is_some()));
    assert_eq!(
        audit[0].prev_hash.as_deref(),
        Some(recovery_server::audit::chain::GENESIS)
    );
    for pair in audit.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
    }
    // The export carries the chain and verifies on its own.
    let export = admin(&service.database_url, &["audit", "export"]).await;
    assert!(export.status.success());
    let text = String::from_utf8(export.stdout).unwrap();
    assert!(text
        .lines()
        .all(|l| l.contains("\"prev_hash\"") && l.contains("\"hash\"")));
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &text).unwrap();
    let checked = admin(
        "sqlite:///nonexistent/never-opened.db",
        &["audit", "verify", "--export", file.path().to_str().unwrap()],
    )
    .await;
    let out = String::from_utf8_lossy(&checked.stdout);
    assert!(checked.status.success(), "{out}");
    assert!(
        out.contains(audit.last().unwrap().hash.as_deref().unwrap()),
        "{out}"
    );
    service.stop().await;
}

async fn an_altered_record_is_named(backend: Backend) {
    let (service, _) = with_history(backend).await;
    let statements = [
        "UPDATE audit_events SET outcome = 'success' WHERE event = 'verification_failed'"
            .to_owned(),
    ];
    let failed = service
        .audit()
        .await
        .into_iter()
        .find(|r| r.event == "verification_failed")
        .unwrap()
        .seq;
    tamper(&service, backend, &statements).await;
    let error = verify(&service).await.unwrap_err();
    assert!(
        error.contains(&format!("record {failed} was altered")),
        "{error}"
    );
    service.stop().await;
}

async fn a_deleted_record_is_named(backend: Backend) {
    let (service, last) = with_history(backend).await;
    let gone = last - 2;
    tamper(
        &service,
        backend,
        &[format!("DELETE FROM audit_events WHERE seq = {gone}")],
    )
    .await;
    let error = verify(&service).await.unwrap_err();
    assert!(
        error.contains(&format!("the record before {} ", gone + 1))
            && error.contains(&format!("expected sequence number {gone}")),
        "{error}"
    );
    service.stop().await;
}

async fn an_inserted_record_is_named(backend: Backend) {
    let (service, last) = with_history(backend).await;
    // A forged record in the middle, hashed by the book, after shifting the later ones up.
    let forged = last - 1;
    let before = service
        .audit()
        .await
        .into_iter()
        .find(|r| r.seq == forged - 1)
        .unwrap();
    let prev_hash = before.hash.clone().unwrap();
    let hash = recovery_server::audit::chain::Link {
        seq: forged,
        at_unix: before.at.unix_timestamp(),
        event: "account_unlocked",
        outcome: "success",
        person_id: None,
        username: None,
        client: "the help desk",
        detail: "{}",
        prev_hash: &prev_hash,
    }
    .hash();
    let mut statements = Vec::new();
    for seq in (forged..=last).rev() {
        statements.push(format!(
            "UPDATE audit_events SET seq = {} WHERE seq = {seq}",
            seq + 1
        ));
    }
    statements.push(format!(
        "INSERT INTO audit_events (seq, at, event, outcome, client, detail, prev_hash, hash) \
         VALUES ({forged}, {}, 'account_unlocked', 'success', 'the help desk', '{{}}', \
         '{prev_hash}', '{hash}')",
        before.at.unix_timestamp()
    ));
    tamper(&service, backend, &statements).await;
    let error = verify(&service).await.unwrap_err();
    assert!(
        error.contains(&format!("the record before {} ", forged + 1)),
        "{error}"
    );
    service.stop().await;

    // A record added at the end, chained correctly, but the head not moved: still named.
    let (service, last) = with_history(backend).await;
    let record = service.audit().await.pop().unwrap();
    let seq = last + 1;
    let hash = recovery_server::audit::chain::Link {
        seq,
        at_unix: record.at.unix_timestamp(),
        event: "account_unlocked",
        outcome: "success",
        person_id: None,
        username: None,
        client: "the help desk",
        detail: "{}",
        prev_hash: record.hash.as_deref().unwrap(),
    }
    .hash();
    let statement = format!(
        "INSERT INTO audit_events (seq, at, event, outcome, client, detail, prev_hash, hash) \
         VALUES ({seq}, {}, 'account_unlocked', 'success', 'the help desk', '{{}}', '{}', '{hash}')",
        record.at.unix_timestamp(),
        record.hash.as_deref().unwrap()
    );
    tamper(&service, backend, &[statement]).await;
    let error = verify(&service).await.unwrap_err();
    assert!(
        error.contains(&format!(
            "the last record {seq} is not the one the chain head names"
        )),
        "{error}"
    );
    service.stop().await;
}

async fn reordered_records_are_named(backend: Backend) {
    let (service, last) = with_history(backend).await;
    let (a, b) = (last - 3, last - 2);
    tamper(
        &service,
        backend,
        &[
            format!("UPDATE audit_events SET seq = -1 WHERE seq = {a}"),
            format!("UPDATE audit_events SET seq = {a} WHERE seq = {b}"),
            format!("UPDATE audit_events SET seq = {b} WHERE seq = -1"),
        ],
    )
    .await;
    let error = verify(&service).await.unwrap_err();
    assert!(
        error.contains(&format!("the record before {a} ")),
        "{error}"
    );
    service.stop().await;
}

async fn a_log_emptied_while_the_head_remains_is_named(backend: Backend) {
    let (service, last) = with_history(backend).await;
    let wipe = match backend {
        Backend::Sqlite => "DELETE FROM audit_events",
        Backend::Postgres => "TRUNCATE audit_events",
    };
    tamper(&service, backend, &[wipe.to_owned()]).await;
    let error = verify(&service).await.unwrap_err();
    assert!(
        error.contains(&format!(
            "the log ends at record 0 but the chain head names record {last}"
        )),
        "{error}"
    );
    service.stop().await;
}

async fn a_cut_tail_is_named(backend: Backend) {
    let (service, last) = with_history(backend).await;
    tamper(
        &service,
        backend,
        &[format!(
            "DELETE FROM audit_events WHERE seq >= {}",
            last - 1
        )],
    )
    .await;
    let error = verify(&service).await.unwrap_err();
    assert!(
        error.contains(&format!(
            "the log ends at record {} but the chain head names record {last}",
            last - 2
        )),
        "{error}"
    );
    service.stop().await;
}

async fn tampering_with_an_export_is_named(backend: Backend) {
    let (service, _) = with_history(backend).await;
    let export = admin(&service.database_url, &["audit", "export"]).await;
    let lines: Vec<String> = String::from_utf8(export.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let check = |lines: Vec<String>| async move {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), lines.join("\n")).unwrap();
        let output = admin(
            "sqlite:///nonexistent/never-opened.db",
            &["audit", "verify", "--export", file.path().to_str().unwrap()],
        )
        .await;
        assert!(!output.status.success());
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let seq_of =
        |line: &str| serde_json::from_str::<serde_json::Value>(line).unwrap()["seq"].clone();

    let mut altered = lines.clone();
    assert!(altered[1].contains("\"success\""));
    altered[1] = altered[1].replace("\"success\"", "\"failure\"");
    let error = check(altered).await;
    assert!(
        error.contains(&format!("record {} was altered", seq_of(&lines[1]))),
        "{error}"
    );

    let mut deleted = lines.clone();
    deleted.remove(2);
    let error = check(deleted).await;
    assert!(
        error.contains(&format!("the record before {} ", seq_of(&lines[3]))),
        "{error}"
    );

    let mut reordered = lines.clone();
    reordered.swap(1, 2);
    let error = check(reordered).await;
    assert!(
        error.contains(&format!("the record before {} ", seq_of(&lines[2]))),
        "{error}"
    );
    service.stop().await;
}

async fn concurrent_appends_keep_one_chain(backend: Backend) {
    let service = TestService::start(backend).await;
    let base = service.base.clone();
    let answers = all_at_once(12, |i| {
        let url = format!("{base}/v1/recovery/sessions");
        async move {
            // Wrong PINs: each one is a record of its own, written alone.
            let body = serde_json::json!({
                "username": format!("nobody{i}"), "password": "whatever-password",
                "date_of_birth": "1985-12-10", "pin": "111111",
            });
            reqwest::Client::new()
                .post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
        }
    })
    .await;
    assert!(answers.iter().all(|s| *s == StatusCode::UNAUTHORIZED));
    // Concurrent sign-ins of one person (some may be asked to wait: in flight at once).
    let answers = all_at_once(6, |_| {
        let url = format!("{base}/v1/recovery/sessions");
        async move {
            let body = serde_json::json!({
                "username": ADA, "password": ADA_PASSWORD,
                "date_of_birth": "1985-12-10", "pin": "246810",
            });
            reqwest::Client::new()
                .post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
        }
    })
    .await;
    assert!(answers.contains(&StatusCode::CREATED));
    let audit = service.audit().await;
    assert_eq!(audit.len(), 18, "one record per request");
    let report = verify(&service).await.unwrap();
    assert!(report.contains("18 records chained"), "{report}");
    // However many signed in at once, one session is left.
    let live: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM recovery_sessions WHERE ended_at IS NULL")
            .fetch_one(service.app.db.pool())
            .await
            .unwrap()
            .try_get("n")
            .unwrap();
    assert_eq!(live, 1);
    service.stop().await;
}

/// docs/postgres-roles.md, followed to the letter: the owner migrates and applies
/// docs/postgres-roles.sql; the service then works under its own role, which cannot update,
/// delete or truncate the audit log, nor move the chain head back, nor drop the triggers.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_grants_keep_the_audit_log_append_only() {
    let admin_url = std::env::var("RECOVERY_TEST_POSTGRES_URL")
        .expect("PostgreSQL tests need RECOVERY_TEST_POSTGRES_URL");
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let (owner, service_role, database) = (
        format!("owner_{suffix}"),
        format!("service_{suffix}"),
        format!("t_{suffix}"),
    );
    let mut superuser = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    for statement in [
        format!("CREATE ROLE {owner} LOGIN PASSWORD 'owner-password'"),
        format!("CREATE ROLE {service_role} LOGIN PASSWORD 'service-password'"),
        format!("CREATE DATABASE {database} OWNER {owner}"),
    ] {
        superuser.execute(statement.as_str()).await.unwrap();
    }
    let url_for = |user: &str, password: &str| {
        let mut url = url::Url::parse(&admin_url).unwrap();
        url.set_username(user).unwrap();
        url.set_password(Some(password)).unwrap();
        url.set_path(&format!("/{database}"));
        url.to_string()
    };
    let owner_url = url_for(&owner, "owner-password");
    let service_url = url_for(&service_role, "service-password");

    // Before the migration the service's role cannot set the schema up.
    let refused = admin(&service_url, &["migrate"]).await;
    assert!(!refused.status.success());
    let migrated = admin(&owner_url, &["migrate"]).await;
    assert!(
        migrated.status.success(),
        "{}",
        String::from_utf8_lossy(&migrated.stderr)
    );
    let grants = include_str!("../../../../docs/postgres-roles.sql")
        .replace("recovery_service", &service_role);
    let mut as_owner = sqlx::PgConnection::connect(&owner_url).await.unwrap();
    sqlx::raw_sql(&grants).execute(&mut as_owner).await.unwrap();
    as_owner.close().await.unwrap();

    // The service works under its own role: start, demo people, sign-in, a code, the audit.
    let app = recovery_server::app::App::build(
        test_config(service_url.clone()),
        recovery_server::app::AppOptions::default(),
    )
    .await
    .expect("the service starts under its own role");
    recovery_server::demo::load(&app).await.unwrap();
    let request: recovery_api::session::CreateSession = serde_json::from_value(serde_json::json!({
        "username": ADA, "password": ADA_PASSWORD, "date_of_birth": "1985-12-10", "pin": "246810",
    }))
    .unwrap();
    let client = recovery_server::client::Client::admin_cli();
    let opened = recovery_server::flows::verify::open_session(&app, &client, &request)
        .await
        .unwrap();
    recovery_server::flows::bypass_code::issue(
        &app,
        &client,
        &opened.person,
        recovery_server::mfa::BypassCodeOrigin::SelfService,
        None,
    )
    .await
    .unwrap();
    assert!(app.audit.verify().await.unwrap().is_ok());
    let verified = admin(&service_url, &["audit", "verify"]).await;
    assert!(verified.status.success());

    // What the service's role may not do.
    let pool = app.db.pool();
    for statement in [
        "UPDATE audit_events SET outcome = 'failure'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
        "DELETE FROM audit_chain_head",
        "TRUNCATE audit_chain_head",
        "INSERT INTO audit_chain_head (id, start_seq, last_seq, last_hash) VALUES (2, 0, 0, '')",
        "ALTER TABLE audit_events DISABLE TRIGGER USER",
        "DROP TRIGGER audit_events_append_only ON audit_events",
        "DELETE FROM _sqlx_migrations",
    ] {
        let error = pool.execute(statement).await.unwrap_err();
        let code = error
            .as_database_error()
            .and_then(|e| e.code())
            .map(|c| c.into_owned());
        assert!(
            matches!(code.as_deref(), Some("42501")),
            "`{statement}` must be refused for lack of rights: {error}"
        );
    }
    // Moving the head back is refused by its trigger.
    let back = pool
        .execute("UPDATE audit_chain_head SET last_seq = 0")
        .await
        .unwrap_err();
    assert!(back.to_string().contains("only moves forward"), "{back}");
    assert!(app.audit.verify().await.unwrap().is_ok());
    app.db.close().await;

    for statement in [
        format!("DROP DATABASE {database} WITH (FORCE)"),
        format!("DROP ROLE {service_role}"),
        format!("DROP ROLE {owner}"),
    ] {
        superuser.execute(statement.as_str()).await.unwrap();
    }
    superuser.close().await.ok();
}
