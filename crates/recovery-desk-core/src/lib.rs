//! The Recovery Desk desktop app without its window.
//!
//! Everything the app does lives here as plain Rust that tests call directly: [`journey`] is the
//! person's path from "I can't sign in" to a working second factor; [`help_desk`] is the help
//! desk's console (agent mode); [`service_client`] speaks the
//! service's API; [`config`] is the organisation's settings; [`embedded`] starts the demo
//! service in-process; [`kiosk_credential`] keeps a help-desk kiosk's credential in the OS
//! keyring. The Tauri crate (`src-tauri/`) only wires these to the window.
//!
//! Secrets (the password, PIN, passcode, session token) stay on this side: the web view gets
//! only what it must show, as the [`view`] types.

pub mod activation_qr;
pub mod config;
pub mod embedded;
pub mod error;
pub mod help_desk;
pub mod journey;
pub mod kiosk_credential;
pub mod security_key;
pub mod service_client;
pub mod view;

pub use error::{AppError, FlowError};
pub use help_desk::HelpDesk;
pub use journey::Journey;
