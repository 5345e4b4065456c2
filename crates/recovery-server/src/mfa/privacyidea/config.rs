//! Where privacyIDEA is, which realm holds the people, and how the service signs in to it.
//! The admin password and the API key come from the config file or the environment and print
//! as `<redacted>`.

use std::{fmt, path::PathBuf};

use recovery_api::Secret;
use serde::{Deserialize, Serialize};
use url::{Host, Url};

/// The `[privacyidea]` section, with `provider = "privacyidea"`.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacyIdeaConfig {
    /// `https://mfa.example.org` (plain `http://` only to localhost or a loopback address).
    pub base_url: String,
    /// The privacyIDEA realm the people are in.
    pub realm: String,
    /// A local privacyIDEA admin (`pi-manage admin add`) limited by an admin policy.
    pub admin_user: String,
    pub admin_password: Option<Secret>,
    /// A privacyIDEA 3.14 API client key, sent as `X-API-Key` beside the admin's JWT: it names
    /// this service to privacyIDEA (audit, `last_used_at`); it does not replace the admin.
    #[serde(default)]
    pub api_key: Option<Secret>,
    /// A PEM file with the CA that signed privacyIDEA's TLS certificate, when it is private.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    #[serde(default = "default_timeout_seconds")]
    pub timeout_seconds: u64,
    /// The web origin written into a security key's `clientDataJSON` and sent as `Origin`:
    /// https, with a host at or under privacyIDEA's `webauthn_relying_party_id` policy.
    pub webauthn_origin: String,
}

fn default_timeout_seconds() -> u64 {
    10
}

impl fmt::Debug for PrivacyIdeaConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivacyIdeaConfig")
            .field("base_url", &self.base_url)
            .field("realm", &self.realm)
            .field("admin_user", &self.admin_user)
            .field("admin_password", &self.admin_password)
            .field("api_key", &self.api_key)
            .field("ca_file", &self.ca_file)
            .field("timeout_seconds", &self.timeout_seconds)
            .field("webauthn_origin", &self.webauthn_origin)
            .finish()
    }
}

/// A [`PrivacyIdeaConfig`] that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PrivacyIdeaConfigError {
    #[error("privacyidea.base_url is not a URL")]
    InvalidBaseUrl,
    /// Plain http would expose the admin's password and every code in answers.
    #[error("privacyidea.base_url may use http:// only for localhost or a loopback address")]
    InsecureBaseUrl,
    #[error("privacyidea.{0} is empty")]
    Missing(&'static str),
    #[error("privacyidea needs admin_user and admin_password (an api_key does not replace them)")]
    NoCredentials,
    #[error(
        "privacyidea.webauthn_origin must be an https origin such as https://recovery.example.org"
    )]
    InvalidOrigin,
    #[error("privacyidea.timeout_seconds must be at least 1")]
    ZeroTimeout,
    #[error("privacyidea.ca_file cannot be used: {0}")]
    CaFile(String),
    #[error("the HTTP client for privacyIDEA cannot be built: {0}")]
    Http(String),
}

impl PrivacyIdeaConfig {
    /// The base URL, checked: https, or http to this machine only.
    pub fn endpoint(&self) -> Result<Url, PrivacyIdeaConfigError> {
        let url = Url::parse(self.base_url.trim_end_matches('/'))
            .map_err(|_| PrivacyIdeaConfigError::InvalidBaseUrl)?;
        match url.scheme() {
            "https" => Ok(url),
            "http" if is_loopback(&url) => Ok(url),
            "http" => Err(PrivacyIdeaConfigError::InsecureBaseUrl),
            _ => Err(PrivacyIdeaConfigError::InvalidBaseUrl),
        }
    }

    pub fn validate(&self) -> Result<(), PrivacyIdeaConfigError> {
        self.endpoint()?;
        if self.realm.trim().is_empty() {
            return Err(PrivacyIdeaConfigError::Missing("realm"));
        }
        let has_password = !self.admin_user.is_empty()
            && self
                .admin_password
                .as_ref()
                .is_some_and(|p| !p.expose().is_empty());
        if !has_password {
            return Err(PrivacyIdeaConfigError::NoCredentials);
        }
        if self.timeout_seconds == 0 {
            return Err(PrivacyIdeaConfigError::ZeroTimeout);
        }
        let origin =
            Url::parse(&self.webauthn_origin).map_err(|_| PrivacyIdeaConfigError::InvalidOrigin)?;
        if origin.scheme() != "https"
            || origin.host().is_none()
            || origin.path() != "/"
            || origin.query().is_some()
        {
            return Err(PrivacyIdeaConfigError::InvalidOrigin);
        }
        Ok(())
    }

    /// `https://host[:port]`, exactly as a browser writes it into `clientDataJSON`.
    pub fn origin(&self) -> String {
        self.webauthn_origin.trim_end_matches('/').to_owned()
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(base_url: &str) -> PrivacyIdeaConfig {
        PrivacyIdeaConfig {
            base_url: base_url.to_owned(),
            realm: "staff".to_owned(),
            admin_user: "recoverydesk".to_owned(),
            admin_password: Some(Secret::new("do-not-print")),
            api_key: None,
            ca_file: None,
            timeout_seconds: 5,
            webauthn_origin: "https://recovery.example.org".to_owned(),
        }
    }

    #[test]
    fn plain_http_only_to_this_machine() {
        assert!(config("https://mfa.example.org").validate().is_ok());
        assert!(config("http://127.0.0.1:5000").validate().is_ok());
        assert!(matches!(
            config("http://mfa.example.org").validate(),
            Err(PrivacyIdeaConfigError::InsecureBaseUrl)
        ));
    }

    #[test]
    fn the_origin_must_be_https_and_bare() {
        let mut bad = config("https://mfa.example.org");
        bad.webauthn_origin = "http://recovery.example.org".to_owned();
        assert!(matches!(
            bad.validate(),
            Err(PrivacyIdeaConfigError::InvalidOrigin)
        ));
        bad.webauthn_origin = "https://recovery.example.org/app".to_owned();
        assert!(bad.validate().is_err());
    }

    #[test]
    fn debug_hides_the_password() {
        let printed = format!("{:?}", config("https://mfa.example.org"));
        assert!(!printed.contains("do-not-print"), "{printed}");
    }
}
