//! The IPC commands of docs/ipc.md through Tauri's real IPC path and ACL, on the mock runtime,
//! against the embedded demo service: what the web view gets back (values and `AppError`
//! objects), that it never gets a secret, that "Finish and clear" leaves nothing about the
//! person in Rust, and that JavaScript cannot reach the clipboard or the updater.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{app_error, sign_in_ada, start, ADA};
use recovery_desk_core::config::DeskConfig;
use serde_json::{json, Value};

fn personal_computer() -> common::RunningApp {
    start(DeskConfig::default(), false)
}

/// The keys of a JSON object, sorted.
fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

#[test]
fn app_info_says_demo_on_a_personal_computer() {
    let app = personal_computer();
    let info = app.invoke("app_info", json!({})).unwrap();
    assert_eq!(info["demo"], true);
    assert_eq!(info["kiosk"], false);
    assert_eq!(info["copyAllowed"], true);
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(info["organisation"]["name"], "Example Organisation (demo)");
    assert_eq!(
        info["kioskIdle"],
        json!({ "warnAfterSeconds": 60, "resetAfterSeconds": 30 })
    );
    assert!(info["locale"] == "en" || info["locale"] == "es", "{info}");
    // The demo's help desk, since none is configured.
    assert_eq!(info["helpDesk"]["email"], "helpdesk@example.org");
}

