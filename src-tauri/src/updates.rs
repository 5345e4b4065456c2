//! Signed updates (tauri-plugin-updater, minisign) from the organisation's endpoint.
//!
//! Checked at start, and at a kiosk every few hours. A found update is downloaded and its
//! signature verified at once, but installed only when nobody is in the middle of a recovery:
//! right away if the app is idle, otherwise after "Finish and clear".

use std::{sync::Mutex, time::Duration};

use recovery_desk_core::config::UpdaterSettings;
use tauri::{plugin::TauriPlugin, AppHandle, Manager, Runtime};
use tauri_plugin_updater::{Update, UpdaterExt};

use crate::desk::Desk;

/// How often a kiosk (which may run for weeks) looks again.
const KIOSK_RECHECK: Duration = Duration::from_secs(6 * 60 * 60);

pub fn plugin<R: Runtime>() -> TauriPlugin<R, tauri_plugin_updater::Config> {
    tauri_plugin_updater::Builder::new().build()
}

/// A downloaded, signature-checked update waiting for an idle moment.
#[derive(Default)]
struct Pending(Mutex<Option<(Update, Vec<u8>)>>);

/// Asks the organisation's endpoints whether a newer, signed release exists. Without a public
/// key or without endpoints there is nothing to check: `None`, and nothing is asked.
pub async fn find_update<R: Runtime>(
    app: &AppHandle<R>,
    settings: &UpdaterSettings,
) -> Result<Option<Update>, tauri_plugin_updater::Error> {
    let Some(pubkey) = &settings.pubkey else {
        return Ok(None);
    };
    if settings.endpoints.is_empty() {
        return Ok(None);
    }
    app.updater_builder()
        .pubkey(pubkey.clone())
        .endpoints(settings.endpoints.clone())?
        .timeout(Duration::from_secs(60))
        .build()?
        .check()
        .await
}

/// Downloads the update; the signature is verified before the bytes are returned, so a
/// tampered package never reaches `install`.
pub async fn download_verified(update: &Update) -> Result<Vec<u8>, tauri_plugin_updater::Error> {
    update.download(|_, _| {}, || {}).await
}

pub fn spawn_checks<R: Runtime>(app: AppHandle<R>) {
    app.manage(Pending::default());
    let desk = app.state::<Desk>();
    let settings = desk.updater.clone();
    let kiosk = desk.kiosk();
    if settings.endpoints.is_empty() {
        return;
    }
    tauri::async_runtime::spawn(async move {
        loop {
            match find_update(&app, &settings).await {
                Ok(Some(update)) => match download_verified(&update).await {
                    Ok(bytes) => {
                        tracing::info!(version = %update.version, "a signed update is ready");
                        if let Ok(mut pending) = app.state::<Pending>().0.lock() {
                            *pending = Some((update, bytes));
                        }
                        on_idle(&app);
                    }
                    Err(error) => tracing::warn!(%error, "an update was refused"),
                },
                Ok(None) => tracing::debug!("no update"),
                Err(error) => tracing::warn!(%error, "the update check failed"),
            }
            if !kiosk {
                break;
            }
            tokio::time::sleep(KIOSK_RECHECK).await;
        }
    });
}

/// Installs a waiting update if nobody is in the middle of a recovery, then restarts.
pub fn on_idle<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let Some(pending) = app.try_state::<Pending>() else {
            return;
        };
        let desk = app.state::<Desk>();
        // Never under a signed-in agent (agent mode): the restart would end their session.
        if let Some(help_desk) = &desk.help_desk {
            if !help_desk.is_idle().await {
                return;
            }
        }
        // Installing and restarting happen while no recovery can start.
        desk.journey
            .run_if_idle(|| {
                let waiting = pending.0.lock().ok().and_then(|mut p| p.take());
                if let Some((update, bytes)) = waiting {
                    match update.install(bytes) {
                        Ok(()) => app.restart(),
                        Err(error) => tracing::warn!(%error, "the update could not be installed"),
                    }
                }
            })
            .await;
    });
}
