//! Who is asking: the `Bearer` scheme in any case, and network clients throttled by what one
//! subscriber holds (an IPv6 /64; an IPv4-mapped address is its IPv4 address).

use reqwest::StatusCode;
use serde_json::json;

use crate::{
    on_both_databases,
    support::{expect_problem, Backend, TestService, ADA_DOB, ADA_PASSWORD},
};

on_both_databases!(
    the_bearer_scheme_is_matched_in_any_case,
    ipv6_clients_are_throttled_by_their_64
);

async fn the_bearer_scheme_is_matched_in_any_case(backend: Backend) {
    let service = TestService::start(backend).await;
    let token = service.ada_token().await;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let response = service
            .http
            .get(service.url("/v1/me/authenticators"))
            .header("authorization", format!("{scheme} {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{scheme}");
    }
    let other_scheme = service
        .http
        .get(service.url("/v1/me/authenticators"))
        .header("authorization", format!("Token {token}"))
        .send()
        .await
        .unwrap();
    expect_problem(other_scheme, 401, "session_invalid").await;
    service.stop().await;
}

async fn ipv6_clients_are_throttled_by_their_64(backend: Backend) {
    let service = TestService::start_with(backend, |config| {
        config.trust_forwarded_for = true;
        config.throttle.client_failures = 3;
    })
    .await;
    let attempt = |from: &'static str, username: &'static str| {
        service
            .http
            .post(service.url("/v1/recovery/sessions"))
            .header("x-forwarded-for", from)
            .json(&json!({
                "username": username, "password": ADA_PASSWORD,
                "date_of_birth": ADA_DOB, "pin": "999999"
            }))
            .send()
    };

    // Three failures from three addresses of one /64 use up that /64's budget…
    for (from, username) in [
        ("2001:db8:1:2::a", "nobody1"),
        ("2001:db8:1:2::b", "nobody2"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "nobody3"),
    ] {
        expect_problem(
            attempt(from, username).await.unwrap(),
            401,
            "verification_failed",
        )
        .await;
    }
    let same_64 = attempt("2001:db8:1:2:1234::1", "nobody4").await.unwrap();
    expect_problem(same_64, 429, "too_many_attempts").await;
    // …and no other /64's.
    let next_64 = attempt("2001:db8:1:3::a", "nobody5").await.unwrap();
    expect_problem(next_64, 401, "verification_failed").await;

    // An IPv4-mapped address is the IPv4 client it names, not a /64 of its own.
    for username in ["nobody6", "nobody7", "nobody8"] {
        let mapped = attempt("::ffff:192.0.2.7", username).await.unwrap();
        expect_problem(mapped, 401, "verification_failed").await;
    }
    let plain = attempt("192.0.2.7", "nobody9").await.unwrap();
    expect_problem(plain, 429, "too_many_attempts").await;
    let neighbour = attempt("::ffff:192.0.2.8", "nobody10").await.unwrap();
    expect_problem(neighbour, 401, "verification_failed").await;
    service.stop().await;
}
