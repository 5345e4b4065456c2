//! Credential checks: every refusal Duo documents, with its code and status.

use duo_emulator::{DuoEmulator, Permission, SignatureVersion};

use crate::common::{
    admin, auth, basic, get, keys, now, read, rfc2822, send, sign_hex, Call, Creds, Sig,
};

async fn start() -> DuoEmulator {
    DuoEmulator::start(keys()).await
}

#[tokio::test]
async fn accepts_v2_sha1_v2_sha512_and_v5() {
    let emu = start().await;
    emu.add_user("alice");
    for sig in [Sig::V2Sha1, Sig::V2Sha512, Sig::V5] {
        let reply = send(
            &emu,
            &admin(&keys()),
            Call {
                method: "GET",
                path: "/admin/v1/users",
                params: &[("username", "alice")],
                sig,
                date: None,
            },
        )
        .await;
        assert_eq!(reply.status, 200, "{sig:?}: {:?}", reply.body);
        assert_eq!(reply.body["stat"], "OK");
        assert_eq!(reply.response()[0]["username"], "alice");
    }
    let versions: Vec<_> = emu
        .request_log()
        .iter()
        .map(|r| r.signature_version)
        .collect();
    assert_eq!(
        versions,
        [
            Some(SignatureVersion::V2Sha1),
            Some(SignatureVersion::V2Sha512),
            Some(SignatureVersion::V5)
        ]
    );
    // POST: v2 with a form body and v5 with a JSON body.
    let user_id = emu.user_id_of("alice").unwrap();
    for sig in [Sig::V2Sha512, Sig::V5] {
        let reply = send(
            &emu,
            &admin(&keys()),
            Call {
                method: "POST",
                path: &format!("/admin/v1/users/{user_id}/bypass_codes"),
                params: &[("count", "1"), ("preserve_existing", "true")],
                sig,
                date: None,
            },
        )
        .await;
        assert_eq!(reply.status, 200, "{sig:?}: {:?}", reply.body);
    }
    assert_eq!(emu.bypass_codes(&user_id).len(), 2);
}

#[tokio::test]
async fn wrong_secret_is_40103() {
    let emu = start().await;
    let creds = Creds {
        ikey: keys().admin_ikey,
        skey: "not-the-secret-key-not-the-secret-key-00".to_owned(),
    };
    let reply = get(&emu, &creds, "/admin/v1/users", &[]).await;
    assert_eq!((reply.status, reply.code()), (401, Some(40103)));
    assert_eq!(reply.body["stat"], "FAIL");
    assert_eq!(
        reply.body["message"],
        "Invalid signature in request credentials"
    );
    let last = emu.request_log().pop().unwrap();
    assert_eq!(last.signature_valid, Some(false));
    assert_eq!(last.error_code, Some(40103));
}

#[tokio::test]
async fn wrong_or_foreign_ikey_is_40102() {
    let emu = start().await;
    let unknown = Creds {
        ikey: "DINOTAREALKEY0000000".to_owned(),
        skey: keys().admin_skey,
    };
    let reply = get(&emu, &unknown, "/admin/v1/users", &[]).await;
    assert_eq!((reply.status, reply.code()), (401, Some(40102)));
    assert_eq!(
        reply.body["message"],
        "Invalid integration key in request credentials"
    );
    // Auth API keys on the Admin API, and the reverse, are unknown keys there.
    let reply = get(&emu, &auth(&keys()), "/admin/v1/users", &[]).await;
    assert_eq!((reply.status, reply.code()), (401, Some(40102)));
    let reply = get(&emu, &admin(&keys()), "/auth/v2/check", &[]).await;
    assert_eq!((reply.status, reply.code()), (401, Some(40102)));
    let reply = get(&emu, &auth(&keys()), "/auth/v2/check", &[]).await;
    assert_eq!(reply.status, 200);
    assert!(reply.response()["time"].as_i64().is_some());
}

