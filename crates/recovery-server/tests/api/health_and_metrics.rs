use reqwest::StatusCode;
use serde_json::Value;

use crate::{
    on_both_databases,
    support::{Backend, TestService},
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
    let metrics = service
        .http
        .get(service.url("/metrics"))
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
    service.stop().await;
}
