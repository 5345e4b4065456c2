//! The Auth API calls: a passcode checked (and a bypass code used up) at Duo, a phone call
//! started and polled while the emulated person answers, ping and check.

use duo_client::{AuthStatus, DuoError, DuoUserRef};
use recovery_api::Secret;

use crate::support::{clients, emulator, last};

#[tokio::test]
async fn a_passcode_is_allowed_once_then_denied() {
    let emu = emulator().await;
    let user_id = emu.add_user("jdoe");
    emu.add_bypass_code(&user_id, "016931781", 1, 600);
    let clients = clients(&emu);
    let passcode = Secret::new("016931781");
    assert!(clients
        .auth
        .passcode_auth(DuoUserRef::Username("jdoe"), &passcode)
        .await
        .unwrap());
    let seen = last(&emu);
    assert_eq!(
        (seen.method.as_str(), seen.path.as_str()),
        ("POST", "/auth/v2/auth")
    );
    assert_eq!(seen.ikey.as_deref(), Some(emu.keys().auth_ikey.as_str()));
    // Single use: Duo consumed it.
    assert!(emu.bypass_codes(&user_id).is_empty());
    assert!(!clients
        .auth
        .passcode_auth(DuoUserRef::UserId(&user_id), &passcode)
        .await
        .unwrap());
    assert!(matches!(
        clients
            .auth
            .passcode_auth(DuoUserRef::Username(""), &passcode)
            .await,
        Err(DuoError::InvalidInput(_))
    ));
}

#[tokio::test]
async fn a_phone_call_is_started_and_polled() {
    let emu = emulator().await;
    let user_id = emu.add_user("jdoe");
    let phone_id = emu.add_phone(&user_id, "+15555550111", "landline", "unknown", false);
    let clients = clients(&emu);
    let call = || {
        clients
            .auth
            .phone_call_async(DuoUserRef::UserId(&user_id), &phone_id)
    };

    let txid = call().await.unwrap();
    let placed = emu.transaction(&txid).unwrap();
    assert_eq!(placed.phone_id.as_deref(), Some(phone_id.as_str()));
    assert_eq!(
        clients.auth.auth_status(&txid).await.unwrap(),
        AuthStatus::Waiting
    );
    assert_eq!(last(&emu).query, format!("txid={txid}"));
    assert!(emu.answer_call(&txid, true));
    assert_eq!(
        clients.auth.auth_status(&txid).await.unwrap(),
        AuthStatus::Allow
    );

    let txid = call().await.unwrap();
    assert!(emu.answer_call(&txid, false));
    assert_eq!(
        clients.auth.auth_status(&txid).await.unwrap(),
        AuthStatus::Deny("No keypress detected.".to_owned())
    );
    assert!(matches!(
        clients.auth.auth_status("").await,
        Err(DuoError::InvalidInput(_))
    ));
}

#[tokio::test]
async fn ping_is_unsigned_and_check_is_signed() {
    let emu = emulator().await;
    let clients = clients(&emu);
    let time = clients.auth.ping().await.unwrap();
    assert!((time.unix_timestamp() - emu.now()).abs() <= 2);
    clients.auth.check().await.unwrap();
    let log = emu.request_log();
    assert_eq!(log[0].path, "/auth/v2/ping");
    assert_eq!(
        (log[0].ikey.as_deref(), log[0].signature_valid),
        (None, None)
    );
    assert_eq!(log[1].path, "/auth/v2/check");
    assert_eq!(log[1].ikey.as_deref(), Some(emu.keys().auth_ikey.as_str()));
    assert_eq!(log[1].signature_valid, Some(true));
}

#[tokio::test]
async fn no_capable_device_is_a_bad_request() {
    let emu = emulator().await;
    let user_id = emu.add_user("jdoe");
    // A tablet: no number to call.
    let tablet = emu.add_phone(&user_id, "", "mobile", "apple ios", false);
    let error = clients(&emu)
        .auth
        .phone_call_async(DuoUserRef::Username("jdoe"), &tablet)
        .await
        .unwrap_err();
    match error {
        DuoError::BadRequest { code, message } => {
            assert_eq!(code, 40002);
            assert_eq!(message, "Invalid request parameters: no capable device");
        }
        other => panic!("{other:?}"),
    }
}
