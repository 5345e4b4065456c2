//! Service configuration: a TOML file, then `RECOVERY_*` environment variables on top
//! (`RECOVERY_DATABASE_URL`, `RECOVERY_THROTTLE__CONSECUTIVE_FAILURES`: `__` separates levels).

use std::{net::SocketAddr, path::Path};

use figment::{
    providers::{Env, Format, Serialized, Toml},
    Figment,
};
use recovery_api::Secret;
use serde::{Deserialize, Serialize};

use crate::{notify::NotifyConfig, slow_hash::HashCost, throttle::ThrottlePolicy};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where `serve` listens.
    pub listen: SocketAddr,
    /// `sqlite://path/to/file.db` or `postgres://user@host/db`.
    pub database_url: String,
    pub organisation: Organisation,
    pub throttle: ThrottlePolicy,
    pub session: SessionPolicy,
    pub bypass_code: BypassCodePolicy,
    pub kiosk: KioskPolicy,
    pub password_hash: HashCost,
    pub notify: NotifyConfig,
    /// Key for hashing session tokens and kiosk credentials (base64url, at least 32 bytes).
    /// When absent the service makes one and keeps it in the database.
    pub token_key: Option<Secret>,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy that sets it).
    pub trust_forwarded_for: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8750)),
            database_url: "sqlite://recovery-desk.db".to_owned(),
            organisation: Organisation::default(),
            throttle: ThrottlePolicy::default(),
            session: SessionPolicy::default(),
            bypass_code: BypassCodePolicy::default(),
            kiosk: KioskPolicy::default(),
            password_hash: HashCost::default(),
            notify: NotifyConfig::default(),
            token_key: None,
            trust_forwarded_for: false,
        }
    }
}

/// Who the person calls when self-service cannot help; shown in every notification.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Organisation {
    pub name: String,
    pub help_desk_phone: String,
    pub help_desk_url: String,
}

impl Default for Organisation {
    fn default() -> Self {
        Self {
            name: "Your organisation".to_owned(),
            help_desk_phone: "your help desk".to_owned(),
            help_desk_url: String::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionPolicy {
    /// How long a recovery session lasts after verification.
    pub ttl_seconds: u32,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self { ttl_seconds: 600 }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BypassCodePolicy {
    /// How long a bypass code stays valid.
    pub valid_seconds: u32,
}

impl Default for BypassCodePolicy {
    fn default() -> Self {
        Self { valid_seconds: 600 }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KioskPolicy {
    /// How long a kiosk enrollment token can be used.
    pub enrollment_valid_hours: u32,
}

impl Default for KioskPolicy {
    fn default() -> Self {
        Self {
            enrollment_valid_hours: 24,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("configuration is not valid: {0}")]
pub struct ConfigError(#[from] Box<figment::Error>);

impl Config {
    /// Defaults, then the file (when given), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.exists() {
                return Err(ConfigError(Box::new(figment::Error::from(format!(
                    "the file {} does not exist",
                    file.display()
                )))));
            }
            figment = figment.merge(Toml::file(file));
        }
        figment
            .merge(
                Env::prefixed("RECOVERY_")
                    // RECOVERY_CONFIG names the file; RECOVERY_TEST_* belong to the tests.
                    .filter(|key| {
                        let key = key.as_str().to_ascii_lowercase();
                        key != "config" && !key.starts_with("test_")
                    })
                    .split("__"),
            )
            .extract()
            .map_err(|e| ConfigError(Box::new(e)))
    }
}
