//! Hardware tokens: resync with RFC 4226 codes.

use duo_emulator::hotp;
use serde_json::Value;

use crate::common::{auth, get, keys, post};

use super::start;

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
