//! The Admin API calls the Duo provider makes, each checked by what the emulator's account
//! holds afterwards (and, for reads, by what it answered).

use duo_client::{DuoError, DuoPhoneType};
use duo_emulator::{hotp, Fault};
use recovery_api::Secret;

use crate::support::{clients, emulator, last};

#[tokio::test]
async fn user_by_username_reads_phones_and_tokens() {
    let emu = emulator().await;
    let user_id = emu.add_user("jdoe");
    emu.add_phone(&user_id, "+15555550100", "mobile", "apple ios", true);
    emu.add_phone(&user_id, "+15555550111", "landline", "unknown", false);
    emu.add_token(&user_id, "0", b"12345678901234567890", 0);
    let clients = clients(&emu);
    let user = clients
        .admin
        .user_by_username("jdoe")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.user_id, user_id);
    assert_eq!(user.status, "active");
    assert_eq!(user.phones.len(), 2);
    assert!(user.phones[0].activated);
    assert_eq!(
        user.phones[0].capabilities,
        ["auto", "push", "sms", "phone", "mobile_otp"]
    );
    assert!(user.phones[1].r#type.eq_ignore_ascii_case("landline"));
    assert_eq!(user.phones[1].extension, "");
    assert_eq!(user.tokens[0].r#type, "h6");
    let seen = last(&emu);
    assert_eq!(
        (
            seen.method.as_str(),
            seen.path.as_str(),
            seen.query.as_str()
        ),
        ("GET", "/admin/v1/users", "username=jdoe")
    );

    assert!(clients
        .admin
        .user_by_username("nobody")
        .await
        .unwrap()
        .is_none());
    // An empty filter would list every user: refused before sending.
    let sent = emu.request_log().len();
    assert!(matches!(
        clients.admin.user_by_username("").await,
        Err(DuoError::InvalidInput(_))
    ));
    assert_eq!(emu.request_log().len(), sent);
}

#[tokio::test]
async fn nulls_in_duos_answers_read_as_empty() {
    let emu = emulator().await;
    emu.fail_next(
        1,
        Fault::Answer {
            status: 200,
            body: r#"{"stat":"OK","response":[{"user_id":"DU1","username":"jdoe","status":null,
                "phones":[{"phone_id":"DP1","number":null,"extension":null,"name":null,
                "type":"landline","platform":null,"activated":null,"capabilities":null}],
                "tokens":null}]}"#
                .to_owned(),
        },
    );
    let user = clients(&emu)
        .admin
        .user_by_username("jdoe")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.status, "");
    assert_eq!(user.phones[0].number, "");
    assert!(!user.phones[0].activated);
    assert!(user.phones[0].capabilities.is_empty() && user.tokens.is_empty());
}

