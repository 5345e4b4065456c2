//! The help desk's IPC commands (agent mode, docs/ipc.md "Agent mode"): each parses its
//! arguments, calls the console ([`recovery_desk_core::HelpDesk`]), and maps the error once into
//! `AppError`. Outside agent mode every one answers `help_desk_only`. The agent's token, the
//! person's username and the caller verification's id never come back.

use recovery_api::{
    authenticator::PhoneType,
    help_desk::{ActivationChannel, SentCodeChannel},
    phone::RemovalReason,
    Secret,
};
use recovery_desk_core::{
    journey::KeySource,
    security_key::KeyEvent,
    view::{
        AgentView, BypassCodeView, CallerCheckView, DeviceView, LandlineAdded, LinkSentView,
        PersonRecordView, RecoveryPinClearedView, UnlockedView,
    },
};
use tauri::{ipc::Channel, State};
use tokio::sync::mpsc;

use crate::{commands::Answer, desk::Desk};

#[tauri::command]
pub async fn agent_begin_sign_in(
    desk: State<'_, Desk>,
    username: String,
    password: String,
) -> Answer<()> {
    Ok(desk
        .help_desk()?
        .begin_sign_in(&username, Secret::new(password))
        .await?)
}

#[tauri::command]
pub async fn agent_sign_in_with_passcode(
    desk: State<'_, Desk>,
    passcode: String,
) -> Answer<AgentView> {
    Ok(desk
        .help_desk()?
        .sign_in_with_passcode(Secret::new(passcode))
        .await?)
}

/// Signs the agent in with their security key; what to show meanwhile (PIN, touch…) arrives
/// on `events`, in order, before the answer.
#[tauri::command]
pub async fn agent_sign_in_with_key(
    desk: State<'_, Desk>,
    source: KeySource,
    events: Channel<KeyEvent>,
) -> Answer<AgentView> {
    let help_desk = desk.help_desk()?;
    let (sender, forward) = forward_events(events);
    let result = help_desk.sign_in_with_key(source, sender).await;
    let _ = forward.await;
    Ok(result?)
}

#[tauri::command]
pub async fn agent_sign_out(desk: State<'_, Desk>) -> Answer<()> {
    desk.help_desk()?.sign_out().await;
    Ok(())
}

#[tauri::command]
pub async fn agent_find_person(
    desk: State<'_, Desk>,
    username: String,
) -> Answer<PersonRecordView> {
    Ok(desk.help_desk()?.find_person(&username).await?)
}

#[tauri::command]
pub async fn agent_send_caller_code(
    desk: State<'_, Desk>,
    channel: SentCodeChannel,
) -> Answer<CallerCheckView> {
    Ok(desk.help_desk()?.send_caller_code(channel).await?)
}

#[tauri::command]
pub async fn agent_check_caller_code(
    desk: State<'_, Desk>,
    code: String,
) -> Answer<CallerCheckView> {
    Ok(desk
        .help_desk()?
        .check_caller_code(Secret::new(code))
        .await?)
}

#[tauri::command]
pub async fn agent_verify_caller_pin(
    desk: State<'_, Desk>,
    date_of_birth: String,
    pin: String,
) -> Answer<CallerCheckView> {
    Ok(desk
        .help_desk()?
        .verify_caller_pin(&date_of_birth, Secret::new(pin))
        .await?)
}

#[tauri::command]
pub async fn agent_verify_caller_in_person(
    desk: State<'_, Desk>,
    id_document: String,
) -> Answer<CallerCheckView> {
    Ok(desk
        .help_desk()?
        .verify_caller_in_person(&id_document)
        .await?)
}

#[tauri::command]
pub async fn agent_issue_bypass_code(
    desk: State<'_, Desk>,
    reason: String,
    valid_minutes: Option<u32>,
) -> Answer<BypassCodeView> {
    Ok(desk
        .help_desk()?
        .issue_bypass_code(&reason, valid_minutes)
        .await?)
}

#[tauri::command]
pub async fn agent_send_activation(
    desk: State<'_, Desk>,
    phone_id: String,
    channel: ActivationChannel,
    reason: String,
) -> Answer<LinkSentView> {
    Ok(desk
        .help_desk()?
        .send_activation(&phone_id, channel, &reason)
        .await?)
}

#[tauri::command]
pub async fn agent_add_phone(
    desk: State<'_, Desk>,
    number: String,
    extension: Option<String>,
    phone_type: PhoneType,
    reason: String,
) -> Answer<LandlineAdded> {
    Ok(desk
        .help_desk()?
        .add_phone(&number, extension.as_deref(), phone_type, &reason)
        .await?)
}

#[tauri::command]
pub async fn agent_verify_phone(
    desk: State<'_, Desk>,
    phone_id: String,
    code: Option<String>,
) -> Answer<()> {
    Ok(desk
        .help_desk()?
        .verify_phone(&phone_id, code.map(Secret::new))
        .await?)
}

#[tauri::command]
pub async fn agent_send_key_link(
    desk: State<'_, Desk>,
    reason: String,
    valid_hours: Option<u32>,
) -> Answer<LinkSentView> {
    Ok(desk
        .help_desk()?
        .send_key_link(&reason, valid_hours)
        .await?)
}

/// Registers a key for the person at this PC; events as for `agent_sign_in_with_key`.
#[tauri::command]
pub async fn agent_register_key_here(
    desk: State<'_, Desk>,
    source: KeySource,
    reason: String,
    events: Channel<KeyEvent>,
) -> Answer<DeviceView> {
    let help_desk = desk.help_desk()?;
    let (sender, forward) = forward_events(events);
    let result = help_desk.register_key_here(source, &reason, sender).await;
    let _ = forward.await;
    Ok(result?)
}

#[tauri::command]
pub async fn agent_unlock(desk: State<'_, Desk>, reason: String) -> Answer<UnlockedView> {
    Ok(desk.help_desk()?.unlock(&reason).await?)
}

#[tauri::command]
pub async fn agent_clear_recovery_pin(
    desk: State<'_, Desk>,
    reason: String,
) -> Answer<RecoveryPinClearedView> {
    Ok(desk.help_desk()?.clear_recovery_pin(&reason).await?)
}

#[tauri::command]
pub async fn agent_remove_device(
    desk: State<'_, Desk>,
    device_id: String,
    removal_reason: RemovalReason,
    reason: String,
) -> Answer<()> {
    Ok(desk
        .help_desk()?
        .remove_device(&device_id, removal_reason, &reason)
        .await?)
}

/// Forgets the person and the caller verification; the agent stays signed in.
#[tauri::command]
pub async fn agent_end_call(desk: State<'_, Desk>) -> Answer<()> {
    desk.help_desk()?.end_call().await;
    Ok(())
}

/// A sender for the console's key events, and the task passing them to the web view (awaited
/// before the answer, so every event arrives first).
fn forward_events(
    channel: Channel<KeyEvent>,
) -> (
    mpsc::UnboundedSender<KeyEvent>,
    tauri::async_runtime::JoinHandle<()>,
) {
    let (sender, mut received) = mpsc::unbounded_channel();
    let forward = tauri::async_runtime::spawn(async move {
        while let Some(event) = received.recv().await {
            if channel.send(event).is_err() {
                break;
            }
        }
    });
    (sender, forward)
}
