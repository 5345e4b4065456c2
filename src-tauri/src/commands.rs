//! The IPC commands of docs/ipc.md: each parses its arguments, calls the journey, and maps the
//! error once into [`AppError`]. Passwords, PINs and codes arrive here and go straight into
//! zeroizing [`Secret`]s.

use recovery_api::{phone::RemovalReason, Secret};
use recovery_desk_core::{
    journey::KeySource,
    security_key::{KeyEvent, PinReply},
    view::{
        ActivationQr, ActivationSent, AppInfo, BypassCodeView, DeviceView, LandlineAdded,
        OutboxMessageView, RecoveryPinSetView, RecoveryPinStatusView, SessionView,
    },
    AppError,
};
use tauri::{ipc::Channel, AppHandle, Manager, Runtime, State, WebviewWindow};
use tokio::sync::mpsc;
use zeroize::Zeroizing;

use crate::{clipboard, commands_help_desk as help_desk, desk::Desk};

pub(crate) type Answer<T> = Result<T, AppError>;

pub fn handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        app_info,
        begin_sign_in,
        verify_pin,
        verify_passcode,
        list_devices,
        issue_bypass_code,
        copy_bypass_code,
        add_landline,
        verify_landline,
        show_activation_qr,
        text_activation_link,
        remove_device,
        resync_token,
        finish,
        demo_inbox,
        ui_ready,
        start_security_key,
        answer_key_pin,
        cancel_security_key,
        touch_demo_key,
        rename_device,
        recovery_pin_status,
        set_recovery_pin,
        help_desk::agent_begin_sign_in,
        help_desk::agent_sign_in_with_passcode,
        help_desk::agent_sign_in_with_key,
        help_desk::agent_sign_out,
        help_desk::agent_find_person,
        help_desk::agent_send_caller_code,
        help_desk::agent_check_caller_code,
        help_desk::agent_verify_caller_pin,
        help_desk::agent_verify_caller_in_person,
        help_desk::agent_issue_bypass_code,
        help_desk::agent_send_activation,
        help_desk::agent_add_phone,
        help_desk::agent_verify_phone,
        help_desk::agent_send_key_link,
        help_desk::agent_register_key_here,
        help_desk::agent_unlock,
        help_desk::agent_clear_recovery_pin,
        help_desk::agent_remove_device,
        help_desk::agent_end_call,
    ]
}

#[tauri::command]
fn app_info(desk: State<'_, Desk>) -> AppInfo {
    desk.info.clone()
}

#[tauri::command]
async fn begin_sign_in(desk: State<'_, Desk>, username: String, password: String) -> Answer<()> {
    Ok(desk
        .journey
        .begin_sign_in(&username, Secret::new(password))
        .await?)
}

#[tauri::command]
async fn verify_pin(
    desk: State<'_, Desk>,
    date_of_birth: String,
    pin: String,
) -> Answer<SessionView> {
    Ok(desk
        .journey
        .verify_pin(&date_of_birth, Secret::new(pin))
        .await?)
}

#[tauri::command]
async fn verify_passcode(desk: State<'_, Desk>, passcode: String) -> Answer<SessionView> {
    Ok(desk.journey.verify_passcode(Secret::new(passcode)).await?)
}

#[tauri::command]
async fn list_devices(desk: State<'_, Desk>) -> Answer<Vec<DeviceView>> {
    Ok(desk.journey.devices().await?)
}

#[tauri::command]
async fn issue_bypass_code(desk: State<'_, Desk>) -> Answer<BypassCodeView> {
    Ok(desk.journey.issue_bypass_code().await?)
}

#[tauri::command]
async fn copy_bypass_code<R: Runtime>(app: AppHandle<R>, desk: State<'_, Desk>) -> Answer<()> {
    let code = desk.journey.bypass_code_for_copy().await?;
    clipboard::copy_then_clear(&app, code)
}

#[tauri::command]
async fn add_landline(
    desk: State<'_, Desk>,
    number: String,
    extension: Option<String>,
) -> Answer<LandlineAdded> {
    Ok(desk
        .journey
        .add_landline(&number, extension.as_deref())
        .await?)
}

#[tauri::command]
async fn verify_landline(
    desk: State<'_, Desk>,
    phone_id: String,
    code: Option<String>,
) -> Answer<()> {
    Ok(desk
        .journey
        .verify_landline(&phone_id, code.map(Secret::new))
        .await?)
}

