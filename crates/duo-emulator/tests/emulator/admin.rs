//! Admin API endpoints: users, pagination, phones, activation, bypass codes, tokens,
//! WebAuthn.

use duo_emulator::{hotp, DuoEmulator};
use serde_json::Value;

use crate::common::{admin, auth, delete, get, keys, post, Creds};

async fn start() -> (DuoEmulator, Creds) {
    let emu = DuoEmulator::start(keys()).await;
    (emu, admin(&keys()))
}

#[tokio::test]
async fn users_page_with_metadata() {
    let (emu, a) = start().await;
    for i in 0..7 {
        emu.add_user(&format!("user{i}"));
    }
    let mut seen = Vec::new();
    let mut offset = 0_u64;
    loop {
        let offset_text = offset.to_string();
        let reply = get(
            &emu,
            &a,
            "/admin/v1/users",
            &[("limit", "3"), ("offset", &offset_text)],
        )
        .await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body["metadata"]["total_objects"], 7);
        for user in reply.response().as_array().unwrap() {
            seen.push(user["username"].as_str().unwrap().to_owned());
        }
        if offset > 0 {
            assert!(reply.body["metadata"]["prev_offset"].is_u64());
        }
        match reply.body["metadata"]["next_offset"].as_u64() {
            Some(next) => offset = next,
            None => break,
        }
    }
    assert_eq!(seen, (0..7).map(|i| format!("user{i}")).collect::<Vec<_>>());

    // Default page, limit above the maximum is clamped, junk limit is 40002.
    let reply = get(&emu, &a, "/admin/v1/users", &[]).await;
    assert_eq!(reply.response().as_array().unwrap().len(), 7);
    assert!(reply.body["metadata"].get("next_offset").is_none());
    let reply = get(&emu, &a, "/admin/v1/users", &[("limit", "100000")]).await;
    assert_eq!(reply.status, 200);
    let reply = get(&emu, &a, "/admin/v1/users", &[("limit", "lots")]).await;
    assert_eq!((reply.status, reply.code()), (400, Some(40002)));
    assert_eq!(reply.body["message_detail"], "limit");
}

#[tokio::test]
async fn user_by_username_nests_devices() {
    let (emu, a) = start().await;
    let user_id = emu.add_user("dave");
    let phone_id = emu.add_phone(&user_id, "+15551230001", "mobile", "apple ios", true);
    let token_id = emu.add_token(&user_id, "123456", b"12345678901234567890", 0);
    let key = emu.add_webauthn(&user_id, "YubiKey 5");

    let reply = get(&emu, &a, "/admin/v1/users", &[("username", "dave")]).await;
    let users = reply.response().as_array().unwrap();
    assert_eq!(users.len(), 1);
    let user = &users[0];
    assert_eq!(user["user_id"], user_id.as_str());
    assert_eq!(user["status"], "active");
    assert_eq!(user["is_enrolled"], true);
    assert_eq!(user["phones"][0]["phone_id"], phone_id.as_str());
    assert_eq!(user["phones"][0]["type"], "Mobile");
    assert_eq!(user["phones"][0]["platform"], "Apple iOS");
    assert_eq!(
        user["phones"][0]["capabilities"],
        serde_json::json!(["auto", "push", "sms", "phone", "mobile_otp"])
    );
    assert_eq!(user["tokens"][0]["token_id"], token_id.as_str());
    assert_eq!(user["tokens"][0]["type"], "h6");
    assert_eq!(user["webauthncredentials"][0]["webauthnkey"], key.as_str());
    assert_eq!(
        user["webauthncredentials"][0]["credential_name"],
        "YubiKey 5"
    );

    let reply = get(&emu, &a, "/admin/v1/users", &[("username", "nobody")]).await;
    assert_eq!(reply.response(), &serde_json::json!([]));

    let reply = get(
        &emu,
        &a,
        &format!("/admin/v1/users/{user_id}/webauthncredentials"),
        &[],
    )
    .await;
    assert_eq!(reply.response()[0]["label"], "Security Key");
    let reply = get(&emu, &a, "/admin/v1/users/DUNOSUCHUSER000000000", &[]).await;
    assert_eq!((reply.status, reply.code()), (404, Some(40401)));

    // Delete the credential; deleting again is a no-op; an id never seen is 404.
    let path = format!("/admin/v1/webauthncredentials/{key}");
    assert_eq!(delete(&emu, &a, &path).await.status, 200);
    assert!(emu.webauthn_of(&user_id).is_empty());
    assert_eq!(delete(&emu, &a, &path).await.status, 200);
    let reply = delete(&emu, &a, "/admin/v1/webauthncredentials/WANEVERSEEN").await;
    assert_eq!(reply.code(), Some(40401));
}

