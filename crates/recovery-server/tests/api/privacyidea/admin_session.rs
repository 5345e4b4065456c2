//! The service's admin session at privacyIDEA: it signs in again when its JWT expires (the
//! test server issues 10-second JWTs), and it sends the optional 3.14 API client key.

use std::time::Duration;

use reqwest::Method;

use super::fixture::{devices, pi, session, var};
use crate::support::{Backend, TestService};
use recovery_api::Secret;
use recovery_server::config::ProviderKind;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_admin_session_signs_in_again() {
    let pi = pi();
    let service = pi.service(Backend::Sqlite).await;
    let user = pi.person(&service).await;
    pi.hotp(&user).await;
    let token = session(&service, &user).await;
    assert_eq!(devices(&service, &token).await.len(), 1);
    tokio::time::sleep(Duration::from_secs(11)).await;
    assert_eq!(
        devices(&service, &token).await.len(),
        1,
        "the same answer after the admin's JWT expired"
    );
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_key_names_the_service_to_privacyidea() {
    let pi = pi();
    let key = std::fs::read_to_string(var("RECOVERY_TEST_PRIVACYIDEA_API_KEY_FILE")).unwrap();
    let mut config = pi.config();
    config.api_key = Some(Secret::new(key.trim()));
    let service = TestService::start_with(Backend::Sqlite, |c| {
        c.provider = ProviderKind::PrivacyIdea;
        c.privacyidea = Some(config);
    })
    .await;
    let user = pi.person(&service).await;
    pi.totp(&user).await;
    let token = session(&service, &user).await;
    assert_eq!(devices(&service, &token).await.len(), 1);
    let clients = pi.call(Method::GET, "/clients/", &[]).await;
    let ours = clients["result"]["value"]
        .as_array()
        .or_else(|| clients["result"]["value"]["clients"].as_array())
        .unwrap_or_else(|| panic!("{clients}"))
        .iter()
        .find(|c| c["display_name"] == "Recovery Desk tests")
        .cloned()
        .unwrap();
    assert!(ours["last_used_at"].is_string(), "{ours}");
    service.stop().await;
}
