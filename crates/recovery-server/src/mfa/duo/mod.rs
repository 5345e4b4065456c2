//! The Duo provider: the person's devices live in Duo, reached through the Admin API and the
//! Auth API. The service holds the Duo keys; the app never does.

/// The Duo client lives in its own crate (`crates/duo-client`) so that only the service links
/// it; re-exported here under the name the provider and the configuration use.
pub use duo_client as client;

mod provider;
mod self_service_codes;

pub use provider::DuoProvider;
