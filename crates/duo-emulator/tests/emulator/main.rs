//! The emulator driven over HTTP, the way a Duo client would use it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

mod admin;
mod auth_api;
mod common;
mod faults;
mod routing;
mod signatures;
mod vectors;
