//! Kiosk mode through the IPC, on the mock runtime with the embedded demo service: the web view
//! is told it is a kiosk (idle reset, no copy), and copying a bypass code is refused in Rust,
//! before the clipboard is touched, whether kiosk mode comes from `--kiosk` or the config.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{app_error, sign_in_ada, start};
use recovery_desk_core::config::{DeskConfig, KioskSettings};
use serde_json::{json, Value};

fn configured_kiosk() -> DeskConfig {
    DeskConfig {
        kiosk: KioskSettings {
            enabled: true,
            idle_warning_seconds: 90,
            idle_reset_seconds: 20,
        },
        ..DeskConfig::default()
    }
}

#[test]
fn the_kiosk_flag_makes_a_kiosk_without_copy() {
    let app = start(DeskConfig::default(), true);
    let info = app.invoke("app_info", json!({})).unwrap();
    assert_eq!(info["kiosk"], true);
    assert_eq!(info["copyAllowed"], false);
    assert_eq!(info["demo"], true);
    assert_eq!(
        info["kioskIdle"],
        json!({ "warnAfterSeconds": 60, "resetAfterSeconds": 30 })
    );
}

#[test]
fn the_config_makes_a_kiosk_with_its_idle_times() {
    let app = start(configured_kiosk(), false);
    let info = app.invoke("app_info", json!({})).unwrap();
    assert_eq!(info["kiosk"], true);
    assert_eq!(info["copyAllowed"], false);
    assert_eq!(
        info["kioskIdle"],
        json!({ "warnAfterSeconds": 90, "resetAfterSeconds": 20 })
    );
}

#[test]
fn a_kiosk_shows_the_bypass_code_but_refuses_to_copy_it() {
    for (config, flag) in [(DeskConfig::default(), true), (configured_kiosk(), false)] {
        let app = start(config, flag);
        // Refused even before anyone signed in: the setting decides, not the state.
        assert_eq!(
            app.invoke("copy_bypass_code", json!({})),
            Err(app_error("copy_not_allowed", None))
        );
        sign_in_ada(&app);
        let code = app.invoke("issue_bypass_code", json!({})).unwrap();
        assert_eq!(code["code"].as_str().unwrap().len(), 9);
        assert_eq!(
            app.invoke("copy_bypass_code", json!({})),
            Err(app_error("copy_not_allowed", None))
        );
    }
}

#[test]
fn finish_at_a_kiosk_clears_the_person_for_the_next_one() {
    let app = start(DeskConfig::default(), true);
    sign_in_ada(&app);
    assert_eq!(app.invoke("finish", json!({})), Ok(Value::Null));
    assert_eq!(
        app.invoke("list_devices", json!({})),
        Err(app_error("not_signed_in", None))
    );
    assert!(tauri::async_runtime::block_on(app.desk().journey.is_idle()));
    assert_eq!(
        tauri::async_runtime::block_on(app.desk().journey.session()),
        None
    );
}
