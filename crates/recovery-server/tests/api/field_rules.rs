//! Field rules that keep a person's data plausible and safe to show: device names without
//! direction marks or line separators, dates of birth from 1900 up to today. Each refusal is
//! a clear `invalid_field` and changes nothing.

use reqwest::StatusCode;
use serde_json::{json, Value};
use time::{macros::format_description, Duration};

use crate::{
    on_both_databases,
    support::{expect_problem, Backend, TestService, ADA, ADA_PASSWORD, ADA_PIN},
};

on_both_databases!(
    device_names_with_direction_marks_or_separators_are_refused,
    dates_of_birth_before_1900_or_in_the_future_are_refused,
);

async fn devices(service: &TestService, token: &str) -> Vec<Value> {
    let body: Value = service
        .get_with("/v1/me/authenticators", token)
        .await
        .json()
        .await
        .unwrap();
    body["authenticators"].as_array().unwrap().clone()
}

async fn device_names_with_direction_marks_or_separators_are_refused(backend: Backend) {
    let service = TestService::start(backend).await;
    let token = service.ada_token().await;
    let before = devices(&service, &token).await;
    let phone = before[0]["id"].as_str().unwrap().to_owned();
    let audit = service.audit().await.len();
    for name in [
        "My phone\u{202E}gpj.exe",
        "\u{202A}Phone",
        "\u{2066}Phone\u{2069}",
        "Phone\u{200E}",
        "Phone\u{200F}",
        "Phone\u{061C}",
        "Phone\u{2028}Your code is 123",
        "Phone\u{2029}",
        "Phone\u{7}",
        "Phone\u{85}",
    ] {
        let renamed = service
            .http
            .patch(service.url(&format!("/v1/me/authenticators/{phone}")))
            .bearer_auth(&token)
            .json(&json!({ "name": name }))
            .send()
            .await
            .unwrap();
        let problem = expect_problem(renamed, 422, "invalid_field").await;
        assert_eq!(problem["field"], "name", "{name:?}");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("text-direction marks"),
            "{problem}"
        );
    }
    assert_eq!(devices(&service, &token).await, before, "no name changed");
    assert_eq!(service.audit().await.len(), audit, "nothing audited");

    let renamed = service
        .http
        .patch(service.url(&format!("/v1/me/authenticators/{phone}")))
        .bearer_auth(&token)
        .json(&json!({ "name": "Téléphone de Zoë 📱" }))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), StatusCode::OK);
    service.stop().await;
}

async fn dates_of_birth_before_1900_or_in_the_future_are_refused(backend: Backend) {
    let service = TestService::start(backend).await;
    let audit = service.audit().await.len();
    let format = format_description!("[year]-[month]-[day]");
    let today = service.clock_today();
    let tomorrow = (today + Duration::days(1)).format(format).unwrap();
    let next_year = (today + Duration::days(366)).format(format).unwrap();
    // More refusals than the lockout allows: none of them is charged as a guess.
    for _ in 0..3 {
        for (date, words) in [
            ("1899-12-31", "from 1900 on"),
            ("0001-01-01", "from 1900 on"),
            (tomorrow.as_str(), "future"),
            (next_year.as_str(), "future"),
        ] {
            let response = service.sign_in(ADA, ADA_PASSWORD, date, ADA_PIN).await;
            let problem = expect_problem(response, 422, "invalid_field").await;
            assert_eq!(problem["field"], "date_of_birth", "{date}");
            assert!(
                problem["detail"].as_str().unwrap().contains(words),
                "{date}: {problem}"
            );
        }
    }
    assert_eq!(service.audit().await.len(), audit, "nothing audited");
    // Not locked, nothing charged: the right details still open a session.
    service.ada_token().await;
    service.stop().await;
}
