//! Unknown user, wrong password and wrong second check do the same argon2 work, hash for hash
//! and parameter for parameter, even when people were imported at another cost than the one
//! the service runs at; a success moves the person's hashes to the configured cost.

use std::{net::IpAddr, sync::Arc};

use recovery_api::{session::CreateSession, Secret};
use recovery_server::{
    app::{App, AppOptions},
    client::Client,
    flows,
    mfa::BypassCodeOrigin,
    slow_hash::{HashCost, HashWork},
    storage::UnitOfWork,
};
use sqlx::Row;
use time::Duration;

use crate::{
    on_both_databases,
    support::{test_config, Backend, TestService, ADA, ADA_DOB, ADA_PASSWORD, ADA_PIN},
};

on_both_databases!(
    knowledge_failures_do_the_same_work_at_the_imported_cost,
    passcode_failures_do_the_same_work,
    a_success_rehashes_at_the_configured_cost,
);

/// The cost people were imported at; the service then runs at `test_config`'s.
const IMPORTED: HashCost = HashCost {
    memory_kib: 512,
    iterations: 2,
    parallelism: 1,
};

/// People imported at [`IMPORTED`], then a service at the configured cost on the same database.
async fn restarted_at_another_cost(backend: Backend) -> (TestService, App) {
    let importer = TestService::start_with(backend, |config| {
        config.password_hash = IMPORTED;
    })
    .await;
    let config = test_config(importer.database_url.clone());
    assert_ne!(config.password_hash, IMPORTED);
    let options = AppOptions {
        clock: Arc::new(importer.clock.clone()),
        demo: true,
    };
    let app = App::build(config, options).await.unwrap();
    (importer, app)
}

fn client() -> Client {
    Client::address(IpAddr::from([192, 0, 2, 7]))
}

fn knowledge(username: &str, password: &str, pin: &str) -> CreateSession {
    CreateSession {
        username: username.to_owned(),
        password: Secret::new(password),
        date_of_birth: Some(ADA_DOB.to_owned()),
        pin: Some(Secret::new(pin)),
        passcode: None,
    }
}

fn passcode(username: &str, password: &str, code: &str) -> CreateSession {
    CreateSession {
        username: username.to_owned(),
        password: Secret::new(password),
        date_of_birth: None,
        pin: None,
        passcode: Some(Secret::new(code)),
    }
}

/// The argon2 calls one verification makes, and whether it opened a session.
async fn work(app: &App, request: &CreateSession) -> (Vec<HashWork>, bool) {
    let probe = app.hasher.probe();
    probe.record();
    let opened = flows::verify::open_session(app, &client(), request).await;
    (probe.recorded(), opened.is_ok())
}

async fn knowledge_failures_do_the_same_work_at_the_imported_cost(backend: Backend) {
    let (importer, app) = restarted_at_another_cost(backend).await;
    let unknown = work(&app, &knowledge("nobody", ADA_PASSWORD, ADA_PIN)).await;
    let wrong_password = work(&app, &knowledge(ADA, "not-the-password", ADA_PIN)).await;
    let wrong_pin = work(&app, &knowledge(ADA, ADA_PASSWORD, "999999")).await;
    // A person who has no recovery PIN (cleared by the help desk, or never set).
    sqlx::query(
        "DELETE FROM recovery_pins WHERE person_id = (SELECT id FROM people WHERE username = $1)",
    )
    .bind(ADA)
    .execute(app.db.pool())
    .await
    .unwrap();
    let no_pin = work(&app, &knowledge(ADA, ADA_PASSWORD, ADA_PIN)).await;

    let both_at_import_cost = vec![HashWork::Verify(IMPORTED), HashWork::Verify(IMPORTED)];
    assert_eq!(no_pin, (both_at_import_cost.clone(), false), "no PIN set");
    assert_eq!(
        unknown,
        (both_at_import_cost.clone(), false),
        "unknown user"
    );
    assert_eq!(
        wrong_password,
        (both_at_import_cost.clone(), false),
        "wrong password"
    );
    assert_eq!(wrong_pin, (both_at_import_cost, false), "wrong PIN");
    app.db.close().await;
    importer.stop().await;
}

async fn passcode_failures_do_the_same_work(backend: Backend) {
    let (importer, app) = restarted_at_another_cost(backend).await;
    let configured = app.hasher.cost();
    let expected = vec![HashWork::Verify(IMPORTED), HashWork::Verify(configured)];
    for code in ["123456789", "123456"] {
        let unknown = work(&app, &passcode("nobody", ADA_PASSWORD, code)).await;
        let wrong_password = work(&app, &passcode(ADA, "not-the-password", code)).await;
        let wrong_code = work(&app, &passcode(ADA, ADA_PASSWORD, code)).await;
        assert_eq!(unknown, (expected.clone(), false), "unknown user, {code}");
        assert_eq!(
            wrong_password,
            (expected.clone(), false),
            "wrong password, {code}"
        );
        assert_eq!(
            wrong_code,
            (expected.clone(), false),
            "wrong passcode, {code}"
        );
    }
    // With a bypass code outstanding, a wrong one is checked against it: still the same work.
    let ada = app.directory.find_by_username(ADA).await.unwrap().unwrap();
    let mut issuing = UnitOfWork::new(&app.db);
    app.mfa
        .issue_bypass_code(
            &mut issuing,
            &ada,
            BypassCodeOrigin::HelpDesk,
            Duration::minutes(10),
            app.clock.now(),
        )
        .await
        .unwrap();
    issuing.commit().await.unwrap();
    let wrong_code = work(&app, &passcode(ADA, ADA_PASSWORD, "123456789")).await;
    assert_eq!(
        wrong_code,
        (expected, false),
        "wrong passcode, code outstanding"
    );
    app.db.close().await;
    importer.stop().await;
}

async fn stored_costs(app: &App) -> (Option<HashCost>, Option<HashCost>) {
    let row = sqlx::query(
        "SELECT password_hash, knowledge_hash FROM people \
         JOIN recovery_pins ON recovery_pins.person_id = people.id WHERE username = $1",
    )
    .bind(ADA)
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    let password: String = row.try_get("password_hash").unwrap();
    let recovery: String = row.try_get("knowledge_hash").unwrap();
    (
        HashCost::of_stored(&password),
        HashCost::of_stored(&recovery),
    )
}

async fn a_success_rehashes_at_the_configured_cost(backend: Backend) {
    let (importer, app) = restarted_at_another_cost(backend).await;
    let configured = app.hasher.cost();
    assert_eq!(stored_costs(&app).await, (Some(IMPORTED), Some(IMPORTED)));

    let (_, opened) = work(&app, &knowledge(ADA, ADA_PASSWORD, ADA_PIN)).await;
    assert!(opened);
    assert_eq!(
        stored_costs(&app).await,
        (Some(configured), Some(configured))
    );
    // From now on Ada's checks cost the configured cost, and her secrets still work.
    let wrong_pin = work(&app, &knowledge(ADA, ADA_PASSWORD, "999999")).await;
    assert_eq!(
        wrong_pin,
        (
            vec![HashWork::Verify(configured), HashWork::Verify(configured)],
            false
        )
    );
    let (again, opened) = work(&app, &knowledge(ADA, ADA_PASSWORD, ADA_PIN)).await;
    assert!(opened);
    assert_eq!(
        again,
        vec![HashWork::Verify(configured), HashWork::Verify(configured)],
        "nothing left to rehash"
    );
    app.db.close().await;
    importer.stop().await;
}
