//! The Duo provider: the person's devices live in Duo, reached through the Admin API and the
//! Auth API. The service holds the Duo keys; the app never does.

pub mod client;
mod provider;
mod self_service_codes;

pub use provider::DuoProvider;
