//! The admin commands, run as the real binary against the test service's database.

use std::process::Output;

use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Row;

use crate::{
    on_both_databases,
    support::{expect_problem, Backend, TestService, ADA, ADA_DOB, ADA_PASSWORD},
};

on_both_databases!(
    directory_import_adds_people_all_or_nothing,
    help_desk_bypass_code_unlock_and_audit_export,
    kiosk_token_enrolls_a_kiosk,
    tokens_import_gives_people_their_hardware_tokens,
    recovery_pin_clear_and_facts_import,
);

async fn admin(service: &TestService, args: &[&str]) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_recovery-server"));
    command
        .args(args)
        .env("RECOVERY_DATABASE_URL", &service.database_url)
        .env("RECOVERY_PASSWORD_HASH__MEMORY_KIB", "256")
        .env("RECOVERY_PASSWORD_HASH__ITERATIONS", "1")
        .env("RECOVERY_ORGANISATION__NAME", "Example University")
        .env("RUST_LOG", "warn");
    command.output().await.unwrap()
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "command failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

async fn people(service: &TestService) -> i64 {
    sqlx::query("SELECT COUNT(*) AS n FROM people")
        .fetch_one(service.app.db.pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

async fn directory_import_adds_people_all_or_nothing(backend: Backend) {
    let service = TestService::start(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let header = "username,display_name,notification_emails,phone_numbers,date_of_birth,password,recovery_pin\n";
    let good = dir.path().join("good.csv");
    std::fs::write(
        &good,
        format!(
            "{header}mary,Mary Somerville,mary@example.org;mary@home.example.net,+34 612 345 678,1980-12-26,on-the-connexion,424242\n\
             ada,Ada King,ada.king@example.org,,1985-12-10,new-password-for-ada,246810\n"
        ),
    )
    .unwrap();
    let before = people(&service).await;
    let out = stdout(&admin(&service, &["directory", "import", good.to_str().unwrap()]).await);
    assert!(
        out.contains("Imported 2 people: 1 added, 1 updated"),
        "{out}"
    );
    assert_eq!(people(&service).await, before + 1);
    let mary = service
        .sign_in("mary", "on-the-connexion", "1980-12-26", "424242")
        .await;
    assert_eq!(mary.status(), StatusCode::CREATED);
    let old_password = service.sign_in(ADA, ADA_PASSWORD, ADA_DOB, "246810").await;
    expect_problem(old_password, 401, "verification_failed").await;

    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        format!(
            "{header}newbie,New Person,new@example.org,,1990-01-01,pw-new,111111\n\
             broken,Broken Row,broken@example.org,,1990-02-30,pw,111111\n"
        ),
    )
    .unwrap();
    let failed = admin(&service, &["directory", "import", bad.to_str().unwrap()]).await;
    assert!(!failed.status.success());
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(stderr.contains("line 3"), "{stderr}");
    assert_eq!(
        people(&service).await,
        before + 1,
        "one bad line, nothing imported"
    );

    let missing = admin(&service, &["directory", "import", "/nonexistent.csv"]).await;
    assert!(!missing.status.success());
    service.stop().await;
}

async fn help_desk_bypass_code_unlock_and_audit_export(backend: Backend) {
    let service = TestService::start(backend).await;
    let out = stdout(&admin(&service, &["bypass-code", "issue", "Ada"]).await);
    let code: String = out
        .lines()
        .next()
        .unwrap()
        .rsplit(": ")
        .next()
        .unwrap()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    assert_eq!(code.len(), 9, "{out}");
    assert!(out.contains("not shown again"));
    let notice = service.outbox().await;
    assert!(
        notice[0]
            .body
            .contains("The help desk created a one-time bypass code"),
        "{}",
        notice[0].body
    );
    let first = service
        .sign_in_with_passcode(ADA, ADA_PASSWORD, &code)
        .await;
    assert_eq!(first.status(), StatusCode::CREATED);

    let unknown = admin(&service, &["bypass-code", "issue", "nobody"]).await;
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no person"));

    for _ in 0..5 {
        let _ = service.sign_in(ADA, ADA_PASSWORD, ADA_DOB, "999999").await;
    }
    expect_problem(
        service.sign_in(ADA, ADA_PASSWORD, ADA_DOB, "246810").await,
        429,
        "locked",
    )
    .await;
    let unlocked = stdout(&admin(&service, &["unlock", "ada"]).await);
    assert!(unlocked.contains("Unlocked"), "{unlocked}");
    assert_eq!(
        service
            .sign_in(ADA, ADA_PASSWORD, ADA_DOB, "246810")
            .await
            .status(),
        StatusCode::CREATED
    );

    let export = stdout(&admin(&service, &["audit", "export"]).await);
    let records: Vec<Value> = export
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let events: Vec<&str> = records
        .iter()
        .map(|r| r["event"].as_str().unwrap())
        .collect();
    assert_eq!(events.first(), Some(&"bypass_code_issued"));
    assert!(events.contains(&"account_unlocked"));
    assert_eq!(records[0]["client"], "the help desk");
    assert_eq!(records[0]["detail"]["origin"], "help_desk");
    assert!(!export.contains(&code), "the code is not in the audit log");
    let later = stdout(
        &admin(
            &service,
            &["audit", "export", "--after", &records[1]["seq"].to_string()],
        )
        .await,
    );
    assert_eq!(later.lines().count(), records.len() - 2);
    service.stop().await;
}

async fn kiosk_token_enrolls_a_kiosk(backend: Backend) {
    let service = TestService::start(backend).await;
    let out = stdout(&admin(&service, &["kiosk", "token", "--name", "Library Kiosk"]).await);
    let token = out.lines().nth(1).unwrap().trim().to_owned();
    let enrolled = service
        .post_json(
            "/v1/kiosks/enrollments",
            &json!({ "enrollment_token": token }),
        )
        .await;
    assert_eq!(enrolled.status(), StatusCode::CREATED);
    let blank = admin(&service, &["kiosk", "token", "--name", "  "]).await;
    assert!(!blank.status.success());
    service.stop().await;
}

async fn tokens_import_gives_people_their_hardware_tokens(backend: Backend) {
    let service = TestService::start(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("tokens.csv");
    // RFC 4226's key in base32, the counter at 10.
    std::fs::write(
        &good,
        "serial,secret,counter,owner\nT-42,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,10,alan\n",
    )
    .unwrap();
    let out = stdout(&admin(&service, &["tokens", "import", good.to_str().unwrap()]).await);
    assert!(out.contains("Imported 1 hardware token."), "{out}");
    // The token's next code (counter 10) signs alan in.
    let code = recovery_server::otp::hotp(
        &recovery_server::otp::OtpSecret::from_bytes(b"12345678901234567890".to_vec()),
        10,
    );
    let signed_in = service
        .sign_in_with_passcode("alan", "imitation-game-1950", &code)
        .await;
    assert_eq!(signed_in.status(), StatusCode::CREATED);

    for (name, csv, expected) in [
        (
            "again.csv",
            "serial,secret,counter,owner\nT-42,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,0,alan\n",
            "already imported",
        ),
        (
            "owner.csv",
            "serial,secret,counter,owner\nT-43,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,0,nobody\n",
            "no person",
        ),
        (
            "secret.csv",
            "serial,secret,counter,owner\nT-44,not-base32!,0,alan\n",
            "line 2",
        ),
        (
            "columns.csv",
            "serial,secret,owner\nT-45,GEZDGNBVGY3TQOJQ,alan\n",
            "counter",
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, csv).unwrap();
        let failed = admin(&service, &["tokens", "import", path.to_str().unwrap()]).await;
        assert!(!failed.status.success(), "{name}");
        let stderr = String::from_utf8_lossy(&failed.stderr);
        assert!(stderr.contains(expected), "{name}: {stderr}");
    }
    let tokens: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM authenticators WHERE kind = 'hardware_token'")
            .fetch_one(service.app.db.pool())
            .await
            .unwrap()
            .try_get("n")
            .unwrap();
    assert_eq!(
        tokens, 3,
        "grace's and margaret's demo tokens and T-42; nothing from the bad files"
    );
    service.stop().await;
}

async fn recovery_pin_clear_and_facts_import(backend: Backend) {
    let service = TestService::start(backend).await;
    let cleared = stdout(
        &admin(
            &service,
            &[
                "recovery-pin",
                "clear",
                "ADA",
                "--reason",
                "forgotten, ticket 4711",
            ],
        )
        .await,
    );
    assert!(
        cleared.contains("Cleared the recovery PIN of `ADA`"),
        "{cleared}"
    );
    let refused = service.sign_in(ADA, ADA_PASSWORD, ADA_DOB, "246810").await;
    expect_problem(refused, 401, "verification_failed").await;
    let again = stdout(
        &admin(
            &service,
            &["recovery-pin", "clear", "ada", "--reason", "again"],
        )
        .await,
    );
    assert!(
        again.contains("has no recovery PIN; nothing was changed"),
        "{again}"
    );
    for args in [
        &["recovery-pin", "clear", "nobody", "--reason", "typo"][..],
        &["recovery-pin", "clear", "ada", "--reason", " "][..],
        &["recovery-pin", "clear", "ada"][..],
    ] {
        let output = admin(&service, args).await;
        assert!(!output.status.success(), "{args:?} must fail");
    }
    let audit = service.audit().await;
    let clears: Vec<_> = audit
        .iter()
        .filter(|r| r.event == "recovery_pin_cleared")
        .collect();
    assert_eq!(clears.len(), 1);
    assert_eq!(clears[0].detail["reason"], "forgotten, ticket 4711");
    assert_eq!(clears[0].client, "the help desk");

    let dir = tempfile::tempdir().unwrap();
    let facts = dir.path().join("facts.csv");
    std::fs::write(
        &facts,
        "username,date_of_birth,department\nada,1985-12-11,Maths\n",
    )
    .unwrap();
    let out = stdout(
        &admin(
            &service,
            &["directory", "facts", "import", facts.to_str().unwrap()],
        )
        .await,
    );
    assert!(
        out.contains("Imported the date of birth of 1 person."),
        "{out}"
    );
    let stored = service.app.hr_facts.date_of_birth(ADA).await.unwrap();
    assert_eq!(stored, Some(time::macros::date!(1985 - 12 - 11)));
    let raw: String = sqlx::query("SELECT date_of_birth FROM hr_facts WHERE username = 'ada'")
        .fetch_one(service.app.db.pool())
        .await
        .unwrap()
        .try_get("date_of_birth")
        .unwrap();
    assert!(!raw.contains("1985"), "sealed at rest");

    let secret = dir.path().join("secret.csv");
    std::fs::write(
        &secret,
        "username,date_of_birth,password\nada,1970-01-01,hunter2\n",
    )
    .unwrap();
    let output = admin(
        &service,
        &["directory", "facts", "import", secret.to_str().unwrap()],
    )
    .await;
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("must not hold secrets"));
    let unchanged = service.app.hr_facts.date_of_birth(ADA).await.unwrap();
    assert_eq!(
        unchanged,
        Some(time::macros::date!(1985 - 12 - 11)),
        "nothing changed"
    );
    service.stop().await;
}
