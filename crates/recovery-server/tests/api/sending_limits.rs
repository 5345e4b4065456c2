//! Daily caps on what one person and one recovery session can make the service send: notices,
//! verification calls, activation texts. Refused before anything is sent or changed, with
//! `limit_reached` and a `Retry-After` that says when the day's window frees a slot.

use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use time::Duration;

use crate::{
    landlines::spoken_code,
    on_both_databases,
    support::{all_at_once, expect_problem, Backend, TestService, ADA_EMAIL},
};
use recovery_api::demo::Channel;
use recovery_server::{config::Config, sending_caps::SendingLimits};

on_both_databases!(
    landline_calls_are_capped_per_session_and_per_person,
    activation_texts_are_capped_per_session_and_per_person,
    no_bypass_code_is_issued_unannounced_past_the_notice_cap,
    parallel_requests_never_get_past_a_cap,
);

/// Caps small enough to reach; the ones a test does not look at stay out of the way.
fn limits(config: &mut Config, set: impl FnOnce(&mut SendingLimits)) {
    config.limits = SendingLimits {
        notices_per_person: 100,
        notices_per_session: 100,
        calls_per_person: 100,
        calls_per_session: 100,
        texts_per_person: 100,
        texts_per_session: 100,
    };
    set(&mut config.limits);
}

/// Checks the refusal and returns its `Retry-After` in seconds.
async fn refused(response: Response) -> i64 {
    let retry_after: i64 = response
        .headers()
        .get("retry-after")
        .expect("a Retry-After header")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let problem = expect_problem(response, 429, "limit_reached").await;
    assert!(problem["retry_at"].is_string(), "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("nothing was sent or changed"),
        "{problem}"
    );
    retry_after
}

async fn count(service: &TestService, channel: Channel) -> usize {
    service
        .outbox()
        .await
        .iter()
        .filter(|m| m.channel == channel)
        .count()
}

async fn audited(service: &TestService, event: &str) -> usize {
    service
        .audit()
        .await
        .iter()
        .filter(|r| r.event == event)
        .count()
}

async fn add_landline(service: &TestService, token: &str, number: &str) -> Response {
    service
        .http
        .post(service.url("/v1/me/phones"))
        .bearer_auth(token)
        .json(&json!({ "number": number, "type": "landline" }))
        .send()
        .await
        .unwrap()
}

/// Adds a landline and types back the code its call spoke.
async fn add_and_verify(service: &TestService, token: &str, number: &str) {
    let added = add_landline(service, token, number).await;
    assert_eq!(added.status(), StatusCode::CREATED);
    let id = added.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let call = service
        .outbox()
        .await
        .into_iter()
        .rfind(|m| m.channel == Channel::Voice)
        .unwrap();
    let verified = service
        .http
        .post(service.url(&format!("/v1/me/phones/{id}/verify")))
        .bearer_auth(token)
        .json(&json!({ "code": spoken_code(&call) }))
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), StatusCode::OK);
}

async fn landline_calls_are_capped_per_session_and_per_person(backend: Backend) {
    let service = TestService::start_with(backend, |c| {
        limits(c, |l| {
            l.calls_per_session = 2;
            l.calls_per_person = 3;
        })
    })
    .await;
    let first = service.ada_token().await;
    add_and_verify(&service, &first, "+1 201 555 0101").await;
    service.clock.advance(Duration::minutes(1));
    add_and_verify(&service, &first, "+1 201 555 0102").await;
    let before = (
        service.outbox().await.len(),
        service.audit().await.len(),
        audited(&service, "landline_added").await,
    );
    let third = add_landline(&service, &first, "+1 201 555 0103").await;
    assert_eq!(
        refused(third).await,
        24 * 60 * 60 - 60,
        "the session's day began with its first call, a minute ago"
    );
    assert_eq!(
        (
            service.outbox().await.len(),
            service.audit().await.len(),
            audited(&service, "landline_added").await
        ),
        before,
        "no call, no notice, no change"
    );

    // A second session of the same person shares the person's cap.
    service.clock.advance(Duration::hours(1));
    let second = service.ada_token().await;
    add_and_verify(&service, &second, "+1 201 555 0103").await;
    let over = add_landline(&service, &second, "+1 201 555 0104").await;
    assert_eq!(refused(over).await, 24 * 60 * 60 - 60 * 60 - 60);
    assert_eq!(count(&service, Channel::Voice).await, 3);

    // The person's day ends 24 hours after their first call: a slot is free again.
    service.clock.advance(Duration::hours(23));
    let next_day = service.ada_token().await;
    let added = add_landline(&service, &next_day, "+1 201 555 0104").await;
    assert_eq!(added.status(), StatusCode::CREATED);
    assert_eq!(count(&service, Channel::Voice).await, 4);
    service.stop().await;
}

