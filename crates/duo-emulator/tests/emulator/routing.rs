//! The order Duo checks a request in, which the router and its middleware keep: credentials
//! first (even for a path that does not exist), then the route, then the grant, then the
//! parameters' values.

use duo_emulator::{DuoEmulator, Permission};

use crate::common::{admin, delete, get, keys, post};

#[tokio::test]
async fn an_unknown_path_is_checked_for_credentials_first() {
    let emu = DuoEmulator::start(keys()).await;
    let reply = read_unsigned(&emu, "/admin/v1/nothing_here").await;
    assert_eq!((reply.0, reply.1), (401, Some(40101)));
    let mut wrong = admin(&keys());
    wrong.skey = "not-the-secret-key".to_owned();
    let reply = get(&emu, &wrong, "/admin/v1/nothing_here", &[]).await;
    assert_eq!((reply.status, reply.code()), (401, Some(40103)));
}

#[tokio::test]
async fn a_wrong_method_is_404_even_without_the_grant() {
    let emu = DuoEmulator::start(keys()).await;
    let a = admin(&keys());
    assert!(emu.revoke_permission(&a.ikey, Permission::WriteResource));
    assert!(emu.revoke_permission(&a.ikey, Permission::ReadResource));
    // No such route: 404, not 403.
    let reply = delete(&emu, &a, "/admin/v1/bypass_codes").await;
    assert_eq!((reply.status, reply.code()), (404, Some(40401)));
    assert_eq!(
        reply.body["message_detail"],
        "DELETE /admin/v1/bypass_codes"
    );
    // A route: the grant is checked before the parameters.
    let reply = post(&emu, &a, "/admin/v1/phones", &[("type", "rotary")]).await;
    assert_eq!((reply.status, reply.code()), (403, Some(40301)));
    assert!(emu.grant_permission(&a.ikey, Permission::WriteResource));
    let reply = post(&emu, &a, "/admin/v1/phones", &[("type", "rotary")]).await;
    assert_eq!((reply.status, reply.code()), (400, Some(40002)));
    assert!(emu.phones().is_empty());
}

async fn read_unsigned(emu: &DuoEmulator, path: &str) -> (u16, Option<u64>) {
    let reply = crate::common::read(
        reqwest::get(format!("{}{path}", emu.base_url()))
            .await
            .unwrap(),
    )
    .await;
    (reply.status, reply.code())
}
