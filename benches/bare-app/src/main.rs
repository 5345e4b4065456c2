//! The baseline of `cargo xtask bench app`: a bare Tauri 2 app, one window showing
//! `dist/index.html`, whose script calls `ui_ready` once the page has loaded. The command logs
//! `first screen ready elapsed_ms=…` to stderr, the line Recovery Desk logs when its first
//! screen is on show, so that the benchmark times both apps the same way.

// No console window on Windows release builds, as in the app.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::process::ExitCode;
use std::sync::OnceLock;
use std::time::Instant;

fn started_at() -> Instant {
    static STARTED: OnceLock<Instant> = OnceLock::new();
    *STARTED.get_or_init(Instant::now)
}

#[tauri::command]
fn ui_ready() {
    eprintln!(
        " INFO bare_tauri_app: first screen ready elapsed_ms={}",
        started_at().elapsed().as_millis()
    );
}

fn main() -> ExitCode {
    started_at();
    let result = tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![ui_ready])
        .run(tauri::generate_context!());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bare-tauri-app: {error}");
            ExitCode::FAILURE
        }
    }
}
