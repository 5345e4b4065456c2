//! What the service does, as plain async functions over [`App`](crate::app::App): the HTTP
//! handlers and the admin commands only parse, call one of these, and map the result.

pub mod authenticators;
pub mod bypass_code;
pub mod hardware_tokens;
pub mod help_desk;
pub mod kiosk;
pub mod notice;
pub mod phones;
pub mod recovery_pin;
pub mod security_keys;
pub mod sending;
pub mod session;
pub mod unlock;
pub mod verify;
