//! One signed exchange: the envelope, Duo's 429 backoff, typed failures, paging, the clock
//! offset, v5 JSON bodies, and paths that are refused before anything is sent.

use std::time::{Duration, Instant};

use duo_client::{Backoff, DuoError, Method};
use duo_emulator::{Fault, Permission, SignatureVersion};
use recovery_api::Secret;
use serde_json::{json, Value};

use crate::support::{clients, clients_with, config, emulator, fast_tuning, last};

#[tokio::test]
async fn the_envelope_is_unwrapped_and_the_query_is_the_signed_string() {
    let emu = emulator().await;
    emu.add_user("x y");
    let clients = clients(&emu);
    let response = clients
        .admin
        .client()
        .call(
            Method::GET,
            "/admin/v1/users",
            &[("username", "x y"), ("realname", "1+1")],
        )
        .await
        .unwrap();
    assert_eq!(response[0]["username"], "x y");
    let seen = last(&emu);
    assert_eq!(seen.query, "realname=1%2B1&username=x%20y");
    assert_eq!(seen.ikey.as_deref(), Some(emu.keys().admin_ikey.as_str()));
    assert_eq!(seen.signature_version, Some(SignatureVersion::V2Sha512));
}

#[tokio::test]
async fn rate_limits_are_retried_then_succeed() {
    let emu = emulator().await;
    emu.fail_next(2, Fault::RateLimited);
    let response = clients(&emu)
        .admin
        .client()
        .call(Method::GET, "/admin/v1/users", &[])
        .await
        .unwrap();
    assert_eq!(response, json!([]));
    let log = emu.request_log();
    let statuses: Vec<u16> = log.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 429, 200]);
    assert_eq!(log[2].signature_valid, Some(true));
}

#[tokio::test]
async fn rate_limits_give_up_after_duos_seven_attempts() {
    let emu = emulator().await;
    emu.fail_next(10, Fault::RateLimited);
    let error = clients(&emu)
        .admin
        .client()
        .call(Method::GET, "/admin/v1/users", &[])
        .await
        .unwrap_err();
    assert!(matches!(error, DuoError::RateLimited), "{error:?}");
    // Waits of 1, 2, 4, 8, 16, 32 (ms here), then the next would pass 32.
    assert_eq!(emu.request_log().len(), 7);
    assert_eq!(emu.pending_faults(), 3);
}

#[tokio::test]
async fn the_backoff_doubles_from_its_first_wait() {
    let emu = emulator().await;
    emu.fail_next(3, Fault::RateLimited);
    let mut tuning = fast_tuning();
    tuning.backoff = Backoff {
        first_wait: Duration::from_millis(40),
        max_wait: Duration::from_millis(80),
        max_jitter: Duration::ZERO,
    };
    let clients = clients_with(config(&emu), tuning);
    let started = Instant::now();
    let error = clients
        .admin
        .client()
        .call(Method::GET, "/admin/v1/users", &[])
        .await
        .unwrap_err();
    assert!(matches!(error, DuoError::RateLimited));
    assert_eq!(emu.request_log().len(), 3);
    assert!(started.elapsed() >= Duration::from_millis(120));
}