#[tokio::test]
async fn a_bypass_code_is_one_expiring_single_use_code_that_keeps_the_others() {
    let emu = emulator().await;
    let user_id = emu.add_user("jdoe");
    assert!(emu.add_bypass_code(&user_id, "123456789", 0, 0));
    let clients = clients(&emu);
    let code = clients
        .admin
        .create_bypass_code(&user_id, 900)
        .await
        .unwrap();
    let codes = emu.bypass_codes(&user_id);
    assert_eq!(codes.len(), 2, "the help desk's code is kept");
    let issued = codes.iter().find(|c| c.code == code.expose()).unwrap();
    assert_eq!(issued.reuse_count, 1);
    assert_eq!(issued.expiration, Some(issued.created + 900));
    assert_eq!(code.expose().len(), 9);

    // A code that would never expire is refused before sending.
    let sent = emu.request_log().len();
    assert!(matches!(
        clients.admin.create_bypass_code(&user_id, 0).await,
        Err(DuoError::InvalidInput(_))
    ));
    assert_eq!(emu.request_log().len(), sent);

    // Leading zeros are kept; a shape error never quotes the codes.
    let answer = |body: &str| Fault::Answer {
        status: 200,
        body: format!(r#"{{"stat":"OK","response":{body}}}"#),
    };
    emu.fail_next(1, answer(r#"["016931781"]"#));
    let code = clients.admin.create_bypass_code("DU1", 60).await.unwrap();
    assert_eq!(code.expose(), "016931781");
    for body in [r#"["111111111","222222222"]"#, "[123456789]"] {
        emu.fail_next(1, answer(body));
        let error = clients
            .admin
            .create_bypass_code("DU1", 60)
            .await
            .unwrap_err();
        assert!(matches!(error, DuoError::Protocol(_)), "{error:?}");
        let printed = format!("{error} {error:?}");
        assert!(
            !printed.contains("111111111") && !printed.contains("123456789"),
            "{printed}"
        );
    }
}

#[tokio::test]
async fn bypass_codes_are_listed_by_id_and_deleted_once() {
    let emu = emulator().await;
    let user_id = emu.add_user("jdoe");
    emu.add_bypass_code(&user_id, "123456789", 1, 600);
    emu.add_bypass_code(&user_id, "987654321", 1, 600);
    let clients = clients(&emu);
    let ids = clients.admin.bypass_code_ids(&user_id).await.unwrap();
    let held: Vec<String> = emu
        .bypass_codes(&user_id)
        .into_iter()
        .map(|c| c.bypass_code_id)
        .collect();
    assert_eq!(ids, held);
    clients.admin.delete_bypass_code(&ids[0]).await.unwrap();
    assert_eq!(emu.bypass_codes(&user_id).len(), 1);
    // Already gone, or never there: no error, the code does not work either way.
    clients.admin.delete_bypass_code(&ids[0]).await.unwrap();
    clients
        .admin
        .delete_bypass_code("DBNOSUCHCODE00000000")
        .await
        .unwrap();
    assert_eq!(emu.bypass_codes(&user_id)[0].bypass_code_id, ids[1]);
}

#[tokio::test]
async fn phones_are_created_looked_up_associated_and_removed() {
    let emu = emulator().await;
    let jdoe = emu.add_user("jdoe");
    let other = emu.add_user("other");
    let clients = clients(&emu);
    let admin = &clients.admin;

    let phone = admin
        .create_phone("+12015550123", Some("77"), DuoPhoneType::Landline)
        .await
        .unwrap();
    let held = emu.phone(&phone.phone_id).unwrap();
    assert_eq!(
        (held.number.as_str(), held.extension.as_str()),
        ("+12015550123", "77")
    );
    assert_eq!(held.phone_type, "landline");
    // The same number again is Duo's 40003.
    assert!(matches!(
        admin
            .create_phone("+12015550123", Some("77"), DuoPhoneType::Landline)
            .await,
        Err(DuoError::BadRequest { code: 40003, .. })
    ));
    let mobile = admin
        .create_phone("+12015550124", None, DuoPhoneType::Mobile)
        .await
        .unwrap();
    assert_eq!(
        emu.phone(&mobile.phone_id).unwrap().platform,
        "generic smartphone"
    );

    admin.associate_phone(&jdoe, &phone.phone_id).await.unwrap();
    admin
        .associate_phone(&other, &phone.phone_id)
        .await
        .unwrap();
    let shared = admin.phone(&phone.phone_id).await.unwrap();
    let users: Vec<&str> = shared.users.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(users, ["jdoe", "other"]);

    let found = admin
        .phone_by_number("+12015550123", Some("77"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.phone.phone_id, phone.phone_id);
    assert!(admin
        .phone_by_number("+12015550199", None)
        .await
        .unwrap()
        .is_none());

    admin
        .disassociate_phone(&jdoe, &phone.phone_id)
        .await
        .unwrap();
    assert!(emu.phones_of(&jdoe).is_empty());
    assert_eq!(emu.phones_of(&other).len(), 1, "the other user keeps it");
    admin.delete_phone(&phone.phone_id).await.unwrap();
    assert!(emu.phone(&phone.phone_id).is_none());
    assert!(emu.phones_of(&other).is_empty());
    assert!(emu
        .request_log()
        .iter()
        .all(|r| r.signature_valid == Some(true)));
}

#[tokio::test]
async fn activation_links_come_with_or_without_install_and_stay_secret() {
    let emu = emulator().await;
    let user_id = emu.add_user("jdoe");
    let phone_id = emu.add_phone(&user_id, "+15555550100", "mobile", "apple ios", true);
    let clients = clients(&emu);
    let activation = clients
        .admin
        .activation_url(&phone_id, 3600, true)
        .await
        .unwrap();
    let issued = emu.activations().pop().unwrap();
    assert_eq!(activation.activation_url.expose(), issued.activation_url);
    assert!(activation.installation_url.is_some());
    assert_eq!(activation.valid_secs, 3600);
    assert!(!format!("{activation:?}").contains(&issued.activation_code));
    let without = clients
        .admin
        .activation_url(&phone_id, 3600, false)
        .await
        .unwrap();
    assert!(without.installation_url.is_none());

    clients
        .admin
        .send_sms_activation(&phone_id, 600, false)
        .await
        .unwrap();
    let sms = emu.sms_activations().pop().unwrap();
    assert_eq!((sms.number.as_str(), sms.valid_secs), ("+15555550100", 600));
    assert!(sms.installation_msg.is_none());
}

#[tokio::test]
async fn tokens_resync_and_security_keys_are_listed_and_removed() {
    let emu = emulator().await;
    let user_id = emu.add_user("jdoe");
    let secret = b"12345678901234567890";
    let token_id = emu.add_token(&user_id, "0", secret, 0);
    let clients = clients(&emu);
    let codes = [5, 6, 7].map(|c| Secret::new(hotp(secret, c, 6)));
    clients.admin.resync_token(&token_id, &codes).await.unwrap();
    assert_eq!(emu.token_counter(&token_id), Some(8));
    let wrong = ["000000", "111111", "222222"].map(Secret::new);
    assert!(matches!(
        clients.admin.resync_token(&token_id, &wrong).await,
        Err(DuoError::BadRequest { code: 40002, .. })
    ));

    let key = emu.add_webauthn(&user_id, "Touch ID");
    let keys = clients.admin.webauthn_credentials(&user_id).await.unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(
        (keys[0].credential_name.as_str(), keys[0].label.as_str()),
        ("Touch ID", "Security Key")
    );
    assert!(keys[0].date_added.is_some());
    assert_eq!(last(&emu).query, "");
    clients.admin.delete_webauthn(&key).await.unwrap();
    assert!(emu.webauthn_of(&user_id).is_empty());
}

#[tokio::test]
async fn ids_cannot_reach_other_endpoints() {
    let emu = emulator().await;
    let clients = clients(&emu);
    for bad in [
        "",
        "../users",
        "DP1/../../users",
        "DP1?x=1",
        "DP 1",
        "DP%2F",
    ] {
        assert!(
            matches!(
                clients.admin.delete_phone(bad).await,
                Err(DuoError::InvalidInput(_))
            ),
            "{bad}"
        );
    }
    assert!(emu.request_log().is_empty());
}
