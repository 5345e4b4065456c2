//! The main window: ordinary on a person's own computer; at a kiosk fullscreen, undecorated,
//! always on top, impossible to close, with ephemeral storage. Either way it never navigates
//! away from the app's own pages.

use tauri::{AppHandle, Runtime, WebviewUrl, WebviewWindowBuilder, Window, WindowEvent};

pub const MAIN: &str = "main";

pub fn open_main<R: Runtime>(app: &AppHandle<R>, kiosk: bool) -> tauri::Result<()> {
    let mut builder = WebviewWindowBuilder::new(app, MAIN, WebviewUrl::App("index.html".into()))
        .title("Recovery Desk")
        .inner_size(960.0, 780.0)
        .min_inner_size(420.0, 560.0)
        .on_navigation(is_app_url);
    if kiosk {
        builder = builder
            .fullscreen(true)
            .decorations(false)
            .always_on_top(true)
            .resizable(false)
            .closable(false)
            .skip_taskbar(true)
            .incognito(!under_webdriver());
    }
    builder.build()?;
    Ok(())
}

/// WebKitGTK refuses automation in a private (incognito) web view, so under a WebDriver session
/// (tauri-driver sets this variable) the kiosk keeps its storage in the test's own folders,
/// where the end-to-end suite checks that nothing personal is left.
fn under_webdriver() -> bool {
    std::env::var("TAURI_WEBVIEW_AUTOMATION").as_deref() == Ok("true")
}

/// The app's own origin: `tauri://localhost` on Linux and macOS, `http://tauri.localhost` on
/// Windows.
fn is_app_url(url: &url::Url) -> bool {
    match url.scheme() {
        "tauri" => url.host_str() == Some("localhost"),
        "http" | "https" => url.host_str() == Some("tauri.localhost"),
        _ => false,
    }
}

/// A kiosk window cannot be closed by the person in front of it.
pub fn on_event<R: Runtime>(_window: &Window<R>, event: &WindowEvent, kiosk: bool) {
    if let WindowEvent::CloseRequested { api, .. } = event {
        if kiosk {
            api.prevent_close();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_app_origin_is_navigable() -> Result<(), url::ParseError> {
        assert!(is_app_url(&url::Url::parse(
            "tauri://localhost/index.html"
        )?));
        assert!(is_app_url(&url::Url::parse("http://tauri.localhost/")?));
        assert!(!is_app_url(&url::Url::parse("https://example.com/")?));
        assert!(!is_app_url(&url::Url::parse(
            "http://127.0.0.1:8750/v1/activations/x"
        )?));
        assert!(!is_app_url(&url::Url::parse("file:///etc/passwd")?));
        Ok(())
    }
}