#[tokio::test]
async fn missing_or_malformed_credentials_are_40101() {
    let emu = start().await;
    let client = reqwest::Client::new();
    let url = format!("{}/admin/v1/users", emu.base_url());
    for header in [
        None,
        Some("Bearer abc"),
        Some("Basic !!!not-base64!!!"),
        Some("Basic bm9jb2xvbg=="), // "nocolon"
    ] {
        let mut request = client.get(&url).header("Date", rfc2822(now()));
        if let Some(h) = header {
            request = request.header("Authorization", h);
        }
        let reply = read(request.send().await.unwrap()).await;
        assert_eq!(
            (reply.status, reply.code()),
            (401, Some(40101)),
            "{header:?}"
        );
        assert_eq!(reply.body["message"], "Missing request credentials");
    }
}

#[tokio::test]
async fn missing_or_unparsable_date_is_40104() {
    let emu = start().await;
    let k = keys();
    let host = emu.api_host().to_owned();
    let client = reqwest::Client::new();
    for date in [
        None,
        Some("Mi, 14 Feb 2024 10:00:00 +0100"),
        Some("2024-02-14T10:00:00Z"),
    ] {
        let shown = date.unwrap_or("");
        let canonical = format!("{shown}\nGET\n{host}\n/admin/v1/users\n");
        let auth = basic(
            &k.admin_ikey,
            &sign_hex(Sig::V2Sha512, &k.admin_skey, &canonical),
        );
        let mut request = client
            .get(format!("{}/admin/v1/users", emu.base_url()))
            .header("Authorization", auth);
        if let Some(d) = date {
            request = request.header("Date", d);
        }
        let reply = read(request.send().await.unwrap()).await;
        assert_eq!((reply.status, reply.code()), (401, Some(40104)), "{date:?}");
        assert_eq!(reply.body["message"], "Missing request timestamp");
    }
}

async fn get_dated(emu: &DuoEmulator, date_unix: i64) -> crate::common::Reply {
    send(
        emu,
        &admin(&keys()),
        Call {
            method: "GET",
            path: "/admin/v1/users",
            params: &[],
            sig: Sig::V2Sha512,
            date: Some(rfc2822(date_unix)),
        },
    )
    .await
}

#[tokio::test]
async fn dates_beyond_300_seconds_are_40105() {
    let emu = start().await;
    for offset in [-290, 0, 290] {
        assert_eq!(
            get_dated(&emu, now() + offset).await.status,
            200,
            "{offset}"
        );
    }
    for offset in [-400, 400, -86_400] {
        let reply = get_dated(&emu, now() + offset).await;
        assert_eq!((reply.status, reply.code()), (401, Some(40105)), "{offset}");
    }
    // The stale request was authentic: the log shows the signature checked.
    assert_eq!(emu.request_log().pop().unwrap().signature_valid, Some(true));
}

