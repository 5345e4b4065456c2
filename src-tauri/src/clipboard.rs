//! Copying a bypass code, and taking it off the clipboard again after 60 seconds (unless the
//! person copied something else meanwhile).

use std::time::Duration;

use recovery_api::Secret;
use recovery_desk_core::AppError;
use tauri::{AppHandle, Runtime};
use tauri_plugin_clipboard_manager::ClipboardExt;

/// How long a copied code stays on the clipboard.
pub const CLEAR_AFTER: Duration = Duration::from_secs(60);

pub fn copy_then_clear<R: Runtime>(app: &AppHandle<R>, code: Secret) -> Result<(), AppError> {
    app.clipboard().write_text(code.expose()).map_err(|error| {
        tracing::warn!(%error, "the clipboard refused the code");
        AppError::from(recovery_desk_core::FlowError::Internal(
            "clipboard".to_owned(),
        ))
    })?;
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(CLEAR_AFTER).await;
        let still_ours = app
            .clipboard()
            .read_text()
            .map(|text| zeroize::Zeroizing::new(text).as_str() == code.expose())
            .unwrap_or(false);
        if still_ours {
            let _ = app.clipboard().clear();
        }
    });
    Ok(())
}