#[tokio::test]
async fn failures_map_to_typed_errors() {
    let emu = emulator().await;
    let user_id = emu.add_user("jdoe");
    let clients = clients(&emu);
    let client = clients.admin.client();
    let path = format!("/admin/v1/users/{user_id}");
    let get = || client.call(Method::GET, &path, &[]);

    let admin_ikey = &emu.keys().admin_ikey;
    emu.revoke_permission(admin_ikey, Permission::ReadResource);
    match get().await {
        Err(error @ DuoError::Forbidden { code: 40301, .. }) => {
            assert!(error.to_string().contains("grant_read_resource"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    emu.grant_permission(admin_ikey, Permission::ReadResource);
    assert!(get().await.is_ok());

    assert!(matches!(
        client
            .call(Method::GET, "/admin/v1/users/DUNOSUCHUSER00000000", &[])
            .await,
        Err(DuoError::NotFound { code: 40401 })
    ));
    match client
        .call(Method::POST, &path, &[("status", "sleeping")])
        .await
    {
        Err(DuoError::BadRequest { code, message }) => {
            assert_eq!(code, 40002);
            assert_eq!(message, "Invalid request parameters: status");
        }
        other => panic!("{other:?}"),
    }

    emu.fail_next(1, Fault::ServerError);
    assert!(matches!(get().await, Err(DuoError::Unavailable(_))));
    emu.fail_next(1, Fault::ServiceUnavailable);
    let error = get().await.unwrap_err();
    assert!(matches!(error, DuoError::Unavailable(_)), "{error:?}");
    assert!(!format!("{error:?}").contains("html"), "{error:?}");

    // Answers that are not Duo's envelope are never quoted: they may hold a code.
    let garbled = |status: u16, body: &str| Fault::Answer {
        status,
        body: body.to_owned(),
    };
    emu.fail_next(1, garbled(502, "<html>bad gateway, code 016931781</html>"));
    let error = get().await.unwrap_err();
    assert!(matches!(error, DuoError::Unavailable(_)), "{error:?}");
    assert!(!format!("{error:?}").contains("016931781"));
    emu.fail_next(1, garbled(200, "not json 016931781"));
    let error = get().await.unwrap_err();
    assert!(matches!(error, DuoError::Protocol(_)), "{error:?}");
    assert!(!format!("{error:?}").contains("016931781"));
    emu.fail_next(1, garbled(200, r#"{"stat":"FAIL","message":"no code"}"#));
    assert!(matches!(get().await, Err(DuoError::Protocol(_))));
}

#[tokio::test]
async fn a_wrong_secret_key_is_misconfigured_and_never_printed() {
    let emu = emulator().await;
    let mut config = config(&emu);
    config.admin.secret_key = Secret::new("the-wrong-secret-key-must-not-be-printed");
    let clients = clients_with(config, fast_tuning());
    let error = clients
        .admin
        .client()
        .call(Method::GET, "/admin/v1/users", &[("username", "jdoe")])
        .await
        .unwrap_err();
    assert!(
        matches!(error, DuoError::Misconfigured { code: 40103 }),
        "{error:?}"
    );
    assert_eq!(last(&emu).signature_valid, Some(false));
    let printed = format!("{error} {error:?} {clients:?}");
    assert!(!printed.contains("must-not-be-printed"), "{printed}");
    assert!(!printed.contains(&emu.keys().admin_skey));
}

#[tokio::test]
async fn lists_follow_next_offset_across_pages() {
    let emu = emulator().await;
    for serial in 0..250 {
        emu.add_token("", &format!("S{serial:03}"), b"12345678901234567890", 0);
    }
    let items = clients(&emu)
        .admin
        .client()
        .list(
            "/admin/v1/tokens",
            &[("offset", "9"), ("limit", "7"), ("type", "h6")],
        )
        .await
        .unwrap();
    let serials: Vec<&str> = items.iter().filter_map(|i| i["serial"].as_str()).collect();
    let expected: Vec<String> = (0..250).map(|s| format!("S{s:03}")).collect();
    assert_eq!(serials, expected);
    let queries: Vec<String> = emu.request_log().into_iter().map(|r| r.query).collect();
    assert_eq!(
        queries,
        [
            "limit=100&offset=0&type=h6",
            "limit=100&offset=100&type=h6",
            "limit=100&offset=200&type=h6",
        ]
    );
}

#[tokio::test]
async fn a_next_offset_that_does_not_advance_stops_the_list() {
    let emu = emulator().await;
    emu.fail_next(
        1,
        Fault::Answer {
            status: 200,
            body: r#"{"stat":"OK","response":[1],"metadata":{"next_offset":0}}"#.to_owned(),
        },
    );
    let error = clients(&emu)
        .admin
        .client()
        .list("/admin/v1/users", &[])
        .await
        .unwrap_err();
    assert!(matches!(error, DuoError::Protocol(_)), "{error:?}");
}

#[tokio::test]
async fn the_clock_offset_shifts_later_dates_of_both_applications() {
    let emu = emulator().await;
    // Duo's clock 400 s ahead: beyond its ±300 s window until the client measures it.
    emu.set_clock_skew(400);
    let clients = clients(&emu);
    let users = || {
        clients
            .admin
            .client()
            .call(Method::GET, "/admin/v1/users", &[])
    };
    assert!(matches!(
        users().await,
        Err(DuoError::Misconfigured { code: 40105 })
    ));
    let offset = clients.sync_clock().await.unwrap();
    assert!((399..=401).contains(&offset), "{offset}");
    assert_eq!(clients.admin.client().clock_offset_seconds(), offset);
    users().await.unwrap();
    clients.auth.check().await.unwrap();
    let log = emu.request_log();
    assert_eq!(log[1].path, "/auth/v2/ping");
    assert_eq!(
        (log[1].ikey.as_deref(), log[1].signature_valid),
        (None, None)
    );
    assert!(log[2..].iter().all(|r| r.status == 200), "{log:?}");
}

#[tokio::test]
async fn a_slow_duo_is_unavailable() {
    let emu = emulator().await;
    emu.fail_next(1, Fault::Slow(Duration::from_secs(3)));
    let mut tuning = fast_tuning();
    tuning.timeout = Duration::from_millis(200);
    let error = clients_with(config(&emu), tuning)
        .admin
        .client()
        .call(Method::GET, "/admin/v1/users", &[("username", "jdoe")])
        .await
        .unwrap_err();
    match error {
        DuoError::Unavailable(message) => assert_eq!(message, "Duo did not answer in time"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_unreachable_duo_is_unavailable() {
    let emu = emulator().await;
    let mut config = config(&emu);
    config.base_url = Some("http://127.0.0.1:9".to_owned());
    let error = clients_with(config, fast_tuning())
        .auth
        .ping()
        .await
        .unwrap_err();
    assert!(matches!(error, DuoError::Unavailable(_)), "{error:?}");
}

#[tokio::test]
async fn json_bodies_are_signed_with_v5() {
    let emu = emulator().await;
    let user_id = emu.add_user("jdoe");
    let clients = clients(&emu);
    let client = clients.admin.client();
    let path = format!("/admin/v1/users/{user_id}");
    let body = json!({"realname": "Jane Doe", "notes": "a b"});
    let response = client.call_json(Method::POST, &path, &body).await.unwrap();
    assert_eq!(response["realname"], "Jane Doe");
    assert_eq!(emu.user(&user_id).unwrap().realname, "Jane Doe");
    assert_eq!(last(&emu).signature_version, Some(SignatureVersion::V5));

    // Refused before sending: a JSON body needs POST, PUT or PATCH and must be an object.
    let sent = emu.request_log().len();
    assert!(matches!(
        client.call_json(Method::GET, &path, &body).await,
        Err(DuoError::InvalidInput(_))
    ));
    assert!(matches!(
        client
            .call_json(Method::POST, &path, &Value::from("text"))
            .await,
        Err(DuoError::InvalidInput(_))
    ));
    assert_eq!(emu.request_log().len(), sent);
}

#[tokio::test]
async fn paths_that_are_not_plain_are_refused_before_sending() {
    let emu = emulator().await;
    let clients = clients(&emu);
    for bad in [
        "admin/v1/users",
        "/admin/v1/../auth",
        "/admin//users",
        "/admin/v1/users?x=1",
        "/admin/v1/u sers",
        "/admin/v1/users/",
    ] {
        assert!(
            matches!(
                clients.admin.client().call(Method::GET, bad, &[]).await,
                Err(DuoError::InvalidInput(_))
            ),
            "{bad}"
        );
    }
    assert!(emu.request_log().is_empty());
}