#[tokio::test]
async fn clock_skew_moves_ping_and_the_window() {
    let emu = start().await;
    emu.set_clock_skew(3_600);
    let client = reqwest::Client::new();
    let ping = read(
        client
            .get(format!("{}/auth/v2/ping", emu.base_url()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(ping.status, 200);
    let time = ping.response()["time"].as_i64().unwrap();
    assert!((time - (now() + 3_600)).abs() <= 2, "{time}");
    // The response Date header follows the emulator's clock too.
    let date = ping
        .headers
        .get("date")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let parsed = time::OffsetDateTime::parse(
        &date.replace(" GMT", " +0000"),
        &time::format_description::well_known::Rfc2822,
    )
    .unwrap()
    .unix_timestamp();
    assert!((parsed - time).abs() <= 2);

    // A client on the machine's clock is now an hour behind: refused.
    let reply = get_dated(&emu, now()).await;
    assert_eq!(reply.code(), Some(40105));
    // A client that synced with ping is accepted.
    assert_eq!(get_dated(&emu, time).await.status, 200);
    emu.set_clock_skew(0);
    assert_eq!(get_dated(&emu, now()).await.status, 200);
}

#[tokio::test]
async fn signature_covers_what_arrives() {
    let emu = start().await;
    let k = keys();
    let host = emu.api_host().to_owned();
    let date = rfc2822(now());
    let client = reqwest::Client::new();
    let canonical = format!("{date}\nGET\n{host}\n/admin/v1/users\nusername=alice");
    let good = sign_hex(Sig::V2Sha512, &k.admin_skey, &canonical);

    // Exactly as signed: fine.
    let url = format!("{}/admin/v1/users?username=alice", emu.base_url());
    let reply = read(
        client
            .get(&url)
            .header("Authorization", basic(&k.admin_ikey, &good))
            .header("Date", &date)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, 200);

    // A parameter added after signing.
    let reply = read(
        client
            .get(format!("{url}&limit=5"))
            .header("Authorization", basic(&k.admin_ikey, &good))
            .header("Date", &date)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(reply.code(), Some(40103));

    // Upper-case hex (a .NET BitConverter habit) is a different signature.
    let reply = read(
        client
            .get(&url)
            .header("Authorization", basic(&k.admin_ikey, &good.to_uppercase()))
            .header("Date", &date)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(reply.code(), Some(40103));

    // A different signed host.
    let other = format!("{date}\nGET\napi-other.duosecurity.com\n/admin/v1/users\nusername=alice");
    let reply = read(
        client
            .get(&url)
            .header(
                "Authorization",
                basic(
                    &k.admin_ikey,
                    &sign_hex(Sig::V2Sha512, &k.admin_skey, &other),
                ),
            )
            .header("Date", &date)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(reply.code(), Some(40103));

    // A form body sent without its Content-Type: the service never sees the parameters.
    let user_id = emu.add_user("bob");
    let path = format!("/admin/v1/users/{user_id}/bypass_codes");
    let canonical = format!("{date}\nPOST\n{host}\n{path}\ncount=1");
    let sig = sign_hex(Sig::V2Sha512, &k.admin_skey, &canonical);
    let reply = read(
        client
            .post(format!("{}{path}", emu.base_url()))
            .header("Authorization", basic(&k.admin_ikey, &sig))
            .header("Date", &date)
            .body("count=1")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(reply.code(), Some(40103));
    let reply = read(
        client
            .post(format!("{}{path}", emu.base_url()))
            .header("Authorization", basic(&k.admin_ikey, &sig))
            .header("Date", &date)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("count=1")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
}

#[tokio::test]
async fn revoked_permission_is_40301() {
    let emu = start().await;
    let k = keys();
    let user_id = emu.add_user("carol");
    assert!(emu.revoke_permission(&k.admin_ikey, Permission::ReadResource));
    let reply = get(&emu, &admin(&k), "/admin/v1/users", &[]).await;
    assert_eq!((reply.status, reply.code()), (403, Some(40301)));
    assert_eq!(reply.body["message"], "Access forbidden");
    // Writes need the other grant, which is still there.
    let reply = crate::common::post(
        &emu,
        &admin(&k),
        &format!("/admin/v1/users/{user_id}/bypass_codes"),
        &[("count", "1")],
    )
    .await;
    assert_eq!(reply.status, 200);
    assert!(emu.revoke_permission(&k.admin_ikey, Permission::WriteResource));
    let reply = crate::common::post(
        &emu,
        &admin(&k),
        &format!("/admin/v1/users/{user_id}/bypass_codes"),
        &[("count", "1")],
    )
    .await;
    assert_eq!((reply.status, reply.code()), (403, Some(40301)));
    assert!(!emu
        .permissions(&k.admin_ikey)
        .contains(&Permission::WriteResource));
    emu.grant_permission(&k.admin_ikey, Permission::ReadResource);
    assert_eq!(
        get(&emu, &admin(&k), "/admin/v1/users", &[]).await.status,
        200
    );
    assert_eq!(
        Permission::from_name("grant_settings"),
        Some(Permission::Settings)
    );
}

#[tokio::test]
async fn unknown_endpoints_are_404_40401_and_ping_is_unsigned() {
    let emu = start().await;
    let reply = get(&emu, &admin(&keys()), "/admin/v1/nothing_here", &[]).await;
    assert_eq!((reply.status, reply.code()), (404, Some(40401)));
    assert_eq!(reply.body["message"], "Resource not found");
    // The wrong method on a known path.
    let reply = crate::common::delete(&emu, &admin(&keys()), "/admin/v1/users").await;
    assert_eq!((reply.status, reply.code()), (404, Some(40401)));

    let ping = read(
        reqwest::get(format!("{}/auth/v2/ping", emu.base_url()))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(ping.status, 200);
    assert_eq!(ping.body["stat"], "OK");
    let log = emu.request_log();
    let last = log.last().unwrap();
    assert_eq!(
        (last.path.as_str(), last.signature_valid),
        ("/auth/v2/ping", None)
    );
}
