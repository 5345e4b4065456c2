use recovery_api::Secret;
use recovery_desk_core::{journey::JourneyOptions, FlowError};

use crate::support::{code_of, demo, demo_with, ADA};

#[tokio::test]
async fn a_bypass_code_signs_in_exactly_once() {
    let demo = demo().await;
    demo.sign_in(ADA).await;
    let issued = demo.journey.issue_bypass_code().await.unwrap();
    assert_eq!(issued.code.len(), 9);
    assert!(issued.code.bytes().all(|b| b.is_ascii_digit()));
    let remaining = issued.expires_at - time::OffsetDateTime::now_utc();
    assert!(remaining > time::Duration::minutes(9) && remaining <= time::Duration::minutes(10));
    let code = issued.code.clone();
    demo.journey.finish().await;

    // The help desk's passcode path, with spaces as a person types them.
    let typed = format!("{} {} {}", &code[..3], &code[3..6], &code[6..]);
    demo.journey
        .begin_sign_in(ADA.0, Secret::new(ADA.1))
        .await
        .unwrap();
    let session = demo
        .journey
        .verify_passcode(Secret::new(typed.clone()))
        .await
        .unwrap();
    assert_eq!(session.display_name, "Ada Lovelace");
    demo.journey.finish().await;

    demo.journey
        .begin_sign_in(ADA.0, Secret::new(ADA.1))
        .await
        .unwrap();
    let again = demo
        .journey
        .verify_passcode(Secret::new(typed))
        .await
        .unwrap_err();
    assert_eq!(code_of(&again), "verification_failed");
}

#[tokio::test]
async fn a_new_code_replaces_the_last_one() {
    let demo = demo().await;
    demo.sign_in(ADA).await;
    let first = demo.journey.issue_bypass_code().await.unwrap().code.clone();
    let second = demo.journey.issue_bypass_code().await.unwrap().code.clone();
    assert_ne!(first, second);
    assert_eq!(
        demo.journey.bypass_code_for_copy().await.unwrap().expose(),
        second,
        "copy takes the code on screen"
    );
    demo.journey.finish().await;
    demo.journey
        .begin_sign_in(ADA.0, Secret::new(ADA.1))
        .await
        .unwrap();
    let old = demo
        .journey
        .verify_passcode(Secret::new(first))
        .await
        .unwrap_err();
    assert_eq!(code_of(&old), "verification_failed");
}

#[tokio::test]
async fn kiosks_do_not_copy_and_finish_forgets_the_code() {
    let demo = demo_with(JourneyOptions {
        demo: true,
        copy_allowed: false,
        ..JourneyOptions::default()
    })
    .await;
    demo.sign_in(ADA).await;
    demo.journey.issue_bypass_code().await.unwrap();
    assert!(matches!(
        demo.journey.bypass_code_for_copy().await.unwrap_err(),
        FlowError::CopyNotAllowed
    ));

    let own_pc = crate::support::demo().await;
    own_pc.sign_in(ADA).await;
    assert!(matches!(
        own_pc.journey.bypass_code_for_copy().await.unwrap_err(),
        FlowError::NotSignedIn
    ));
    own_pc.journey.issue_bypass_code().await.unwrap();
    own_pc.journey.finish().await;
    assert!(matches!(
        own_pc.journey.bypass_code_for_copy().await.unwrap_err(),
        FlowError::NotSignedIn
    ));
}

/// Past the day's cap on notices for one session, a bypass code is refused (never issued
/// unannounced) with a time to try again.
#[tokio::test]
async fn the_daily_limit_reads_limit_reached_with_a_time() {
    let demo = demo().await;
    demo.sign_in(ADA).await;
    let mut refused = None;
    for _ in 0..11 {
        refused = demo.journey.issue_bypass_code().await.err();
    }
    let error = recovery_desk_core::AppError::from(refused.expect("the 11th code is refused"));
    assert_eq!(error.code, "limit_reached");
    let retry_at = error.retry_at.expect("a time to try again");
    assert!(retry_at > time::OffsetDateTime::now_utc() + time::Duration::hours(23));
}
