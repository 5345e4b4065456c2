//! Auth API: check, preauth, phone calls with txid polling, push, passcodes.

use std::time::Duration;

use duo_emulator::{CallPolicy, DuoEmulator, TransactionState};

use crate::common::{auth, get, keys, post, Creds};

async fn start() -> (DuoEmulator, Creds) {
    let emu = DuoEmulator::start(keys()).await;
    (emu, auth(&keys()))
}

#[tokio::test]
async fn async_phone_call_waits_for_the_test() {
    let (emu, au) = start().await;
    let user_id = emu.add_user("henry");
    let landline = emu.add_phone(&user_id, "+15551239876", "landline", "unknown", false);

    let reply = post(
        &emu,
        &au,
        "/auth/v2/auth",
        &[
            ("username", "henry"),
            ("factor", "phone"),
            ("device", &landline),
            ("async", "1"),
        ],
    )
    .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let txid = reply.response()["txid"].as_str().unwrap().to_owned();
    let calls = emu.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].number.as_deref(), Some("+15551239876"));
    assert_eq!(calls[0].phone_id.as_deref(), Some(landline.as_str()));

    for _ in 0..2 {
        let reply = get(&emu, &au, "/auth/v2/auth_status", &[("txid", &txid)]).await;
        assert_eq!(reply.response()["result"], "waiting");
        assert_eq!(reply.response()["status"], "calling");
        assert_eq!(reply.response()["status_msg"], "Dialing XXX-XXX-9876...");
    }
    assert!(emu.answer_call(&txid, true));
    assert!(
        !emu.answer_call(&txid, false),
        "a settled call cannot be answered again"
    );
    let reply = get(&emu, &au, "/auth/v2/auth_status", &[("txid", &txid)]).await;
    assert_eq!(reply.response()["result"], "allow");

    // Denied: no keypress.
    let reply = post(
        &emu,
        &au,
        "/auth/v2/auth",
        &[("user_id", &user_id), ("factor", "phone"), ("async", "1")],
    )
    .await;
    let txid = reply.response()["txid"].as_str().unwrap().to_owned();
    emu.answer_call(&txid, false);
    let reply = get(&emu, &au, "/auth/v2/auth_status", &[("txid", &txid)]).await;
    assert_eq!(reply.response()["result"], "deny");
    assert_eq!(reply.response()["status_msg"], "No keypress detected.");

    let reply = get(
        &emu,
        &au,
        "/auth/v2/auth_status",
        &[("txid", "no-such-txid")],
    )
    .await;
    assert_eq!((reply.status, reply.code()), (400, Some(40002)));
}

#[tokio::test]
async fn synchronous_call_follows_policy_or_answer() {
    let (emu, au) = start().await;
    let user_id = emu.add_user("iris");
    emu.add_phone(
        &user_id,
        "+15551230003",
        "mobile",
        "generic smartphone",
        false,
    );

    emu.set_call_policy(CallPolicy::Allow);
    let reply = post(
        &emu,
        &au,
        "/auth/v2/auth",
        &[("username", "iris"), ("factor", "phone")],
    )
    .await;
    assert_eq!(reply.response()["result"], "allow");

    // Manual: the request blocks until the test answers.
    emu.set_call_policy(CallPolicy::Manual);
    let answering = emu.clone();
    let answerer = tokio::spawn(async move {
        loop {
            if let Some(tx) = answering
                .calls()
                .into_iter()
                .find(|t| t.state == TransactionState::Waiting)
            {
                answering.answer_call(&tx.txid, false);
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    let reply = post(
        &emu,
        &au,
        "/auth/v2/auth",
        &[("username", "iris"), ("factor", "phone")],
    )
    .await;
    answerer.await.unwrap();
    assert_eq!(reply.response()["result"], "deny");
}

#[tokio::test]
async fn push_needs_an_activated_smartphone() {
    let (emu, au) = start().await;
    let user_id = emu.add_user("jack");
    let phone = emu.add_phone(&user_id, "+15551230004", "mobile", "apple ios", false);
    let reply = post(
        &emu,
        &au,
        "/auth/v2/auth",
        &[("username", "jack"), ("factor", "push"), ("async", "1")],
    )
    .await;
    assert_eq!((reply.status, reply.code()), (400, Some(40002)));
    assert_eq!(reply.body["message_detail"], "no capable device");

    emu.set_phone_activated(&phone, true);
    let reply = post(
        &emu,
        &au,
        "/auth/v2/auth",
        &[("username", "jack"), ("factor", "push"), ("async", "1")],
    )
    .await;
    let txid = reply.response()["txid"].as_str().unwrap().to_owned();
    let reply = get(&emu, &au, "/auth/v2/auth_status", &[("txid", &txid)]).await;
    assert_eq!(reply.response()["status"], "pushed");
    emu.answer_call(&txid, true);
    let reply = get(&emu, &au, "/auth/v2/auth_status", &[("txid", &txid)]).await;
    assert_eq!(reply.response()["result"], "allow");
}

#[tokio::test]
async fn auth_parameter_errors_and_preauth() {
    let (emu, au) = start().await;
    let user_id = emu.add_user("kate");
    let reply = post(
        &emu,
        &au,
        "/auth/v2/auth",
        &[("factor", "passcode"), ("passcode", "1")],
    )
    .await;
    assert_eq!(
        (reply.code(), reply.body["message_detail"].as_str()),
        (Some(40001), Some("user_id or username"))
    );
    let reply = post(
        &emu,
        &au,
        "/auth/v2/auth",
        &[
            ("username", "nobody"),
            ("factor", "passcode"),
            ("passcode", "1"),
        ],
    )
    .await;
    assert_eq!(
        (reply.code(), reply.body["message_detail"].as_str()),
        (Some(40002), Some("username"))
    );
    let reply = post(
        &emu,
        &au,
        "/auth/v2/auth",
        &[("username", "kate"), ("factor", "telepathy")],
    )
    .await;
    assert_eq!(
        (reply.code(), reply.body["message_detail"].as_str()),
        (Some(40002), Some("factor"))
    );
    let reply = post(
        &emu,
        &au,
        "/auth/v2/auth",
        &[
            ("username", "kate"),
            ("factor", "passcode"),
            ("passcode", "123456789"),
        ],
    )
    .await;
    assert_eq!(reply.response()["result"], "deny");
    assert_eq!(
        reply.response()["status_msg"],
        "Incorrect passcode. Please try again."
    );

    let reply = post(&emu, &au, "/auth/v2/preauth", &[("username", "kate")]).await;
    assert_eq!(reply.response()["result"], "enroll");
    emu.add_phone(&user_id, "+15551230005", "landline", "unknown", false);
    let reply = post(&emu, &au, "/auth/v2/preauth", &[("username", "kate")]).await;
    assert_eq!(reply.response()["result"], "auth");
    assert_eq!(
        reply.response()["devices"][0]["capabilities"],
        serde_json::json!(["auto", "phone"])
    );
    emu.set_user_status(&user_id, "disabled");
    let reply = post(&emu, &au, "/auth/v2/preauth", &[("username", "kate")]).await;
    assert_eq!(reply.response()["result"], "deny");
}
