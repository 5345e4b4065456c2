//! Where Duo is and which keys sign for it. The Admin API and the Auth API are separate Duo
//! "applications", each with its own integration key and secret key, on one API host.
//! Secret keys come from the config file or the environment and print as `<redacted>`.

use std::fmt;

use recovery_api::Secret;
use serde::{Deserialize, Serialize};
use url::{Host, Url};

use crate::DuoConfigError;

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DuoConfig {
    /// `api-xxxxxxxx.duosecurity.com`, from the Duo Admin Panel.
    pub api_host: String,
    /// The Admin API application (users, phones, tokens, bypass codes).
    pub admin: DuoApplication,
    /// The Auth API application (ping, auth, auth_status).
    pub auth: DuoApplication,
    /// Tests only: replaces `https://{api_host}`. Plain `http://` is refused unless the host
    /// is localhost or a loopback address.
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default = "default_timeout_seconds")]
    pub timeout_seconds: u64,
    /// The longest single wait of the 429 backoff (1, 2, 4 … seconds); Duo's clients use 32.
    #[serde(default = "default_max_retry_wait_seconds")]
    pub max_retry_wait_seconds: u64,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DuoApplication {
    pub integration_key: String,
    pub secret_key: Secret,
}

fn default_timeout_seconds() -> u64 {
    10
}

fn default_max_retry_wait_seconds() -> u64 {
    32
}

impl fmt::Debug for DuoConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DuoConfig")
            .field("api_host", &self.api_host)
            .field("admin", &self.admin)
            .field("auth", &self.auth)
            .field("base_url", &self.base_url)
            .field("timeout_seconds", &self.timeout_seconds)
            .field("max_retry_wait_seconds", &self.max_retry_wait_seconds)
            .finish()
    }
}

impl fmt::Debug for DuoApplication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The integration key identifies the application; only the secret key signs.
        f.debug_struct("DuoApplication")
            .field("integration_key", &self.integration_key)
            .field("secret_key", &"<redacted>")
            .finish()
    }
}

/// Where requests go and which host they sign: the two must agree, since Duo checks the
/// signed host against the `Host` it received.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub(crate) base: Url,
    /// Lowercased host, with the port when it is not the scheme's default.
    pub(crate) signed_host: String,
}

impl DuoConfig {
    pub(crate) fn endpoint(&self) -> Result<Endpoint, DuoConfigError> {
        let host = self.api_host.trim();
        if host.is_empty()
            || host
                .chars()
                .any(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':')))
        {
            return Err(DuoConfigError::InvalidApiHost);
        }
        let base = match &self.base_url {
            None => Url::parse(&format!("https://{host}/"))
                .map_err(|_| DuoConfigError::InvalidApiHost)?,
            Some(base_url) => {
                let base = Url::parse(base_url)
                    .map_err(|_| DuoConfigError::InvalidBaseUrl("not a URL"))?;
                match base.scheme() {
                    "https" => {}
                    "http" if is_loopback(&base) => {}
                    "http" => return Err(DuoConfigError::InsecureBaseUrl),
                    _ => return Err(DuoConfigError::InvalidBaseUrl("use https://")),
                }
                if !base.username().is_empty() || base.password().is_some() {
                    return Err(DuoConfigError::InvalidBaseUrl("no credentials in the URL"));
                }
                if base.path() != "/" || base.query().is_some() || base.fragment().is_some() {
                    return Err(DuoConfigError::InvalidBaseUrl(
                        "only scheme, host and port; Duo's paths are fixed",
                    ));
                }
                base
            }
        };
        if base.host_str().is_none() {
            return Err(DuoConfigError::InvalidBaseUrl("no host"));
        }
        // Signed as Duo's clients sign: the configured API host, whatever address the request
        // goes to (the base URL only exists for tests against a local Duo).
        let signed_host = host.to_ascii_lowercase();
        Ok(Endpoint { base, signed_host })
    }

    pub(crate) fn validate_keys(&self) -> Result<(), DuoConfigError> {
        for (ikey, skey, app) in [
            ("admin.integration_key", "admin.secret_key", &self.admin),
            ("auth.integration_key", "auth.secret_key", &self.auth),
        ] {
            if app.integration_key.trim().is_empty() {
                return Err(DuoConfigError::Missing(ikey));
            }
            if app.secret_key.expose().is_empty() {
                return Err(DuoConfigError::Missing(skey));
            }
        }
        if self.timeout_seconds == 0 {
            return Err(DuoConfigError::ZeroTimeout);
        }
        Ok(())
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

    fn config(base_url: Option<&str>) -> DuoConfig {
        DuoConfig {
            api_host: "API-XXXXXXXX.duosecurity.com".to_owned(),
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
    fn production_signs_the_api_host() {
        let endpoint = config(None).endpoint().unwrap();
        assert_eq!(
            endpoint.base.as_str(),
            "https://api-xxxxxxxx.duosecurity.com/"
        );
        assert_eq!(endpoint.signed_host, "api-xxxxxxxx.duosecurity.com");
    }

    #[test]
    fn plain_http_only_on_loopback() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:9",
            "https://duo.example.org",
        ] {
            assert!(config(Some(ok)).endpoint().is_ok(), "{ok}");
        }
        let endpoint = config(Some("http://127.0.0.1:8080")).endpoint().unwrap();
        assert_eq!(endpoint.signed_host, "api-xxxxxxxx.duosecurity.com");
        for insecure in ["http://duo.example.org", "http://10.0.0.1:80"] {
            assert!(
                matches!(
                    config(Some(insecure)).endpoint(),
                    Err(DuoConfigError::InsecureBaseUrl)
                ),
                "{insecure}"
            );
        }
        for bad in [
            "ftp://127.0.0.1",
            "not a url",
            "https://duo.example.org/admin",
            "https://user:pw@duo.example.org",
        ] {
            assert!(
                matches!(
                    config(Some(bad)).endpoint(),
                    Err(DuoConfigError::InvalidBaseUrl(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn api_host_is_a_bare_host() {
        for bad in [
            "",
            "https://api-x.duosecurity.com",
            "api-x.duosecurity.com/x",
            "a@b",
        ] {
            let mut config = config(None);
            config.api_host = bad.to_owned();
            assert!(
                matches!(config.endpoint(), Err(DuoConfigError::InvalidApiHost)),
                "{bad}"
            );
        }
    }

    #[test]
    fn debug_redacts_the_secret_keys() {
        let printed = format!("{:?}", config(None));
        assert!(!printed.contains("do-not-print"), "{printed}");
        assert!(printed.contains("DIADMIN"), "{printed}");
    }

    #[test]
    fn parses_with_defaults_and_refuses_unknown_fields() {
        let parsed: DuoConfig = serde_json::from_value(serde_json::json!({
            "api_host": "api-x.duosecurity.com",
            "admin": {"integration_key": "DIA", "secret_key": "s1"},
            "auth": {"integration_key": "DIB", "secret_key": "s2"},
        }))
        .unwrap();
        assert_eq!(parsed.timeout_seconds, 10);
        assert_eq!(parsed.max_retry_wait_seconds, 32);
        assert!(parsed.base_url.is_none());
        assert!(parsed.validate_keys().is_ok());
        let unknown = serde_json::from_value::<DuoConfig>(serde_json::json!({
            "api_host": "api-x.duosecurity.com",
            "admin": {"integration_key": "DIA", "secret_key": "s1"},
            "auth": {"integration_key": "DIB", "secret_key": "s2", "skey": "typo"},
        }));
        assert!(unknown.is_err());
    }
}
