//! Phones: create, associate, activate (link and SMS), delete.

use serde_json::Value;

use crate::common::{delete, get, post};

use super::start;

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
