//! duo-client against duo-emulator: every call signed, sent and answered over real HTTP by
//! an emulator that checks signatures, dates and permissions as Duo does.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod admin;
mod auth;
mod support;
mod transport;
