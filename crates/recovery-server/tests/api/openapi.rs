//! The committed OpenAPI document is the one the service serves.

use recovery_server::http::openapi::ApiDoc;

use crate::support::{Backend, TestService};

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");

#[test]
fn committed_openapi_document_is_current() {
    let generated = ApiDoc::pretty_json();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(COMMITTED, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    assert!(
        committed == generated,
        "crates/recovery-server/openapi.json is stale; regenerate it with \
         `UPDATE_OPENAPI=1 cargo test -p recovery-server --test api openapi`"
    );
    let document: serde_json::Value = serde_json::from_str(&generated).unwrap();
    for path in [
        "/v1/recovery/sessions",
        "/v1/recovery/sessions/current",
        "/v1/me/authenticators",
        "/v1/me/bypass-codes",
        "/v1/me/authenticators/{id}",
        "/v1/me/phones",
        "/v1/me/phones/{id}/verify",
        "/v1/me/phones/{id}/activation",
        "/v1/me/phones/{id}/activation/sms",
        "/v1/activations/{code}",
        "/v1/me/security-keys/registrations",
        "/v1/me/security-keys/registrations/{id}",
        "/v1/me/hardware-tokens/{id}/resync",
        "/v1/kiosks/enrollments",
        "/v1/demo/outbox",
        "/v1/openapi.json",
        "/healthz",
        "/metrics",
    ] {
        assert!(document["paths"][path].is_object(), "{path} is documented");
    }
}

#[tokio::test]
async fn the_service_serves_the_same_document() {
    let service = TestService::start(Backend::Sqlite).await;
    let served: serde_json::Value = service
        .http
        .get(service.url("/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let generated: serde_json::Value = serde_json::from_str(&ApiDoc::pretty_json()).unwrap();
    assert_eq!(served, generated);
    service.stop().await;
}