#[tokio::test]
async fn phones_create_associate_activate_delete() {
    let (emu, a) = start().await;
    let user_id = emu.add_user("erin");

    let reply = post(
        &emu,
        &a,
        "/admin/v1/phones",
        &[
            ("number", "555-123-4567"),
            ("type", "mobile"),
            ("platform", "google android"),
        ],
    )
    .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let phone = reply.response().clone();
    let phone_id = phone["phone_id"].as_str().unwrap().to_owned();
    assert!(phone_id.starts_with("DP"));
    assert_eq!(phone["number"], "+15551234567");
    assert_eq!(phone["activated"], false);

    // The same number again: 40003.
    let reply = post(&emu, &a, "/admin/v1/phones", &[("number", "+15551234567")]).await;
    assert_eq!((reply.status, reply.code()), (400, Some(40003)));
    let reply = post(
        &emu,
        &a,
        "/admin/v1/phones",
        &[("number", "+15550000000"), ("type", "pager")],
    )
    .await;
    assert_eq!(
        (reply.code(), reply.body["message_detail"].as_str()),
        (Some(40002), Some("type"))
    );

    // Associate, read back, disassociate.
    let reply = post(
        &emu,
        &a,
        &format!("/admin/v1/users/{user_id}/phones"),
        &[("phone_id", &phone_id)],
    )
    .await;
    assert_eq!(
        (reply.status, reply.response()),
        (200, &Value::String(String::new()))
    );
    assert_eq!(emu.phones_of(&user_id).len(), 1);
    let reply = get(&emu, &a, &format!("/admin/v1/phones/{phone_id}"), &[]).await;
    assert_eq!(reply.response()["users"][0]["user_id"], user_id.as_str());
    let reply = post(&emu, &a, &format!("/admin/v1/users/{user_id}/phones"), &[]).await;
    assert_eq!(
        (reply.code(), reply.body["message_detail"].as_str()),
        (Some(40001), Some("phone_id"))
    );

    // Activation link: invalidates the current activation, install=1 adds the install URL.
    emu.set_phone_activated(&phone_id, true);
    let reply = post(
        &emu,
        &a,
        &format!("/admin/v1/phones/{phone_id}/activation_url"),
        &[("install", "1"), ("valid_secs", "3600")],
    )
    .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let url = reply.response()["activation_url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        url.starts_with("https://m-emulator.duosecurity.com/activate/"),
        "{url}"
    );
    assert!(reply.response()["installation_url"]
        .as_str()
        .unwrap()
        .starts_with("https://m-emulator.duosecurity.com/"));
    assert!(reply.response()["activation_barcode"]
        .as_str()
        .unwrap()
        .starts_with("https://api-emulator.duosecurity.com/frame/qr?value="));
    assert_eq!(reply.response()["valid_secs"], 3600);
    assert!(!emu.phone(&phone_id).unwrap().activated);
    assert_eq!(emu.activations().len(), 1);
    assert!(emu.complete_activation(&phone_id));
    assert!(emu.phone(&phone_id).unwrap().activated);

    // SMS activation: recorded with the URL in the text.
    let reply = post(
        &emu,
        &a,
        &format!("/admin/v1/phones/{phone_id}/send_sms_activation"),
        &[(
            "activation_msg",
            "Recovery Desk: reactivate Duo Mobile <acturl>",
        )],
    )
    .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let sms = emu.sms_activations();
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].number, "+15551234567");
    assert!(sms[0].activation_msg.starts_with(
        "Recovery Desk: reactivate Duo Mobile https://m-emulator.duosecurity.com/activate/"
    ));
    assert_eq!(
        reply.response()["activation_msg"],
        sms[0].activation_msg.as_str()
    );
    let reply = post(
        &emu,
        &a,
        &format!("/admin/v1/phones/{phone_id}/send_sms_activation"),
        &[("activation_msg", "no placeholder")],
    )
    .await;
    assert_eq!(
        (reply.code(), reply.body["message_detail"].as_str()),
        (Some(40002), Some("activation_msg"))
    );
    let long = format!("{} <acturl>", "x".repeat(120));
    let reply = post(
        &emu,
        &a,
        &format!("/admin/v1/phones/{phone_id}/send_sms_activation"),
        &[("activation_msg", &long)],
    )
    .await;
    assert_eq!(reply.code(), Some(40002));
    assert_eq!(emu.sms_activations().len(), 1);

    // A phone whose platform is unknown cannot be activated.
    let landline = emu.add_phone(&user_id, "+15551230002", "landline", "unknown", false);
    let reply = post(
        &emu,
        &a,
        &format!("/admin/v1/phones/{landline}/activation_url"),
        &[],
    )
    .await;
    assert_eq!(
        (reply.code(), reply.body["message_detail"].as_str()),
        (Some(40002), Some("platform"))
    );

    // Disassociate keeps the phone; delete removes it everywhere, twice is fine.
    let reply = delete(
        &emu,
        &a,
        &format!("/admin/v1/users/{user_id}/phones/{landline}"),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert!(emu.phone(&landline).is_some());
    assert_eq!(emu.phones_of(&user_id).len(), 1);
    assert_eq!(
        delete(&emu, &a, &format!("/admin/v1/phones/{phone_id}"))
            .await
            .status,
        200
    );
    assert!(emu.phones_of(&user_id).is_empty());
    assert_eq!(
        delete(&emu, &a, &format!("/admin/v1/phones/{phone_id}"))
            .await
            .status,
        200
    );
    let reply = get(&emu, &a, &format!("/admin/v1/phones/{phone_id}"), &[]).await;
    assert_eq!((reply.status, reply.code()), (404, Some(40401)));
}

