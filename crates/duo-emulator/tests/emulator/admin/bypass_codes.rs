//! Bypass codes: issue, keep or replace the existing ones, consume through the Auth API.

use crate::common::{auth, keys, post};

use super::start;

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
