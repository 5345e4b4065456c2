//! Setting up the recovery PIN ahead of need: only in a session opened with a passcode, typed
//! twice and compared in the app, checked by the service's policy, and then good for signing
//! in with the date of birth.

use recovery_api::Secret;
use recovery_desk_core::FlowError;

use crate::support::{code_of, demo, Demo, ADA};

const NEW_PIN: &str = "480162";

/// Ada gets a bypass code with her PIN, then signs in again with that code.
async fn passcode_session(demo: &Demo) {
    demo.sign_in(ADA).await;
    let code = demo.journey.issue_bypass_code().await.unwrap().code.clone();
    demo.journey.finish().await;
    demo.journey
        .begin_sign_in(ADA.0, Secret::new(ADA.1))
        .await
        .unwrap();
    demo.journey
        .verify_passcode(Secret::new(code))
        .await
        .unwrap();
}

async fn set(demo: &Demo, pin: &str, confirmation: &str) -> Result<bool, FlowError> {
    demo.journey
        .set_recovery_pin(Secret::new(pin), Secret::new(confirmation))
        .await
        .map(|set| set.changed)
}

#[tokio::test]
async fn a_passcode_session_changes_the_pin_and_the_new_one_signs_in() {
    let demo = demo().await;
    passcode_session(&demo).await;
    let before = demo.journey.recovery_pin_status().await.unwrap();
    assert!(before.set, "the demo people have a PIN");
    assert!(before.can_set);
    assert_eq!((before.min_digits, before.max_digits), (6, 12));

    let started = time::OffsetDateTime::now_utc() - time::Duration::seconds(5);
    let set = demo
        .journey
        .set_recovery_pin(Secret::new(NEW_PIN), Secret::new(NEW_PIN))
        .await
        .unwrap();
    assert!(set.changed, "Ada had a PIN, so it was changed");
    assert!(set.set_at >= started);
    let view = serde_json::to_string(&set).unwrap();
    assert!(!view.contains(NEW_PIN), "{view}");
    let after = demo.journey.recovery_pin_status().await.unwrap();
    // The service keeps whole seconds; the PUT answers its clock as is.
    assert_eq!(
        after.set_at.map(|at| at.unix_timestamp()),
        Some(set.set_at.unix_timestamp())
    );
    let inbox = demo.journey.demo_inbox().await.unwrap();
    let notice = inbox
        .iter()
        .find(|m| m.channel.as_str() == "email")
        .expect("a notice by e-mail");
    assert_eq!(notice.to, "ada.lovelace@example.org");
    let subject = notice.subject.as_deref().unwrap_or_default();
    assert!(
        subject.ends_with("Your recovery PIN was changed"),
        "{subject}"
    );
    assert!(
        !notice.body.contains(NEW_PIN),
        "the notice shows the PIN: {}",
        notice.body
    );
    demo.journey.finish().await;

    // The old PIN no longer signs in; the new one does.
    demo.journey
        .begin_sign_in(ADA.0, Secret::new(ADA.1))
        .await
        .unwrap();
    let old = demo
        .journey
        .verify_pin(ADA.2, Secret::new(ADA.3))
        .await
        .unwrap_err();
    assert_eq!(code_of(&old), "verification_failed");
    demo.sign_in((ADA.0, ADA.1, ADA.2, NEW_PIN)).await;
}

#[tokio::test]
async fn a_pin_session_sees_the_status_but_may_not_set() {
    let demo = demo().await;
    demo.sign_in(ADA).await;
    let status = demo.journey.recovery_pin_status().await.unwrap();
    assert!(status.set);
    assert!(!status.can_set);
    let refused = set(&demo, NEW_PIN, NEW_PIN).await.unwrap_err();
    assert_eq!(code_of(&refused), "passcode_sign_in_required");
    // The session goes on.
    demo.journey.devices().await.unwrap();
}

#[tokio::test]
async fn two_different_entries_are_refused_before_anything_is_sent() {
    let demo = demo().await;
    passcode_session(&demo).await;
    let before = demo.journey.recovery_pin_status().await.unwrap();
    let refused = set(&demo, NEW_PIN, "480163").await.unwrap_err();
    assert!(matches!(refused, FlowError::RecoveryPinMismatch));
    let error = recovery_desk_core::AppError::from(&refused);
    assert_eq!(error.code, "recovery_pin_mismatch");
    assert_eq!(error.field.as_deref(), Some("confirmation"));
    assert_eq!(demo.journey.recovery_pin_status().await.unwrap(), before);

    let letters = set(&demo, "48o162", "48o162").await.unwrap_err();
    assert_eq!(code_of(&letters), "invalid_input");
    assert_eq!(
        recovery_desk_core::AppError::from(&letters)
            .field
            .as_deref(),
        Some("pin")
    );
}

#[tokio::test]
async fn the_service_policy_refuses_short_and_easy_pins() {
    let demo = demo().await;
    passcode_session(&demo).await;
    // Four digits are a PIN's shape, but under the organisation's six.
    let short = recovery_desk_core::AppError::from(set(&demo, "4801", "4801").await.unwrap_err());
    assert_eq!(short.code, "invalid_field");
    assert_eq!(short.field.as_deref(), Some("pin"));
    for easy in ["123456", "777777", "19851210"] {
        let refused = set(&demo, easy, easy).await.unwrap_err();
        assert_eq!(code_of(&refused), "recovery_pin_too_simple", "{easy}");
    }
    assert!(set(&demo, NEW_PIN, NEW_PIN).await.unwrap());
}

#[tokio::test]
async fn without_a_session_nothing_is_answered() {
    let demo = demo().await;
    let status = demo.journey.recovery_pin_status().await.unwrap_err();
    assert!(matches!(status, FlowError::NotSignedIn));
    let refused = set(&demo, NEW_PIN, NEW_PIN).await.unwrap_err();
    assert!(matches!(refused, FlowError::NotSignedIn));
}
