use reqwest::StatusCode;
use serde_json::Value;

use crate::{
    connections::AdminListener,
    on_both_databases,
    support::{expect_problem, Backend, TestService},
};

on_both_databases!(health_and_metrics_answer);

async fn health_and_metrics_answer(backend: Backend) {
    let service = TestService::start(backend).await;
    let health = service
        .http
        .get(service.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let body: Value = health.json().await.unwrap();
    assert_eq!(body["status"], "ok");

    let _ = service.ada_token().await;
    // Metrics are not the public's business: not on the API listener, on the admin one.
    let public = service
        .http
        .get(service.url("/metrics"))
        .send()
        .await
        .unwrap();
    expect_problem(public, 404, "not_found").await;
    let admin = AdminListener::start(&service).await;
    let admin_health = service
        .http
        .get(admin.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(admin_health.status(), StatusCode::OK);
    let metrics = service
        .http
        .get(admin.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), StatusCode::OK);
    assert!(metrics.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    let text = metrics.text().await.unwrap();
    assert!(
        text.contains("recovery_verifications_total{outcome=\"success\"} 1"),
        "{text}"
    );
    assert!(text.contains("recovery_http_requests_total{method=\"POST\",route=\"/v1/recovery/sessions\",status=\"201\"} 1"), "{text}");
    assert!(text.ends_with("# EOF\n"));
    admin.stop().await;
    service.stop().await;
}
