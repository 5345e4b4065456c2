//! The committed OpenAPI document is the one the service serves.

use recovery_server::http::openapi::ApiDoc;
use tower::ServiceExt;

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
        "/v1/help-desk/sign-in/security-key",
        "/v1/help-desk/sessions",
        "/v1/help-desk/sessions/current",
        "/v1/help-desk/me",
        "/v1/help-desk/me/security-keys/registrations",
        "/v1/help-desk/me/security-keys/registrations/{id}",
        "/v1/help-desk/people/{username}",
        "/v1/help-desk/people/{username}/caller-verifications",
        "/v1/help-desk/people/{username}/caller-verifications/{id}/code",
        "/v1/help-desk/people/{username}/bypass-codes",
        "/v1/help-desk/people/{username}/unlock",
        "/v1/help-desk/people/{username}/recovery-pin/clear",
        "/v1/help-desk/people/{username}/authenticators/{id}/removal",
        "/v1/openapi.json",
        "/healthz",
    ] {
        assert!(document["paths"][path].is_object(), "{path} is documented");
    }
    // Agent sessions are a scheme of their own.
    assert_eq!(
        document["components"]["securitySchemes"]["help_desk_session"]["scheme"],
        "bearer"
    );
    assert_eq!(
        document["paths"]["/v1/help-desk/me"]["get"]["security"][0]["help_desk_session"],
        serde_json::json!([])
    );
    // Served on the admin listener, or only by a demo service.
    for path in ["/metrics", "/v1/demo/outbox"] {
        assert!(
            document["paths"][path].is_null(),
            "{path} is not advertised"
        );
    }
    every_reference_resolves(&document);
}

#[test]
fn the_demo_document_adds_the_outbox() {
    let document = serde_json::to_value(ApiDoc::document_for(true)).unwrap();
    assert!(document["paths"]["/v1/demo/outbox"]["get"].is_object());
    every_reference_resolves(&document);
}

/// Every `$ref` names a schema the document defines (`RemovalReason` was referenced and
/// missing).
fn every_reference_resolves(document: &serde_json::Value) {
    fn walk(value: &serde_json::Value, found: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::String(target)) = map.get("$ref") {
                    found.push(target.clone());
                }
                map.values().for_each(|v| walk(v, found));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, found)),
            _ => {}
        }
    }
    let mut references = Vec::new();
    walk(document, &mut references);
    assert!(references.iter().any(|r| r.ends_with("/RemovalReason")));
    for reference in references {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected reference {reference}"));
        assert!(
            document["components"]["schemas"][name].is_object(),
            "{reference} is referenced but not defined"
        );
    }
}

#[tokio::test]
async fn the_service_serves_the_same_document() {
    let service = TestService::start(Backend::Sqlite).await;
    let served_by_demo: serde_json::Value = service
        .http
        .get(service.url("/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        served_by_demo,
        serde_json::to_value(ApiDoc::document_for(true)).unwrap()
    );

    // Outside demo mode: the committed document.
    let mut app = service.app.clone();
    app.demo = false;
    let response = recovery_server::http::router(app)
        .oneshot(
            axum::http::Request::get("/v1/openapi.json")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let served: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let generated: serde_json::Value = serde_json::from_str(&ApiDoc::pretty_json()).unwrap();
    assert_eq!(served, generated);
    service.stop().await;
}
