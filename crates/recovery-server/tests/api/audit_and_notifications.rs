//! The audit log and the outbox hold what happened, and never a secret.

use reqwest::StatusCode;
use sqlx::Row;

use crate::{
    on_both_databases,
    support::{
        expect_problem, Backend, TestService, ADA, ADA_DOB, ADA_EMAIL, ADA_PASSWORD, ADA_PIN,
    },
};

on_both_databases!(
    audit_and_outbox_record_each_event_without_secrets,
    audit_log_is_append_only
);

async fn audit_and_outbox_record_each_event_without_secrets(backend: Backend) {
    let service = TestService::start(backend).await;
    expect_problem(
        service
            .sign_in("nobody", "pw-of-nobody", ADA_DOB, "111111")
            .await,
        401,
        "verification_failed",
    )
    .await;
    expect_problem(
        service.sign_in(ADA, ADA_PASSWORD, ADA_DOB, "999999").await,
        401,
        "verification_failed",
    )
    .await;
    let token = service.ada_token().await;
    let code = service.bypass_code(&token).await;
    let redeemed = service
        .sign_in_with_passcode(ADA, ADA_PASSWORD, &code)
        .await;
    assert_eq!(redeemed.status(), StatusCode::CREATED);
    // The new sign-in ended the first session; the second one is ended by hand.
    let redeemed: serde_json::Value = redeemed.json().await.unwrap();
    let end = service
        .http
        .delete(service.url("/v1/recovery/sessions/current"))
        .bearer_auth(redeemed["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(end.status(), StatusCode::NO_CONTENT);

    let records = service.audit().await;
    let events: Vec<(&str, &str, Option<&str>)> = records
        .iter()
        .map(|r| (r.event.as_str(), r.outcome.as_str(), r.username.as_deref()))
        .collect();
    assert_eq!(
        events,
        vec![
            ("verification_failed", "failure", None),
            ("verification_failed", "failure", Some(ADA)),
            ("session_opened", "success", Some(ADA)),
            ("bypass_code_issued", "success", Some(ADA)),
            ("session_opened", "success", Some(ADA)),
            ("session_ended", "success", Some(ADA)),
        ]
    );
    assert!(records
        .iter()
        .all(|r| r.client == "the device at 127.0.0.1"));
    assert_eq!(records[3].detail["origin"], "self_service");
    assert_eq!(records[4].detail["method"], "passcode");
    assert!(records
        .windows(2)
        .all(|w| w[0].seq < w[1].seq && w[0].at <= w[1].at));

    let outbox = service.outbox().await;
    assert_eq!(
        outbox.len(),
        1,
        "one notification address, one code: {outbox:?}"
    );
    let message = &outbox[0];
    assert_eq!(message.to, ADA_EMAIL);
    let subject = message.subject.as_deref().unwrap();
    assert!(subject.contains("bypass code"), "{subject}");
    for expected in [
        "Hello Ada Lovelace",
        "bypass code",
        "from the device at 127.0.0.1",
        "UTC",
        "If this was not you, call +1 201 555 0100",
    ] {
        assert!(
            message.body.contains(expected),
            "missing {expected:?} in {}",
            message.body
        );
    }

    let everything = format!(
        "{}\n{}",
        serde_json::to_string(&records).unwrap(),
        serde_json::to_string(&outbox).unwrap()
    );
    for secret in [
        ADA_PASSWORD,
        ADA_PIN,
        "pw-of-nobody",
        "999999",
        "111111",
        code.as_str(),
        token.as_str(),
    ] {
        assert!(
            !everything.contains(secret),
            "a secret leaked into the audit log or outbox"
        );
    }
    // Nor in the database in the clear.
    let sessions = sqlx::query("SELECT token_hash FROM recovery_sessions")
        .fetch_all(service.app.db.pool())
        .await
        .unwrap();
    for row in sessions {
        let hash: String = row.try_get("token_hash").unwrap();
        assert!(!hash.contains(&token));
    }
    service.stop().await;
}

async fn audit_log_is_append_only(backend: Backend) {
    let service = TestService::start(backend).await;
    let _ = service.ada_token().await;
    let update = sqlx::query("UPDATE audit_events SET outcome = 'failure'")
        .execute(service.app.db.pool())
        .await;
    assert!(
        update.is_err(),
        "the database refuses to rewrite the audit log"
    );
    let delete = sqlx::query("DELETE FROM audit_events")
        .execute(service.app.db.pool())
        .await;
    assert!(
        delete.is_err(),
        "the database refuses to delete from the audit log"
    );
    assert_eq!(service.audit().await.len(), 1);
    service.stop().await;
}