#[tokio::test]
async fn bypass_codes_preserve_existing_and_consume() {
    let (emu, a) = start().await;
    let user_id = emu.add_user("frank");
    let path = format!("/admin/v1/users/{user_id}/bypass_codes");

    // Default: 10 codes of nine digits.
    let reply = post(&emu, &a, &path, &[]).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let first: Vec<String> = serde_json::from_value(reply.response().clone()).unwrap();
    assert_eq!(first.len(), 10);
    assert!(first
        .iter()
        .all(|c| c.len() == 9 && c.chars().all(|d| d.is_ascii_digit())));

    // preserve_existing=true keeps them.
    let reply = post(
        &emu,
        &a,
        &path,
        &[
            ("count", "1"),
            ("preserve_existing", "true"),
            ("valid_secs", "600"),
        ],
    )
    .await;
    let kept: Vec<String> = serde_json::from_value(reply.response().clone()).unwrap();
    assert_eq!(emu.bypass_codes(&user_id).len(), 11);

    // preserve_existing=false (and the default) wipes them.
    let reply = post(
        &emu,
        &a,
        &path,
        &[
            ("count", "1"),
            ("preserve_existing", "false"),
            ("reuse_count", "2"),
        ],
    )
    .await;
    let fresh: Vec<String> = serde_json::from_value(reply.response().clone()).unwrap();
    let stored = emu.bypass_codes(&user_id);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].code, fresh[0]);
    assert_eq!(stored[0].remaining_uses, Some(2));
    assert!(stored[0].expiration.is_none());
    assert!(!stored
        .iter()
        .any(|s| s.code == kept[0] || first.contains(&s.code)));

    // The listing shows metadata, never the code.
    let reply = crate::common::get(&emu, &a, &path, &[]).await;
    let listed = &reply.response()[0];
    assert!(listed["bypass_code_id"].is_string());
    assert!(listed.get("code").is_none());
    assert!(!reply.body.to_string().contains(&fresh[0]));

    // Validation: count and codes are exclusive, count is at most 10.
    let reply = post(&emu, &a, &path, &[("count", "11")]).await;
    assert_eq!(
        (reply.code(), reply.body["message_detail"].as_str()),
        (Some(40002), Some("count"))
    );
    let reply = post(&emu, &a, &path, &[("count", "1"), ("codes", "123456789")]).await;
    assert_eq!(reply.code(), Some(40002));

    // Custom codes, then a passcode auth consumes them (reuse_count 2 = two uses).
    let reply = post(
        &emu,
        &a,
        &path,
        &[("codes", "000111222"), ("reuse_count", "2")],
    )
    .await;
    assert_eq!(reply.response(), &serde_json::json!(["000111222"]));
    let au = auth(&keys());
    for expected in ["allow", "allow", "deny"] {
        let reply = post(
            &emu,
            &au,
            "/auth/v2/auth",
            &[
                ("user_id", &user_id),
                ("factor", "passcode"),
                ("passcode", "000111222"),
            ],
        )
        .await;
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        assert_eq!(reply.response()["result"], expected);
    }
    assert!(emu.bypass_codes(&user_id).is_empty());

    // Expiry follows valid_secs.
    let reply = post(&emu, &a, &path, &[("count", "1"), ("valid_secs", "60")]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(emu.bypass_codes(&user_id).len(), 1);
    emu.advance_time(61);
    assert!(emu.bypass_codes(&user_id).is_empty());

    // The 100-code limit: 500/50001.
    for _ in 0..10 {
        let reply = post(
            &emu,
            &a,
            &path,
            &[("count", "10"), ("preserve_existing", "true")],
        )
        .await;
        assert_eq!(reply.status, 200);
    }
    let reply = post(
        &emu,
        &a,
        &path,
        &[("count", "1"), ("preserve_existing", "true")],
    )
    .await;
    assert_eq!((reply.status, reply.code()), (500, Some(50001)));
    assert_eq!(emu.bypass_codes(&user_id).len(), 100);
}