#[tauri::command]
async fn show_activation_qr(desk: State<'_, Desk>, phone_id: String) -> Answer<ActivationQr> {
    Ok(desk.journey.activation_qr(&phone_id).await?)
}

#[tauri::command]
async fn text_activation_link(desk: State<'_, Desk>, phone_id: String) -> Answer<ActivationSent> {
    Ok(desk.journey.text_activation(&phone_id).await?)
}

#[tauri::command]
async fn remove_device(
    desk: State<'_, Desk>,
    device_id: String,
    reason: RemovalReason,
) -> Answer<()> {
    Ok(desk.journey.remove_device(&device_id, reason).await?)
}

#[tauri::command]
async fn resync_token(desk: State<'_, Desk>, device_id: String, codes: Vec<String>) -> Answer<()> {
    let codes = codes.into_iter().map(Secret::new).collect();
    Ok(desk.journey.resync_token(&device_id, codes).await?)
}

/// Registers a security key; resolves with the new device when done. What to show meanwhile
/// (insert, PIN, touch…) arrives on `on_event`, in order.
#[tauri::command]
async fn start_security_key(
    desk: State<'_, Desk>,
    source: KeySource,
    on_event: Channel<KeyEvent>,
) -> Answer<DeviceView> {
    let (events, mut received) = mpsc::unbounded_channel();
    let forward = tauri::async_runtime::spawn(async move {
        while let Some(event) = received.recv().await {
            if on_event.send(event).is_err() {
                break;
            }
        }
    });
    let result = desk.journey.start_security_key(source, events).await;
    // Every event reaches the web view before the answer does.
    let _ = forward.await;
    Ok(result?)
}

/// The PIN the person typed at the key's prompt; `new_pin` when it sets the key's first PIN
/// (typed twice and compared by the screen).
#[tauri::command]
fn answer_key_pin(desk: State<'_, Desk>, pin: String, new_pin: bool) -> Answer<()> {
    let pin = Zeroizing::new(pin);
    let reply = if new_pin {
        PinReply::NewPin(pin)
    } else {
        PinReply::Pin(pin)
    };
    Ok(desk.answer_key_pin(reply)?)
}

#[tauri::command]
fn cancel_security_key(desk: State<'_, Desk>) {
    desk.cancel_security_key();
}

/// Demo mode: the person (or, in agent mode, the agent) "touches" the demo key.
#[tauri::command]
fn touch_demo_key(desk: State<'_, Desk>) -> Answer<bool> {
    Ok(desk.touch_demo_key()?)
}

#[tauri::command]
async fn rename_device(
    desk: State<'_, Desk>,
    device_id: String,
    name: String,
) -> Answer<DeviceView> {
    Ok(desk.journey.rename_device(&device_id, &name).await?)
}

#[tauri::command]
async fn recovery_pin_status(desk: State<'_, Desk>) -> Answer<RecoveryPinStatusView> {
    Ok(desk.journey.recovery_pin_status().await?)
}

/// The new recovery PIN typed twice; Rust compares the two, and neither comes back.
#[tauri::command]
async fn set_recovery_pin(
    desk: State<'_, Desk>,
    pin: String,
    confirmation: String,
) -> Answer<RecoveryPinSetView> {
    Ok(desk
        .journey
        .set_recovery_pin(Secret::new(pin), Secret::new(confirmation))
        .await?)
}

/// "Finish and clear": the session ends, Rust forgets the person, and the web view's storage
/// is wiped (the UI resets its own state).
#[tauri::command]
async fn finish<R: Runtime>(window: WebviewWindow<R>, desk: State<'_, Desk>) -> Answer<()> {
    desk.finish().await;
    if let Err(error) = window.clear_all_browsing_data() {
        tracing::warn!(%error, "the web view's data could not be cleared");
    }
    crate::updates::on_idle(window.app_handle());
    Ok(())
}

#[tauri::command]
async fn demo_inbox(desk: State<'_, Desk>) -> Answer<Vec<OutboxMessageView>> {
    Ok(desk.journey.demo_inbox().await?)
}

/// The web view rendered its first screen: logged with the time since the process started,
/// which `cargo xtask bench app` reads.
#[tauri::command]
fn ui_ready() {
    let elapsed = crate::started_at().elapsed();
    tracing::info!(
        elapsed_ms = elapsed.as_millis() as u64,
        "first screen ready"
    );
}
