//! Wire types of the Recovery Desk API (`/v1`), shared by the desktop app, the recovery service
//! and the tests, so that all three speak exactly one contract.
//!
//! Secrets on the wire (passwords, PINs, passcodes, tokens) are [`Secret`]s: zeroized on drop and
//! never printed by `Debug`. Field rules that both sides check live in [`fields`].

pub mod authenticator;
pub mod bypass_code;
pub mod demo;
pub mod fields;
pub mod hardware_token;
pub mod health;
pub mod help_desk;
pub mod kiosk;
pub mod phone;
pub mod problem;
pub mod recovery_pin;
mod secret;
pub mod security_key;
pub mod session;

pub use problem::{ErrorCode, Problem};
pub use secret::Secret;