#[test]
fn ada_signs_in_and_the_web_view_gets_her_name_and_nothing_secret() {
    let app = personal_computer();
    let session = sign_in_ada(&app);
    assert_eq!(keys(&session), ["displayName", "expiresAt"]);
    assert_eq!(session["displayName"], "Ada Lovelace");
    let expires_at = time::OffsetDateTime::parse(
        session["expiresAt"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!(expires_at > time::OffsetDateTime::now_utc());

    let text = session.to_string();
    for secret in ["token", ADA.1, ADA.3] {
        assert!(!text.to_lowercase().contains(secret), "{secret} in {text}");
    }
    // Rust holds the session, the web view only its view of it.
    let held = tauri::async_runtime::block_on(app.desk().journey.session()).unwrap();
    assert_eq!(held.display_name, "Ada Lovelace");
    assert!(!tauri::async_runtime::block_on(
        app.desk().journey.is_idle()
    ));
}

#[test]
fn a_wrong_pin_is_a_plain_refusal_and_the_pin_alone_can_be_corrected() {
    let app = personal_computer();
    let (username, password, date_of_birth, pin) = ADA;
    app.invoke(
        "begin_sign_in",
        json!({ "username": username, "password": password }),
    )
    .unwrap();
    let refused = app.invoke(
        "verify_pin",
        json!({ "dateOfBirth": date_of_birth, "pin": "999999" }),
    );
    assert_eq!(refused, Err(app_error("verification_failed", None)));

    // The username and password were kept in Rust: only the PIN is sent again.
    let session = app
        .invoke(
            "verify_pin",
            json!({ "dateOfBirth": date_of_birth, "pin": pin }),
        )
        .unwrap();
    assert_eq!(session["displayName"], "Ada Lovelace");
}

#[test]
fn invalid_inputs_are_refused_with_the_field_at_fault() {
    let app = personal_computer();
    let (username, password, date_of_birth, _) = ADA;
    assert_eq!(
        app.invoke(
            "begin_sign_in",
            json!({ "username": "", "password": password })
        ),
        Err(app_error("invalid_input", Some("username")))
    );
    app.invoke(
        "begin_sign_in",
        json!({ "username": username, "password": password }),
    )
    .unwrap();
    assert_eq!(
        app.invoke(
            "verify_pin",
            json!({ "dateOfBirth": date_of_birth, "pin": "12ab" })
        ),
        Err(app_error("invalid_input", Some("pin")))
    );
    assert_eq!(
        app.invoke(
            "verify_pin",
            json!({ "dateOfBirth": "10/12/1985", "pin": "246810" })
        ),
        Err(app_error("invalid_input", Some("date_of_birth")))
    );
    assert_eq!(
        app.invoke("verify_passcode", json!({ "passcode": "12" })),
        Err(app_error("invalid_input", Some("passcode")))
    );
}

/// Arguments that do not deserialize never reach the command: Tauri rejects with a string
/// (not an `AppError`), naming the argument. The UI sends every argument, so this is a
/// programming error, not something a person can cause.
#[test]
fn a_missing_argument_is_refused_by_tauri_before_the_command() {
    let app = personal_computer();
    let refused = app.invoke("verify_pin", json!({ "dateOfBirth": "1985-12-10" }));
    let message = refused.unwrap_err();
    assert!(
        message.as_str().is_some_and(|m| m.contains("pin")),
        "{message}"
    );
}

#[test]
fn before_signing_in_nothing_about_anyone_is_answered() {
    let app = personal_computer();
    for cmd in ["list_devices", "issue_bypass_code", "copy_bypass_code"] {
        assert_eq!(
            app.invoke(cmd, json!({})),
            Err(app_error("not_signed_in", None)),
            "{cmd}"
        );
    }
    assert_eq!(
        app.invoke("verify_pin", json!({ "dateOfBirth": ADA.2, "pin": ADA.3 })),
        Err(app_error("not_signed_in", None))
    );
}

#[test]
fn signed_in_ada_sees_her_devices_a_bypass_code_and_the_demo_inbox() {
    let app = personal_computer();
    sign_in_ada(&app);

    let devices = app.invoke("list_devices", json!({})).unwrap();
    let devices = devices.as_array().unwrap();
    assert!(!devices.is_empty());
    for device in devices {
        assert_eq!(
            keys(device),
            ["createdAt", "id", "kind", "name", "phone", "status"]
        );
        assert!(
            ["phone", "security_key", "hardware_token"].contains(&device["kind"].as_str().unwrap()),
            "{device}"
        );
    }

    let code = app.invoke("issue_bypass_code", json!({})).unwrap();
    assert_eq!(keys(&code), ["code", "expiresAt"]);
    let digits = code["code"].as_str().unwrap();
    assert_eq!(digits.len(), 9, "{digits}");
    assert!(digits.chars().all(|c| c.is_ascii_digit()), "{digits}");

    let inbox = app.invoke("demo_inbox", json!({})).unwrap();
    for message in inbox.as_array().unwrap() {
        assert!(
            ["email", "sms", "voice"].contains(&message["channel"].as_str().unwrap()),
            "{message}"
        );
    }
}

#[test]
fn finish_and_clear_leaves_nothing_about_the_person_in_rust() {
    let app = personal_computer();
    sign_in_ada(&app);
    app.invoke("issue_bypass_code", json!({})).unwrap();

    assert_eq!(app.invoke("finish", json!({})), Ok(Value::Null));

    assert_eq!(
        app.invoke("list_devices", json!({})),
        Err(app_error("not_signed_in", None))
    );
    // The username and password are gone too: the PIN alone opens nothing.
    assert_eq!(
        app.invoke("verify_pin", json!({ "dateOfBirth": ADA.2, "pin": ADA.3 })),
        Err(app_error("not_signed_in", None))
    );
    let journey = &app.desk().journey;
    assert!(tauri::async_runtime::block_on(journey.is_idle()));
    assert_eq!(tauri::async_runtime::block_on(journey.session()), None);
    // A second "Finish and clear" (the idle reset after the button) is harmless.
    assert_eq!(app.invoke("finish", json!({})), Ok(Value::Null));
}

#[test]
fn ui_ready_answers_null() {
    let app = personal_computer();
    assert_eq!(app.invoke("ui_ready", json!({})), Ok(Value::Null));
}

/// The capability grants the app's own commands only: plugin commands, though the plugins are
/// loaded (Rust uses them), are refused by the ACL before they run.
#[test]
fn javascript_cannot_reach_the_clipboard_the_updater_or_the_window() {
    let app = personal_computer();
    for (cmd, args) in [
        ("plugin:clipboard-manager|read_text", json!({})),
        (
            "plugin:clipboard-manager|write_text",
            json!({ "text": "123456789" }),
        ),
        ("plugin:clipboard-manager|clear", json!({})),
        ("plugin:updater|check", json!({})),
        ("plugin:updater|download_and_install", json!({ "rid": 0 })),
        ("plugin:updater|install", json!({ "rid": 0 })),
        ("plugin:window|close", json!({})),
        ("plugin:webview|internal_toggle_devtools", json!({})),
        (
            "plugin:event|emit",
            json!({ "event": "x", "payload": null }),
        ),
    ] {
        let refused = app.invoke(cmd, args);
        let message = refused.expect_err(cmd);
        assert!(
            message.as_str().is_some_and(|m| m.contains("not allowed")),
            "{cmd}: {message}"
        );
    }
    // The same path lets the app's own commands through.
    assert!(app.invoke("app_info", json!({})).is_ok());
}

/// The capability is for the window labelled `main`: another window, even showing the app's
/// own pages, gets nothing.
#[test]
fn another_window_cannot_call_the_app() {
    let app = personal_computer();
    let other = tauri::WebviewWindowBuilder::new(
        &app.app,
        "other",
        tauri::WebviewUrl::App("index.html".into()),
    )
    .build()
    .unwrap();
    let refused = common::invoke_in(&other, common::APP_ORIGIN, "app_info", json!({}));
    let message = refused.unwrap_err();
    assert!(
        message.as_str().is_some_and(|m| m.contains("not allowed")),
        "{message}"
    );
}

/// A page from elsewhere (should the web view ever show one) cannot call the app's commands.
#[test]
fn a_page_from_another_origin_cannot_call_the_app() {
    let app = personal_computer();
    for origin in ["https://example.com/", "http://127.0.0.1:8750/"] {
        let refused = app.invoke_from(origin, "app_info", json!({}));
        let message = refused.expect_err(origin);
        assert!(
            message.as_str().is_some_and(|m| m.contains("not allowed")),
            "{origin}: {message}"
        );
    }
}

/// The recovery PIN's status says nothing of the PIN; a date-of-birth session may not set one,
/// and two different entries are refused in Rust with the field to correct.
#[test]
fn the_recovery_pin_commands_answer_no_secret() {
    let app = personal_computer();
    sign_in_ada(&app);
    let status = app.invoke("recovery_pin_status", json!({})).unwrap();
    assert_eq!(
        keys(&status),
        ["canSet", "maxDigits", "minDigits", "set", "setAt"]
    );
    assert_eq!(status["set"], true);
    assert_eq!(status["canSet"], false);
    assert!(!status.to_string().contains(ADA.3), "{status}");

    assert_eq!(
        app.invoke(
            "set_recovery_pin",
            json!({ "pin": "480162", "confirmation": "480163" })
        ),
        Err(app_error("recovery_pin_mismatch", Some("confirmation")))
    );
    assert_eq!(
        app.invoke(
            "set_recovery_pin",
            json!({ "pin": "480162", "confirmation": "480162" })
        ),
        Err(app_error("passcode_sign_in_required", None))
    );
}

fn help_desk_console() -> common::RunningApp {
    let mut config = DeskConfig::default();
    config.help_desk.enabled = true;
    start(config, false)
}

/// Agent mode: app_info says so; margaret signs in with her passcode and the web view gets her
/// view (no token); a look-up answers the record's view; an action before the caller is
/// verified is refused in Rust with the service's code. Outside agent mode the agent commands
/// answer `help_desk_only`.
#[test]
fn agent_commands_answer_views_and_never_the_token() {
    let app = personal_computer();
    assert_eq!(app.invoke("app_info", json!({})).unwrap()["mode"], "person");
    assert_eq!(
        app.invoke(
            "agent_begin_sign_in",
            json!({ "username": "margaret", "password": "apollo-guidance-1969" })
        ),
        Err(app_error("help_desk_only", None))
    );

    let app = help_desk_console();
    assert_eq!(
        app.invoke("app_info", json!({})).unwrap()["mode"],
        "help_desk"
    );
    assert_eq!(
        app.invoke(
            "agent_begin_sign_in",
            json!({ "username": "margaret", "password": "apollo-guidance-1969" })
        ),
        Ok(Value::Null)
    );
    let agent = app
        .invoke(
            "agent_sign_in_with_passcode",
            json!({ "passcode": "755224" }),
        )
        .unwrap();
    assert_eq!(
        keys(&agent),
        [
            "displayName",
            "expiresAt",
            "method",
            "permissions",
            "role",
            "securityKeys",
            "username"
        ]
    );
    assert_eq!(agent["role"], "admin");
    assert_eq!(agent["method"], "passcode");
    let text = agent.to_string();
    for secret in ["token", "apollo-guidance-1969", "755224"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }

    let record = app
        .invoke("agent_find_person", json!({ "username": "ada" }))
        .unwrap();
    assert_eq!(
        keys(&record),
        [
            "devices",
            "directoryPhones",
            "displayName",
            "isAgent",
            "lock",
            "notificationAddresses",
            "ownAccount",
            "recentEvents",
            "recoveryPinSet",
            "username"
        ]
    );
    assert_eq!(keys(&record["lock"]), ["failuresLastDay", "state", "until"]);
    assert_eq!(
        app.invoke(
            "agent_issue_bypass_code",
            json!({ "reason": "ticket 4711", "validMinutes": null })
        ),
        Err(app_error("caller_not_verified", None))
    );
    assert_eq!(
        app.invoke("agent_unlock", json!({ "reason": "" })),
        Err(app_error("invalid_input", Some("reason")))
    );
    assert_eq!(app.invoke("agent_end_call", json!({})), Ok(Value::Null));
    assert_eq!(
        app.invoke("agent_send_caller_code", json!({ "channel": "email" })),
        Err(app_error("no_person", None))
    );
    // "Finish and clear" (the kiosk's idle reset too) signs the agent out.
    assert_eq!(app.invoke("finish", json!({})), Ok(Value::Null));
    assert_eq!(
        app.invoke("agent_find_person", json!({ "username": "ada" })),
        Err(app_error("not_signed_in", None))
    );
    assert!(tauri::async_runtime::block_on(
        app.desk().help_desk.as_ref().unwrap().is_idle()
    ));
    assert_eq!(app.invoke("agent_sign_out", json!({})), Ok(Value::Null));
}
