//! The app's flows, called as the Tauri commands call them, against the real embedded demo
//! service over HTTP (a fresh service and database per test).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

mod bypass_code;
mod demo_agent_key;
mod demo_key;
mod devices;
mod help_desk;
mod key_sign_in;
mod kiosk_credential;
mod recovery_pin;
mod security_keys;
mod sign_in;
