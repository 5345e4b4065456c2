use base64::Engine;
use recovery_api::{
    authenticator::{AuthenticatorStatus, PhoneType},
    phone::{CodeDelivery, RemovalReason},
    Secret,
};
use recovery_desk_core::AppError;
use recovery_server::otp::{hotp, OtpSecret};

use crate::support::{code_of, demo, spoken_code, ADA, GRACE};

#[tokio::test]
async fn the_hub_lists_devices_with_masked_numbers() {
    let demo = demo().await;
    demo.sign_in(ADA).await;
    let devices = demo.journey.devices().await.unwrap();
    assert_eq!(devices.len(), 1);
    let phone = devices[0].phone.as_ref().unwrap();
    assert_eq!(devices[0].name, "iPhone");
    assert_eq!(phone.phone_type, PhoneType::Mobile);
    assert!(phone.number_hint.ends_with("0123"));
    assert!(!phone.number_hint.contains("201555"));
}

#[tokio::test]
async fn a_landline_is_verified_by_the_code_the_call_speaks() {
    let demo = demo().await;
    demo.sign_in(ADA).await;
    let added = demo
        .journey
        .add_landline("(201) 555-0188", Some("42"))
        .await
        .unwrap();
    assert_eq!(added.delivery, CodeDelivery::VoiceCall);
    assert!(added.number_hint.ends_with("0188"));
    let code = spoken_code(&demo.last_message("voice").await);
    assert_eq!(code.len(), 6);

    let wrong = if code == "000000" { "111111" } else { "000000" };
    let error = AppError::from(
        demo.journey
            .verify_landline(&added.id, Some(Secret::new(wrong)))
            .await
            .unwrap_err(),
    );
    assert_eq!(error.code, "code_incorrect");
    assert!(error.attempts_left.unwrap() >= 1);

    demo.journey
        .verify_landline(&added.id, Some(Secret::new(code)))
        .await
        .unwrap();
    let landline = demo
        .journey
        .devices()
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.id == added.id)
        .unwrap();
    assert_eq!(landline.status, AuthenticatorStatus::Active);
    assert_eq!(landline.phone.unwrap().phone_type, PhoneType::Landline);
}

#[tokio::test]
async fn bad_landline_inputs_change_nothing() {
    let demo = demo().await;
    demo.sign_in(ADA).await;
    for (number, extension, field) in [
        ("", None, "number"),
        ("  ", None, "number"),
        ("+1 201 555 0188", Some("12a"), "extension"),
        ("+1 201 555 0188", Some("12345678901"), "extension"),
    ] {
        let error = AppError::from(
            demo.journey
                .add_landline(number, extension)
                .await
                .unwrap_err(),
        );
        assert_eq!(error.code, "invalid_input");
        assert_eq!(error.field.as_deref(), Some(field));
    }
    let error = demo.journey.add_landline("12", None).await.unwrap_err();
    assert_eq!(code_of(&error), "phone_number_invalid");
    let error = demo
        .journey
        .verify_landline("no-such-phone", Some(Secret::new("12345")))
        .await
        .unwrap_err();
    assert_eq!(AppError::from(error).field.as_deref(), Some("code"));
    assert_eq!(demo.journey.devices().await.unwrap().len(), 1);
    assert!(demo
        .journey
        .demo_inbox()
        .await
        .unwrap()
        .iter()
        .all(|m| m.channel.as_str() != "voice"));
}

#[tokio::test]
async fn the_phone_app_is_reactivated_by_qr_code_or_text() {
    let demo = demo().await;
    demo.sign_in(ADA).await;
    let phone = demo.device("phone").await;
    let qr = demo.journey.activation_qr(&phone.id).await.unwrap();
    let svg = qr
        .qr_svg_data_uri
        .strip_prefix("data:image/svg+xml;base64,")
        .unwrap();
    let svg = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(svg)
            .unwrap(),
    )
    .unwrap();
    assert!(svg.contains("<svg"));
    assert!(
        !svg.contains("activations"),
        "the link is drawn, not written"
    );

    let sent = demo.journey.text_activation(&phone.id).await.unwrap();
    assert!(sent.number_hint.ends_with("0123"));
    let text = demo.last_message("sms").await;
    assert!(
        text.contains(&format!("{}/v1/activations/", demo.service.url())),
        "the link reaches this service: {text}"
    );

    let error = demo
        .journey
        .activation_qr("no-such-phone")
        .await
        .unwrap_err();
    assert_eq!(code_of(&error), "not_found");
}

#[tokio::test]
async fn a_lost_phone_is_removed_at_once() {
    let demo = demo().await;
    demo.sign_in(ADA).await;
    let phone = demo.device("phone").await;
    demo.journey
        .remove_device(&phone.id, RemovalReason::Lost)
        .await
        .unwrap();
    let devices = demo.journey.devices().await.unwrap();
    assert!(devices
        .iter()
        .all(|d| d.id != phone.id || d.status == AuthenticatorStatus::Disabled));
    let again = demo
        .journey
        .remove_device(&phone.id, RemovalReason::Lost)
        .await
        .unwrap_err();
    assert_eq!(code_of(&again), "not_found");
}

#[tokio::test]
async fn a_drifted_token_is_resynced_from_consecutive_codes() {
    let demo = demo().await;
    demo.sign_in(GRACE).await;
    let token = demo.device("hardware_token").await;
    let secret = OtpSecret::from_bytes(b"12345678901234567890".to_vec());
    let codes = |from: u64| {
        (from..from + 3)
            .map(|c| Secret::new(hotp(&secret, c)))
            .collect::<Vec<_>>()
    };

    let error = demo
        .journey
        .resync_token(&token.id, vec![Secret::new("123")])
        .await
        .unwrap_err();
    assert_eq!(AppError::from(error).field.as_deref(), Some("codes"));
    let error = demo
        .journey
        .resync_token(
            &token.id,
            vec![Secret::new("000000"), Secret::new("000001")],
        )
        .await
        .unwrap_err();
    assert_eq!(code_of(&error), "resync_failed");

    demo.journey
        .resync_token(&token.id, codes(501))
        .await
        .unwrap();
    demo.journey.finish().await;

    // The token now signs in with its next code.
    demo.journey
        .begin_sign_in(GRACE.0, Secret::new(GRACE.1))
        .await
        .unwrap();
    demo.journey
        .verify_passcode(Secret::new(hotp(&secret, 504)))
        .await
        .unwrap();
}
