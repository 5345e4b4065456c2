//! Users: listing with paging metadata, lookup by username with nested devices (phones,
//! tokens, WebAuthn credentials).

use crate::common::{delete, get};

use super::start;

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
