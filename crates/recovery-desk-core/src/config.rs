//! The organisation's settings for the app: which service, who the help desk is, kiosk and
//! updater settings. Read from the system-wide file, then `--config`, then `RECOVERY_DESK_*`
//! environment variables (`__` separates sections: `RECOVERY_DESK_KIOSK__ENABLED=true`).

use std::path::{Path, PathBuf};

use base64::Engine;
use figment::{
    providers::{Env, Format, Serialized, Toml},
    Figment,
};
use serde::{Deserialize, Serialize};
use url::Url;

/// `RECOVERY_DESK_*` variables that are command-line options or logging, not settings.
const NOT_SETTINGS: [&str; 4] = ["config", "log", "enrollment_token", "demo_data_dir"];

/// Largest logo the app embeds; a logo is a small SVG or PNG.
const LOGO_MAX_BYTES: u64 = 256 * 1024;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeskConfig {
    /// The recovery service's root URL. Absent: the app starts the demo service in-process.
    pub service_url: Option<Url>,
    /// The first language shown (`en` or `es`); the person can switch.
    pub locale: Option<Locale>,
    pub organisation: Organisation,
    pub help_desk: HelpDesk,
    pub kiosk: KioskSettings,
    pub updater: UpdaterSettings,
    pub security_keys: SecurityKeySettings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    En,
    Es,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Organisation {
    pub name: String,
    /// An SVG or PNG file shown in the header.
    pub logo: Option<PathBuf>,
}

impl Default for Organisation {
    fn default() -> Self {
        Self {
            name: "Recovery Desk".to_owned(),
            logo: None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HelpDesk {
    /// The app is the help desk's console (agent mode), as with `--help-desk`.
    pub enabled: bool,
    pub phone: Option<String>,
    pub url: Option<Url>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KioskSettings {
    /// A shared help-desk PC: fullscreen, locked down, reset when idle.
    pub enabled: bool,
    /// Seconds without input before "Are you still there?".
    pub idle_warning_seconds: u32,
    /// Seconds the warning counts down before everything is cleared.
    pub idle_reset_seconds: u32,
}

impl Default for KioskSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            idle_warning_seconds: 60,
            idle_reset_seconds: 30,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecurityKeySettings {
    /// The shortest PIN a person may set on a new key (the key's own minimum may be higher;
    /// the app never allows fewer than 6).
    pub min_pin_length: usize,
}

impl Default for SecurityKeySettings {
    fn default() -> Self {
        Self {
            min_pin_length: crate::security_key::MIN_PIN_LENGTH,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UpdaterSettings {
    /// Update manifest URLs (tauri-plugin-updater's format). None: no update checks.
    pub endpoints: Vec<Url>,
    /// The minisign public key the updates are signed with (as `tauri signer generate` prints).
    pub pubkey: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("the configuration file {0} does not exist")]
    Missing(PathBuf),
    #[error("the configuration is not valid: {0}")]
    Invalid(Box<figment::Error>),
    #[error("service_url must use https (plain http only to this computer): {0}")]
    InsecureService(Url),
    #[error("kiosk idle times must be 10–3600 s (warning) and 5–600 s (countdown)")]
    IdleTimes,
    #[error("updater: endpoints and pubkey go together, and endpoints must use https")]
    Updater,
    #[error("security_keys.min_pin_length must be 6–63 (a key's PIN is at most 63 bytes)")]
    KeyPinLength,
    #[error("the logo {path} cannot be used: {reason}")]
    Logo { path: PathBuf, reason: String },
}

impl DeskConfig {
    /// Where an organisation puts the file on this operating system.
    pub fn system_path() -> PathBuf {
        if cfg!(target_os = "windows") {
            let base = std::env::var_os("ProgramData").unwrap_or_else(|| "C:\\ProgramData".into());
            Path::new(&base).join("Recovery Desk").join("config.toml")
        } else if cfg!(target_os = "macos") {
            PathBuf::from("/Library/Application Support/Recovery Desk/config.toml")
        } else {
            PathBuf::from("/etc/recovery-desk/config.toml")
        }
    }

    /// Defaults, the system file (when present), `file` (which must exist), then the environment.
    pub fn load(system: &Path, file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Self::default()));
        if system.exists() {
            figment = figment.merge(Toml::file(system));
        }
        if let Some(file) = file {
            if !file.exists() {
                return Err(ConfigError::Missing(file.to_owned()));
            }
            figment = figment.merge(Toml::file(file));
        }
        let config: Self = figment
            .merge(
                Env::prefixed("RECOVERY_DESK_")
                    .filter(|key| {
                        !NOT_SETTINGS.contains(&key.as_str().to_ascii_lowercase().as_str())
                    })
                    .split("__"),
            )
            .extract()
            .map_err(|e| ConfigError::Invalid(Box::new(e)))?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        if let Some(url) = &self.service_url {
            if !secure_or_local(url) {
                return Err(ConfigError::InsecureService(url.clone()));
            }
        }
        let kiosk = &self.kiosk;
        if !(10..=3600).contains(&kiosk.idle_warning_seconds)
            || !(5..=600).contains(&kiosk.idle_reset_seconds)
        {
            return Err(ConfigError::IdleTimes);
        }
        let updater = &self.updater;
        if updater.endpoints.is_empty() != updater.pubkey.is_none()
            || !updater.endpoints.iter().all(secure_or_local)
        {
            return Err(ConfigError::Updater);
        }
        if !(crate::security_key::MIN_PIN_LENGTH..=63).contains(&self.security_keys.min_pin_length)
        {
            return Err(ConfigError::KeyPinLength);
        }
        Ok(())
    }

    /// The logo as a `data:` URI, read once at start (the web view loads nothing from disk).
    pub fn logo_data_uri(&self) -> Result<Option<String>, ConfigError> {
        let Some(path) = &self.organisation.logo else {
            return Ok(None);
        };
        let logo_error = |reason: String| ConfigError::Logo {
            path: path.clone(),
            reason,
        };
        let media = match path.extension().and_then(|e| e.to_str()) {
            Some("svg") => "image/svg+xml",
            Some("png") => "image/png",
            _ => return Err(logo_error("use an .svg or .png file".to_owned())),
        };
        let size = std::fs::metadata(path)
            .map_err(|e| logo_error(e.to_string()))?
            .len();
        if size > LOGO_MAX_BYTES {
            return Err(logo_error("larger than 256 KiB".to_owned()));
        }
        let bytes = std::fs::read(path).map_err(|e| logo_error(e.to_string()))?;
        Ok(Some(format!(
            "data:{media};base64,{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        )))
    }
}

/// `https`, or `http` to this computer (the embedded service, a local test server).
pub fn secure_or_local(url: &Url) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => {
            matches!(url.host(), Some(url::Host::Domain("localhost")))
                || matches!(url.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback())
                || matches!(url.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_from(text: &str) -> Result<DeskConfig, ConfigError> {
        let dir = tempfile::tempdir().map_err(|e| ConfigError::Missing(e.to_string().into()))?;
        let file = dir.path().join("config.toml");
        std::fs::write(&file, text).map_err(|e| ConfigError::Missing(e.to_string().into()))?;
        DeskConfig::load(&dir.path().join("absent.toml"), Some(&file))
    }

    #[test]
    fn defaults_mean_the_embedded_demo() -> Result<(), ConfigError> {
        let config = load_from("")?;
        assert_eq!(config.service_url, None);
        assert_eq!(config.kiosk.idle_warning_seconds, 60);
        assert_eq!(config.kiosk.idle_reset_seconds, 30);
        Ok(())
    }

    #[test]
    fn reads_every_section() -> Result<(), ConfigError> {
        let config = load_from(
            r#"
            service_url = "https://recovery.example.edu"
            locale = "es"
            [organisation]
            name = "Example University"
            [help_desk]
            phone = "+1 555 0100"
            url = "https://help.example.edu"
            [kiosk]
            enabled = true
            idle_warning_seconds = 90
            idle_reset_seconds = 20
            [updater]
            endpoints = ["https://updates.example.edu/latest.json"]
            pubkey = "dW50cnVzdGVkIGNvbW1lbnQ6"
            [security_keys]
            min_pin_length = 8
            "#,
        )?;
        assert_eq!(config.locale, Some(Locale::Es));
        assert_eq!(config.security_keys.min_pin_length, 8);
        assert!(config.kiosk.enabled);
        assert_eq!(config.organisation.name, "Example University");
        assert_eq!(config.updater.endpoints.len(), 1);
        Ok(())
    }

    #[test]
    fn refuses_what_would_be_unsafe_or_wrong() {
        for text in [
            r#"service_url = "http://recovery.example.edu""#,
            r#"service_url = "ftp://recovery.example.edu""#,
            "[kiosk]\nidle_warning_seconds = 1",
            "[kiosk]\nidle_reset_seconds = 100000",
            "[updater]\nendpoints = [\"https://u.example.edu/l.json\"]",
            "[updater]\nendpoints = [\"http://u.example.edu/l.json\"]\npubkey = \"k\"",
            "unknown_setting = 1",
            "locale = \"fr\"",
            "[security_keys]\nmin_pin_length = 4",
            "[security_keys]\nmin_pin_length = 64",
        ] {
            assert!(load_from(text).is_err(), "accepted: {text}");
        }
    }

    #[test]
    fn plain_http_only_to_this_computer() -> Result<(), url::ParseError> {
        assert!(secure_or_local(&Url::parse("http://127.0.0.1:8750")?));
        assert!(secure_or_local(&Url::parse("http://localhost:8750")?));
        assert!(secure_or_local(&Url::parse("http://[::1]:8750")?));
        assert!(!secure_or_local(&Url::parse("http://10.0.0.1")?));
        Ok(())
    }

    #[test]
    fn a_missing_config_file_is_an_error() {
        let result = DeskConfig::load(
            Path::new("/nonexistent/a"),
            Some(Path::new("/nonexistent/b")),
        );
        assert!(matches!(result, Err(ConfigError::Missing(_))));
    }
}
