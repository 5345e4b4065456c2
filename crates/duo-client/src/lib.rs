//! A client for Duo's Admin API and Auth API, written from Duo's published signing rules
//! (`/work/shared/reference/duo-admin-api.md`), with their official test vectors as tests
//! (the vectors live once, in duo-emulator's `src/vectors.json`). Its own crate so that only
//! what talks to Duo links it: the recovery service's Duo provider, not the desktop app.
//! Tested against `duo-emulator` (`tests/client/`).
//!
//! - [`config`]: where Duo is and the two applications' keys.
//! - [`canonical`], [`signing`]: the canonical request and its HMAC (v2 and v5).
//! - [`transport`]: one signed exchange, the clock offset, paging; [`tuning`]: the timeout
//!   and Duo's 429 backoff; `envelope`: reading Duo's answers.
//! - [`admin`] (answers typed in [`objects`]), [`auth`]: the typed calls the Duo provider
//!   makes.
//! - [`error`]: [`DuoError`], whose texts never carry a key, a code or a link.

pub mod admin;
pub mod auth;
pub mod canonical;
pub mod config;
mod envelope;
pub mod error;
pub mod objects;
pub mod signing;
pub mod transport;
pub mod tuning;

use std::sync::{atomic::AtomicI64, Arc};

pub use admin::DuoAdmin;
pub use auth::{AuthStatus, DuoAuth, DuoUserRef};
pub use config::{DuoApplication, DuoConfig};
pub use error::{DuoConfigError, DuoError};
pub use objects::{
    DuoActivation, DuoPhone, DuoPhoneType, DuoPhoneUser, DuoPhoneWithUsers, DuoToken, DuoUser,
    DuoWebauthn,
};
pub use reqwest::Method;
pub use transport::DuoClient;
pub use tuning::{Backoff, Tuning};

/// The two Duo applications on one API host, over one HTTP client and one clock offset.
#[derive(Debug, Clone)]
pub struct DuoClients {
    pub admin: DuoAdmin,
    pub auth: DuoAuth,
}

impl DuoClients {
    /// Builds its own HTTP client (no redirects: Duo never redirects, and a redirect must not
    /// carry a signed request elsewhere).
    pub fn new(config: &DuoConfig) -> Result<Self, DuoConfigError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| DuoConfigError::Http(e.to_string()))?;
        Self::with_http(config, http, Tuning::from_config(config))
    }

    /// Shares the service's HTTP client; `tuning` sets the timeout and the 429 backoff
    /// (tests shrink it).
    pub fn with_http(
        config: &DuoConfig,
        http: reqwest::Client,
        tuning: Tuning,
    ) -> Result<Self, DuoConfigError> {
        config.validate_keys()?;
        let endpoint = config.endpoint()?;
        let clock_offset = Arc::new(AtomicI64::new(0));
        let client = |application: &DuoApplication| {
            DuoClient::new(
                http.clone(),
                endpoint.clone(),
                application,
                clock_offset.clone(),
                tuning,
            )
        };
        Ok(Self {
            admin: DuoAdmin::new(client(&config.admin)),
            auth: DuoAuth::new(client(&config.auth)),
        })
    }

    /// Measures the offset to Duo's clock; both applications date their requests with it.
    pub async fn sync_clock(&self) -> Result<i64, DuoError> {
        self.auth.client().sync_clock().await
    }
}

#[cfg(test)]
mod tests {
    use recovery_api::Secret;

    use super::*;

    fn config(base_url: Option<&str>) -> DuoConfig {
        DuoConfig {
            api_host: "api-xxxxxxxx.duosecurity.com".to_owned(),
            admin: DuoApplication {
                integration_key: "DIADMIN".to_owned(),
                secret_key: Secret::new("admin-skey-do-not-print"),
            },
            auth: DuoApplication {
                integration_key: "DIAUTH".to_owned(),
                secret_key: Secret::new("auth-skey-do-not-print"),
            },
            base_url: base_url.map(str::to_owned),
            timeout_seconds: 10,
            max_retry_wait_seconds: 32,
        }
    }

    #[test]
    fn plain_http_to_a_remote_host_is_refused_at_construction() {
        let refused = DuoClients::new(&config(Some("http://duo.example.org:8080")));
        assert!(matches!(refused, Err(DuoConfigError::InsecureBaseUrl)));
        assert!(DuoClients::new(&config(Some("http://127.0.0.1:8080"))).is_ok());
        assert!(DuoClients::new(&config(None)).is_ok());
    }

    #[test]
    fn missing_keys_are_named() {
        let mut missing = config(None);
        missing.auth.secret_key = Secret::new("");
        let error = DuoClients::new(&missing).unwrap_err();
        assert_eq!(error.to_string(), "duo.auth.secret_key is empty");
    }

    #[test]
    fn clients_never_print_a_secret_key() {
        let clients = DuoClients::new(&config(None)).unwrap();
        let printed = format!("{clients:?}");
        assert!(!printed.contains("do-not-print"), "{printed}");
        assert!(printed.contains("DIADMIN") && printed.contains("DIAUTH"));
    }
}
