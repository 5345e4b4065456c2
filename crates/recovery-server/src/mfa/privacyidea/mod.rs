//! The privacyIDEA provider: the person's tokens live in privacyIDEA 3.x, reached through its
//! REST API as a local admin limited by an admin policy (or a 3.14 API client key). The
//! service holds those credentials; the app never does.
//!
//! - [`config`]: the `[privacyidea]` section.
//! - [`client`], [`envelope`], [`error`]: the admin's REST calls, privacyIDEA's answer
//!   envelope, and its numeric error codes as [`PiError`].
//! - `tokens`, `bypass_codes`, `webauthn`, `security_keys`, `provider`: the flows.

pub mod client;
pub mod config;
pub mod envelope;
pub mod error;

mod bypass_codes;
mod provider;
mod security_keys;
mod tokens;
mod webauthn;

pub use config::{PrivacyIdeaConfig, PrivacyIdeaConfigError};
pub use error::PiError;
pub use provider::PrivacyIdeaProvider;