async fn ada_phone(service: &TestService, token: &str) -> String {
    let body: Value = service
        .get_with("/v1/me/authenticators", token)
        .await
        .json()
        .await
        .unwrap();
    body["authenticators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "phone")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn activation_texts_are_capped_per_session_and_per_person(backend: Backend) {
    let service = TestService::start_with(backend, |c| {
        limits(c, |l| {
            l.texts_per_session = 2;
            l.texts_per_person = 3;
        })
    })
    .await;
    let first = service.ada_token().await;
    let phone = ada_phone(&service, &first).await;
    let path = format!("/v1/me/phones/{phone}/activation/sms");
    for _ in 0..2 {
        let texted = service.post_with(&path, &first).await;
        assert_eq!(texted.status(), StatusCode::ACCEPTED);
    }
    let before = service.outbox().await.len();
    assert_eq!(
        refused(service.post_with(&path, &first).await).await,
        24 * 60 * 60
    );
    assert_eq!(service.outbox().await.len(), before, "nothing sent");

    let second = service.ada_token().await;
    let texted = service.post_with(&path, &second).await;
    assert_eq!(texted.status(), StatusCode::ACCEPTED);
    refused(service.post_with(&path, &second).await).await;
    assert_eq!(count(&service, Channel::Sms).await, 3);
    assert_eq!(audited(&service, "activation_link_created").await, 3);
    service.stop().await;
}

/// The notice of a new bypass code cannot be silenced: when the notice cap is reached, the
/// code itself is refused.
async fn no_bypass_code_is_issued_unannounced_past_the_notice_cap(backend: Backend) {
    let service = TestService::start_with(backend, |c| {
        limits(c, |l| {
            l.notices_per_session = 3;
            l.notices_per_person = 4;
        })
    })
    .await;
    let first = service.ada_token().await;
    for _ in 0..3 {
        service.bypass_code(&first).await;
    }
    service.clock.advance(Duration::seconds(90));
    let over = service.post_with("/v1/me/bypass-codes", &first).await;
    assert_eq!(refused(over).await, 24 * 60 * 60 - 90);
    let second = service.ada_token().await;
    service.bypass_code(&second).await;
    let over = service.post_with("/v1/me/bypass-codes", &second).await;
    refused(over).await;

    assert_eq!(audited(&service, "bypass_code_issued").await, 4);
    let notices = service
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.to == ADA_EMAIL)
        .count();
    assert_eq!(notices, 4, "every code issued was announced");
    service.stop().await;
}

async fn parallel_requests_never_get_past_a_cap(backend: Backend) {
    let service = TestService::start_with(backend, |c| {
        limits(c, |l| {
            l.notices_per_session = 5;
            l.notices_per_person = 7;
        })
    })
    .await;
    // One session after the other (a new sign-in may end the older session).
    for (session, allowed) in [(1, 5), (2, 2)] {
        let token = service.ada_token().await;
        let (http, base) = (service.http.clone(), service.base.clone());
        let statuses = all_at_once(30, |_| {
            let (http, base, token) = (http.clone(), base.clone(), token.clone());
            async move {
                http.post(format!("{base}/v1/me/bypass-codes"))
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        })
        .await;
        let issued = statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count();
        let capped = statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count();
        assert_eq!(
            (issued, capped),
            (allowed, 30 - allowed),
            "session {session}: {statuses:?}"
        );
    }
    assert_eq!(audited(&service, "bypass_code_issued").await, 7);
    let notices = service
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.to == ADA_EMAIL)
        .count();
    assert_eq!(notices, 7);
    service.stop().await;
}
