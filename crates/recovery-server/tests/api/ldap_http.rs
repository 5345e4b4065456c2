//! The whole service with `[directory] kind = "ldap"`: a recovery session opened over HTTP with
//! the password slapd holds, and the same answer for a wrong password and an unknown username.

use recovery_api::Secret;
use recovery_server::{config::DirectoryKind, storage::UnitOfWork};
use reqwest::StatusCode;
use serde_json::Value;
use time::macros::date;

use crate::{
    ldap_directory::starttls_config,
    support::{Backend, TestService, ADA, ADA_DOB, ADA_PASSWORD, ADA_PIN},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ldap_http_a_recovery_session_opens_with_the_directory_password() {
    let service = TestService::start_with(Backend::Sqlite, |config| {
        config.directory.kind = DirectoryKind::Ldap;
        config.directory.ldap = Some(starttls_config());
    })
    .await;
    let app = &service.app;
    let ada = app
        .directory
        .find_by_username(ADA)
        .await
        .unwrap()
        .expect("ada is in slapd");
    // The directory's date of birth, and the PIN the service keeps for the LDAP person id.
    let dob = app.directory.date_of_birth(&ada).await.unwrap();
    assert_eq!(dob, Some(date!(1985 - 12 - 10)));
    let hash = app
        .recovery_pins
        .hash(date!(1985 - 12 - 10), &Secret::new(ADA_PIN))
        .await
        .unwrap();
    let mut work = UnitOfWork::new(&app.db);
    app.recovery_pins
        .set(&mut work, &ada.id, &hash, time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    work.commit().await.unwrap();

    let opened = service.sign_in(ADA, ADA_PASSWORD, ADA_DOB, ADA_PIN).await;
    assert_eq!(opened.status(), StatusCode::CREATED);
    let body: Value = opened.json().await.unwrap();
    assert!(body["token"].as_str().is_some(), "{body}");

    let wrong = service
        .sign_in(ADA, "not-the-password", ADA_DOB, ADA_PIN)
        .await;
    let unknown = service
        .sign_in("nobody", ADA_PASSWORD, ADA_DOB, ADA_PIN)
        .await;
    assert_eq!(wrong.status(), unknown.status());
    assert_ne!(wrong.status(), StatusCode::CREATED);
    let (wrong, unknown): (Value, Value) =
        (wrong.json().await.unwrap(), unknown.json().await.unwrap());
    assert_eq!(wrong["code"], unknown["code"], "{wrong} / {unknown}");
    service.stop().await;
}
