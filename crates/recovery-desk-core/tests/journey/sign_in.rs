use recovery_api::Secret;
use recovery_desk_core::{
    journey::JourneyOptions, service_client::ServiceClient, AppError, FlowError, Journey,
};

use crate::support::{code_of, demo, ADA};

#[tokio::test]
async fn password_then_date_of_birth_and_pin_opens_a_session() {
    let demo = demo().await;
    let session = demo.sign_in(ADA).await;
    assert_eq!(session.display_name, "Ada Lovelace");
    assert!(session.expires_at > time::OffsetDateTime::now_utc());
    assert_eq!(
        demo.journey.session().await.map(|s| s.display_name),
        Some("Ada Lovelace".to_owned())
    );
    assert!(!demo.journey.is_idle().await);
}

#[tokio::test]
async fn every_wrong_answer_reads_the_same_and_can_be_corrected() {
    let demo = demo().await;
    let journey = &demo.journey;
    for (username, password, pin) in [
        ("nobody", "whatever-password", "246810"),
        ("ada", "wrong-password", "246810"),
        ("ada", ADA.1, "999999"),
    ] {
        journey
            .begin_sign_in(username, Secret::new(password))
            .await
            .unwrap();
        let error = journey
            .verify_pin(ADA.2, Secret::new(pin))
            .await
            .unwrap_err();
        assert_eq!(code_of(&error), "verification_failed", "{username}");
    }
    // The username and password are kept: the person corrects only the PIN.
    let session = journey.verify_pin(ADA.2, Secret::new(ADA.3)).await.unwrap();
    assert_eq!(session.display_name, "Ada Lovelace");
}

#[tokio::test]
async fn five_wrong_pins_lock_with_a_time_to_retry() {
    let demo = demo().await;
    demo.journey
        .begin_sign_in(ADA.0, Secret::new(ADA.1))
        .await
        .unwrap();
    let mut last = None;
    for _ in 0..5 {
        last = demo
            .journey
            .verify_pin(ADA.2, Secret::new("000000"))
            .await
            .err();
    }
    let error = AppError::from(last.unwrap());
    assert_eq!(error.code, "locked");
    assert!(error.retry_at.unwrap() > time::OffsetDateTime::now_utc());
    // Now even the right PIN is refused until then.
    let right = demo
        .journey
        .verify_pin(ADA.2, Secret::new(ADA.3))
        .await
        .unwrap_err();
    assert_eq!(code_of(&right), "locked");
}

#[tokio::test]
async fn bad_inputs_are_refused_before_anything_is_sent() {
    let demo = demo().await;
    let journey = &demo.journey;
    for (username, password, field) in [
        ("", "pw", "username"),
        ("a b", "pw", "username"),
        ("ada", "", "password"),
    ] {
        let error = journey
            .begin_sign_in(username, Secret::new(password))
            .await
            .unwrap_err();
        let error = AppError::from(error);
        assert_eq!(error.code, "invalid_input");
        assert_eq!(error.field.as_deref(), Some(field));
    }
    // Nothing was taken: the second step has no sign-in to complete.
    let error = journey
        .verify_pin(ADA.2, Secret::new(ADA.3))
        .await
        .unwrap_err();
    assert!(matches!(error, FlowError::NotSignedIn));

    journey
        .begin_sign_in(ADA.0, Secret::new(ADA.1))
        .await
        .unwrap();
    for (date, pin, field) in [
        ("10/12/1985", ADA.3, "date_of_birth"),
        ("1985-02-30", ADA.3, "date_of_birth"),
        ("1899-12-31", ADA.3, "date_of_birth"),
        ("2999-01-01", ADA.3, "date_of_birth"),
        (ADA.2, "12", "pin"),
        (ADA.2, "12ab56", "pin"),
    ] {
        let error = AppError::from(
            journey
                .verify_pin(date, Secret::new(pin))
                .await
                .unwrap_err(),
        );
        assert_eq!(error.field.as_deref(), Some(field), "{date} {pin}");
    }
    for passcode in ["12345", "1234567", "abcdefghi"] {
        let error = AppError::from(
            journey
                .verify_passcode(Secret::new(passcode))
                .await
                .unwrap_err(),
        );
        assert_eq!(error.field.as_deref(), Some("passcode"), "{passcode}");
    }
    // None of those counted against ada: the right answer still opens a session.
    journey.verify_pin(ADA.2, Secret::new(ADA.3)).await.unwrap();
}

#[tokio::test]
async fn nothing_can_be_done_before_verification() {
    let demo = demo().await;
    assert!(matches!(
        demo.journey.devices().await.unwrap_err(),
        FlowError::NotSignedIn
    ));
    assert!(matches!(
        demo.journey.issue_bypass_code().await.unwrap_err(),
        FlowError::NotSignedIn
    ));
    demo.journey
        .begin_sign_in(ADA.0, Secret::new(ADA.1))
        .await
        .unwrap();
    assert!(matches!(
        demo.journey.devices().await.unwrap_err(),
        FlowError::NotSignedIn
    ));
}

#[tokio::test]
async fn finish_forgets_the_person_and_ends_the_session() {
    let demo = demo().await;
    demo.sign_in(ADA).await;
    demo.journey.finish().await;
    assert!(demo.journey.is_idle().await);
    assert!(demo.journey.session().await.is_none());
    assert!(matches!(
        demo.journey.devices().await.unwrap_err(),
        FlowError::NotSignedIn
    ));
    let audit = recovery_server::audit::AuditLog::new(demo.service.app().db.clone());
    let events = audit.export(0).await.unwrap();
    assert!(
        events.iter().any(|e| e.event == "session_ended"),
        "the service saw the session end"
    );
}

#[tokio::test]
async fn an_unreachable_service_says_so() {
    let client = ServiceClient::new(url::Url::parse("http://127.0.0.1:9").unwrap(), None).unwrap();
    let journey = Journey::new(
        client,
        JourneyOptions {
            demo: false,
            copy_allowed: true,
            ..JourneyOptions::default()
        },
    );
    journey
        .begin_sign_in(ADA.0, Secret::new(ADA.1))
        .await
        .unwrap();
    let error = journey
        .verify_pin(ADA.2, Secret::new(ADA.3))
        .await
        .unwrap_err();
    assert_eq!(code_of(&error), "service_unreachable");
    assert!(matches!(
        journey.demo_inbox().await.unwrap_err(),
        FlowError::DemoOnly
    ));
}

#[tokio::test]
async fn updates_wait_until_nobody_is_recovering() {
    let demo = demo().await;
    assert_eq!(demo.journey.run_if_idle(|| 1).await, Some(1));
    demo.journey
        .begin_sign_in(ADA.0, Secret::new(ADA.1))
        .await
        .unwrap();
    assert_eq!(demo.journey.run_if_idle(|| 1).await, None);
    demo.journey.finish().await;
    assert_eq!(demo.journey.run_if_idle(|| 1).await, Some(1));
}
