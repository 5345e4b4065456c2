//! The real app (`recovery_desk::build`) on Tauri's mock runtime, with the real context:
//! `tauri.conf.json`, the capability in `capabilities/main.json` and the app's command manifest
//! from the build script, so every call goes through Tauri's IPC path and its ACL exactly as a
//! call from the web view does.

use recovery_desk::desk::Desk;
use recovery_desk_core::config::DeskConfig;
use serde_json::Value;
use tauri::{
    ipc::{CallbackFn, InvokeBody},
    test::{MockRuntime, INVOKE_KEY},
    webview::InvokeRequest,
    App, Manager, WebviewWindow,
};

/// The page the app's own web view runs (`tauri://localhost` on Linux and macOS).
pub const APP_ORIGIN: &str = if cfg!(windows) {
    "http://tauri.localhost/"
} else {
    "tauri://localhost/"
};

pub struct RunningApp {
    pub app: App<MockRuntime>,
    pub window: WebviewWindow<MockRuntime>,
}

/// Starts the app as `main` does: the desk first (here the embedded demo service, started on
/// Tauri's async runtime like in `run_app`), then `build`, then its `setup`, which opens the
/// main window and (with no update endpoints configured) checks for no updates.
pub fn start(config: DeskConfig, kiosk_flag: bool) -> RunningApp {
    let desk = tauri::async_runtime::block_on(Desk::with_config(config, kiosk_flag, None))
        .expect("the desk starts on the embedded demo service");
    let mut app = recovery_desk::build(tauri::test::mock_builder(), desk)
        .build(tauri::generate_context!())
        .expect("the app builds on the mock runtime");
    // `setup` runs when the event loop starts. The mock runtime's `run` loops (a second per
    // turn) until every window is closed; one iteration runs `setup` and returns, which is all
    // these tests need (`run_iteration` is deprecated only for busy-looping real apps).
    #[allow(deprecated)]
    app.run_iteration(|_, _| {});
    let window = app
        .get_webview_window("main")
        .expect("setup opened the main window");
    RunningApp { app, window }
}

impl RunningApp {
    /// `invoke(cmd, args)` from the app's own page.
    pub fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        self.invoke_from(APP_ORIGIN, cmd, args)
    }

    /// `invoke(cmd, args)` from a page at `origin`: the value, or what the promise rejects with.
    pub fn invoke_from(&self, origin: &str, cmd: &str, args: Value) -> Result<Value, Value> {
        invoke_in(&self.window, origin, cmd, args)
    }

    pub fn desk(&self) -> tauri::State<'_, Desk> {
        self.app.state::<Desk>()
    }
}

/// `invoke(cmd, args)` in `window`'s web view, from a page at `origin`.
pub fn invoke_in(
    window: &WebviewWindow<MockRuntime>,
    origin: &str,
    cmd: &str,
    args: Value,
) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: cmd.to_owned(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: origin.parse().expect("an origin URL"),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_owned(),
    };
    tauri::test::get_ipc_response(window, request)
        .map(|body| body.deserialize::<Value>().expect("a JSON answer"))
}

/// Ada from the demo directory: username, password, date of birth, recovery PIN.
pub const ADA: (&str, &str, &str, &str) = ("ada", "correct-horse-battery", "1985-12-10", "246810");

/// Signs Ada in through the IPC and returns the `SessionView` JSON.
pub fn sign_in_ada(app: &RunningApp) -> Value {
    let (username, password, date_of_birth, pin) = ADA;
    let begun = app.invoke(
        "begin_sign_in",
        serde_json::json!({ "username": username, "password": password }),
    );
    assert_eq!(begun, Ok(Value::Null));
    app.invoke(
        "verify_pin",
        serde_json::json!({ "dateOfBirth": date_of_birth, "pin": pin }),
    )
    .expect("Ada signs in")
}

/// The `AppError` object a rejected command gives, with only the code and field set.
pub fn app_error(code: &str, field: Option<&str>) -> Value {
    serde_json::json!({ "code": code, "field": field, "retryAt": null, "attemptsLeft": null })
}
