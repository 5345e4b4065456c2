//! The Recovery Desk desktop app: the Tauri shell around `recovery-desk-core`.
//!
//! This crate only wires things to the window: [`cli`] reads the command line, [`desk`] starts
//! the journey on the configured (or embedded demo) service, [`window`] builds the main window
//! (locked down in kiosk mode), [`commands`] are the thin IPC commands (the help desk's in
//! `commands_help_desk`), [`clipboard`] copies a
//! bypass code and clears it, [`updates`] checks for signed updates between recoveries.

mod cli;
mod clipboard;
pub mod commands;
mod commands_help_desk;
pub mod desk;
mod kiosk_cli;
pub mod updates;
mod window;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

/// When the process started, for the start-up time the UI reports with `ui_ready`.
pub fn started_at() -> std::time::Instant {
    static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    *STARTED.get_or_init(std::time::Instant::now)
}

pub fn main() -> ExitCode {
    started_at();
    init_logging();
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Kiosk(command)) => kiosk_cli::run(cli.config.as_deref(), command),
        None => run_app(&cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("recovery-desk: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run_app(cli: &Cli) -> anyhow::Result<()> {
    let desk = tauri::async_runtime::block_on(desk::Desk::start(
        cli.config.as_deref(),
        cli.kiosk,
        cli.help_desk,
        cli.demo_data_dir.as_deref(),
    ))?;
    let context = tauri::generate_context!();
    build(tauri::Builder::default(), desk)
        .run(context)
        .map_err(anyhow::Error::from)
}

/// The app on any runtime: the real one, or Tauri's mock runtime in tests.
pub fn build<R: tauri::Runtime>(builder: tauri::Builder<R>, desk: desk::Desk) -> tauri::Builder<R> {
    let kiosk = desk.kiosk();
    builder
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(updates::plugin())
        .manage(desk)
        .invoke_handler(commands::handler())
        .setup(move |app| {
            window::open_main(app.handle(), kiosk)?;
            updates::spawn_checks(app.handle().clone());
            Ok(())
        })
        .on_window_event(move |window, event| window::on_event(window, event, kiosk))
}

fn init_logging() {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::{filter::filter_fn, layer::SubscriberExt, util::SubscriberInitExt};

    let filter = tracing_subscriber::EnvFilter::try_from_env("RECOVERY_DESK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // The CTAP crates trace PIN material (the decrypted pinUvAuthToken) at debug and trace
    // level: dropped whatever RECOVERY_DESK_LOG asks, for any of their modules.
    let no_pin_material = filter_fn(|meta| {
        let ctap = ["webauthn_authenticator_rs", "fido_hid_rs"]
            .iter()
            .any(|krate| meta.target().starts_with(krate));
        !(ctap && *meta.level() > tracing::Level::INFO)
    });
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_filter(filter)
                .with_filter(no_pin_material),
        )
        .try_init();
}