#[tokio::test]
async fn token_resync_with_rfc4226_codes() {
    let (emu, a) = start().await;
    let user_id = emu.add_user("grace");
    let secret = b"12345678901234567890";
    let token_id = emu.add_token(&user_id, "HOTP-001", secret, 0);
    let path = format!("/admin/v1/tokens/{token_id}/resync");

    // The user pressed the button many times: codes 5, 6, 7 of RFC 4226 appendix D.
    let reply = post(
        &emu,
        &a,
        &path,
        &[
            ("code1", "254676"),
            ("code2", "287922"),
            ("code3", "162583"),
        ],
    )
    .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.response(), &Value::String(String::new()));
    assert_eq!(emu.token_counter(&token_id), Some(8));

    // Codes out of order, or already used, do not resync.
    let reply = post(
        &emu,
        &a,
        &path,
        &[
            ("code1", "399871"),
            ("code2", "162583"),
            ("code3", "520489"),
        ],
    )
    .await;
    assert_eq!((reply.status, reply.code()), (400, Some(40002)));
    let reply = post(
        &emu,
        &a,
        &path,
        &[
            ("code1", "254676"),
            ("code2", "287922"),
            ("code3", "162583"),
        ],
    )
    .await;
    assert_eq!(reply.code(), Some(40002));
    let reply = post(&emu, &a, &path, &[("code1", "254676")]).await;
    assert_eq!(
        (reply.code(), reply.body["message_detail"].as_str()),
        (Some(40001), Some("code2"))
    );
    assert_eq!(emu.token_counter(&token_id), Some(8));

    // Far ahead works too (Duo "scans ahead").
    let codes: Vec<String> = (500..503).map(|c| hotp(secret, c, 6)).collect();
    let reply = post(
        &emu,
        &a,
        &path,
        &[
            ("code1", &codes[0]),
            ("code2", &codes[1]),
            ("code3", &codes[2]),
        ],
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(emu.token_counter(&token_id), Some(503));

    // A token passcode authenticates and advances the counter.
    let next = hotp(secret, 504, 6);
    let reply = post(
        &emu,
        &auth(&keys()),
        "/auth/v2/auth",
        &[
            ("username", "grace"),
            ("factor", "passcode"),
            ("passcode", &next),
        ],
    )
    .await;
    assert_eq!(reply.response()["result"], "allow");
    assert_eq!(emu.token_counter(&token_id), Some(505));

    let reply = post(
        &emu,
        &a,
        "/admin/v1/tokens/DHNOSUCHTOKEN/resync",
        &[("code1", "1"), ("code2", "2"), ("code3", "3")],
    )
    .await;
    assert_eq!((reply.status, reply.code()), (404, Some(40401)));

    // Lookup by type and serial.
    let reply = get(
        &emu,
        &a,
        "/admin/v1/tokens",
        &[("type", "h6"), ("serial", "HOTP-001")],
    )
    .await;
    assert_eq!(reply.response()[0]["token_id"], token_id.as_str());
    assert_eq!(reply.response()[0]["users"][0]["username"], "grace");
}
