//! Service configuration: a TOML file, then `RECOVERY_*` environment variables on top
//! (`RECOVERY_DATABASE_URL`, `RECOVERY_THROTTLE__CONSECUTIVE_FAILURES`: `__` separates levels).

use std::{net::SocketAddr, path::Path};

use figment::{
    providers::{Env, Format, Serialized, Toml},
    Figment,
};
use recovery_api::Secret;
use serde::{Deserialize, Serialize};

use crate::{
    directory::ldap::LdapConfig,
    mfa::{duo::client::DuoConfig, privacyidea::PrivacyIdeaConfig},
    notify::NotifyConfig,
    recovery_pin::PinPolicy,
    security_key::SecurityKeyPolicy,
    sending_caps::SendingLimits,
    slow_hash::HashCost,
    telephony::TelephonyConfig,
    throttle::ThrottlePolicy,
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where `serve` listens.
    pub listen: SocketAddr,
    /// `sqlite://path/to/file.db` or `postgres://user@host/db`.
    pub database_url: String,
    pub organisation: Organisation,
    /// Where people and their passwords are.
    pub directory: DirectoryConfig,
    pub throttle: ThrottlePolicy,
    /// Daily caps on notices, calls and texts, per person and per recovery session.
    pub limits: SendingLimits,
    pub session: SessionPolicy,
    pub bypass_code: BypassCodePolicy,
    pub kiosk: KioskPolicy,
    pub password_hash: HashCost,
    pub notify: NotifyConfig,
    /// Which system of record holds people's devices.
    pub provider: ProviderKind,
    /// Duo's API host and keys, with `provider = "duo"`.
    pub duo: Option<DuoConfig>,
    /// privacyIDEA's URL, realm and admin credentials, with `provider = "privacyidea"`.
    pub privacyidea: Option<PrivacyIdeaConfig>,
    /// How verification calls and texts go out.
    pub telephony: TelephonyConfig,
    pub devices: DevicePolicy,
    /// What a recovery PIN that a person chooses must be.
    pub recovery_pin: PinPolicy,
    pub security_keys: SecurityKeyPolicy,
    /// The help-desk console: who the agents are, and the limits on what they do.
    pub help_desk: HelpDeskConfig,
    /// Region for phone numbers typed without a country code (ISO 3166: US, GB, ES…).
    pub phone_region: String,
    /// Key sealing TOTP and HOTP secrets at rest (base64url of 32 bytes). When absent the
    /// service makes one and keeps it in the database: set it in production, apart from the data.
    pub otp_key: Option<Secret>,
    /// Key for hashing session tokens and kiosk credentials (base64url, at least 32 bytes).
    /// When absent the service makes one and keeps it in the database.
    pub token_key: Option<Secret>,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy that sets it).
    pub trust_forwarded_for: bool,
    /// Connection timeouts and limits, and the admin listener.
    pub http: HttpPolicy,
    /// Let `serve` outside demo mode keep notices, calls and texts in the outbox instead of
    /// sending them (a test system). Without it such a service refuses to start.
    pub allow_outbox: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8750)),
            database_url: "sqlite://recovery-desk.db".to_owned(),
            organisation: Organisation::default(),
            directory: DirectoryConfig::default(),
            throttle: ThrottlePolicy::default(),
            limits: SendingLimits::default(),
            session: SessionPolicy::default(),
            bypass_code: BypassCodePolicy::default(),
            kiosk: KioskPolicy::default(),
            password_hash: HashCost::default(),
            notify: NotifyConfig::default(),
            provider: ProviderKind::Builtin,
            duo: None,
            privacyidea: None,
            telephony: TelephonyConfig::default(),
            devices: DevicePolicy::default(),
            recovery_pin: PinPolicy::default(),
            security_keys: SecurityKeyPolicy::default(),
            help_desk: HelpDeskConfig::default(),
            phone_region: "US".to_owned(),
            otp_key: None,
            token_key: None,
            trust_forwarded_for: false,
            http: HttpPolicy::default(),
            allow_outbox: false,
        }
    }
}

/// How long clients may take and how many may be connected at once. A client that stalls is
/// disconnected, so stalled clients cannot hold the service's connections for good.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpPolicy {
    /// Time a client has to send a request's headers, from the connection's start or from the
    /// end of the previous answer: also how long an idle kept-alive connection stays open.
    pub header_read_timeout_seconds: u32,
    /// Time a client has to send a request's body once its headers are in.
    pub body_timeout_seconds: u32,
    /// Open connections on the API listener. Past it, a new connection is answered `503`
    /// (`unavailable`, `Retry-After`) and closed instead of waiting in a queue.
    pub max_connections: u32,
    /// Where `/metrics` (and a second `/healthz`) are served, apart from the API: an address,
    /// or `"off"`. Keep it on loopback or a private network.
    pub admin_listen: AdminListen,
}

impl Default for HttpPolicy {
    fn default() -> Self {
        Self {
            header_read_timeout_seconds: 10,
            body_timeout_seconds: 20,
            max_connections: 1024,
            admin_listen: AdminListen::At(SocketAddr::from(([127, 0, 0, 1], 8751))),
        }
    }
}

impl HttpPolicy {
    pub fn header_read_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(u64::from(self.header_read_timeout_seconds.max(1)))
    }

    pub fn body_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(u64::from(self.body_timeout_seconds.max(1)))
    }

    pub fn max_connections(&self) -> usize {
        usize::try_from(self.max_connections.max(1)).unwrap_or(usize::MAX)
    }
}

/// The admin listener's address, or `"off"` for none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum AdminListen {
    Off,
    At(SocketAddr),
}

impl TryFrom<String> for AdminListen {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        if value.trim().eq_ignore_ascii_case("off") {
            return Ok(Self::Off);
        }
        value.trim().parse().map(Self::At).map_err(|_| {
            format!("admin_listen must be an address such as 127.0.0.1:8751, or \"off\" (got {value:?})")
        })
    }
}

impl From<AdminListen> for String {
    fn from(value: AdminListen) -> Self {
        match value {
            AdminListen::Off => "off".to_owned(),
            AdminListen::At(address) => address.to_string(),
        }
    }
}

/// `[directory] kind = "builtin" | "ldap"`, with `[directory.ldap]` for the second.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DirectoryConfig {
    pub kind: DirectoryKind,
    pub ldap: Option<LdapConfig>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DirectoryKind {
    /// People in the service's own database, imported from HR's CSV export.
    #[default]
    Builtin,
    /// People in LDAP or Active Directory, passwords checked by binding as them.
    Ldap,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// Devices in the service's own database.
    Builtin,
    /// Devices in Duo, through its Admin API and Auth API.
    Duo,
    /// Tokens in privacyIDEA 3.x, through its REST API.
    #[serde(rename = "privacyidea")]
    PrivacyIdea,
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

/// Lifetimes and limits of device changes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DevicePolicy {
    /// How long a pending landline waits for its spoken code.
    pub verification_minutes: u32,
    /// Wrong codes before a pending landline is discarded.
    pub verification_attempts: u32,
    /// How long an activation link works (at most 10 minutes).
    pub activation_minutes: u32,
    /// How far ahead of the service a hardware token may have run (HOTP look-ahead).
    pub resync_window: u64,
    /// The address phones reach the service at, for activation links.
    pub public_url: String,
    /// How recent the verification must be to bind a new factor.
    pub fresh_minutes: u32,
}

impl Default for DevicePolicy {
    fn default() -> Self {
        Self {
            verification_minutes: 10,
            verification_attempts: 3,
            activation_minutes: 10,
            resync_window: 1000,
            public_url: "http://127.0.0.1:8750".to_owned(),
            fresh_minutes: 10,
        }
    }
}

impl DevicePolicy {
    pub fn verification_time(&self) -> time::Duration {
        time::Duration::minutes(i64::from(self.verification_minutes))
    }

    /// Capped at 10 minutes whatever the configuration says.
    pub fn activation_time(&self) -> time::Duration {
        time::Duration::minutes(i64::from(self.activation_minutes.clamp(1, 10)))
    }
}

/// `[help_desk]`: the agents of the help-desk console and the limits on their work
/// (docs/help-desk.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HelpDeskConfig {
    /// How long an agent session lasts; it is never extended.
    pub session_minutes: u32,
    /// How long a verified caller stays verified for the agent's actions.
    pub caller_verification_minutes: u32,
    /// How long a code sent to the caller works (3 tries).
    pub caller_code_minutes: u32,
    /// The default life of a help-desk bypass code…
    pub bypass_code_minutes: u32,
    /// …and the longest an agent may ask for.
    pub bypass_code_max_minutes: u32,
    /// The default and ceiling of a security-key enrolment link (at most 24).
    pub security_key_link_hours: u32,
    /// Per agent and hour: every action and caller verification.
    pub actions_per_hour: u32,
    /// Per agent and hour: records looked up.
    pub look_ups_per_hour: u32,
    /// An LDAP group whose members are agents with the `help_desk` role.
    pub ldap_group: Option<String>,
    /// An LDAP group whose members are agents with the `admin` role.
    pub ldap_admin_group: Option<String>,
    /// The agents by username, each with a role.
    pub agents: Vec<AgentConfig>,
}

impl Default for HelpDeskConfig {
    fn default() -> Self {
        Self {
            session_minutes: 15,
            caller_verification_minutes: 15,
            caller_code_minutes: 10,
            bypass_code_minutes: 10,
            bypass_code_max_minutes: 480,
            security_key_link_hours: 24,
            actions_per_hour: 30,
            look_ups_per_hour: 60,
            ldap_group: None,
            ldap_admin_group: None,
            agents: Vec::new(),
        }
    }
}

/// `[[help_desk.agents]]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentConfig {
    pub username: String,
    pub role: recovery_api::help_desk::AgentRole,
}

impl HelpDeskConfig {
    /// Refuses limits that cannot work and agent lists that are ambiguous; normalises the
    /// usernames the way sign-in does, so `Hopper ` names the agent `hopper`.
    pub fn check(&mut self) -> Result<(), String> {
        let bounded = [
            ("session_minutes", self.session_minutes, 1, 480),
            (
                "caller_verification_minutes",
                self.caller_verification_minutes,
                1,
                120,
            ),
            ("caller_code_minutes", self.caller_code_minutes, 1, 60),
            ("bypass_code_minutes", self.bypass_code_minutes, 1, 1440),
            (
                "bypass_code_max_minutes",
                self.bypass_code_max_minutes,
                1,
                1440,
            ),
            (
                "security_key_link_hours",
                self.security_key_link_hours,
                1,
                24,
            ),
            ("actions_per_hour", self.actions_per_hour, 1, 10_000),
            ("look_ups_per_hour", self.look_ups_per_hour, 1, 10_000),
        ];
        for (name, value, min, max) in bounded {
            if !(min..=max).contains(&value) {
                return Err(format!(
                    "help_desk.{name} must be between {min} and {max} (got {value})"
                ));
            }
        }
        if self.bypass_code_minutes > self.bypass_code_max_minutes {
            return Err(format!(
                "help_desk.bypass_code_minutes ({}) must not exceed bypass_code_max_minutes ({})",
                self.bypass_code_minutes, self.bypass_code_max_minutes
            ));
        }
        for group in [&self.ldap_group, &self.ldap_admin_group]
            .into_iter()
            .flatten()
        {
            if group.trim().is_empty() {
                return Err(
                    "help_desk.ldap_group and ldap_admin_group must be DNs when set".to_owned(),
                );
            }
        }
        let mut seen = std::collections::HashSet::new();
        for agent in &mut self.agents {
            let username =
                recovery_api::fields::normalize_username(&agent.username).map_err(|_| {
                    format!(
                        "help_desk.agents holds {:?}, which is not a username",
                        agent.username
                    )
                })?;
            if !seen.insert(username.clone()) {
                return Err(format!(
                    "help_desk.agents names {username:?} twice; give each agent one role"
                ));
            }
            agent.username = username;
        }
        Ok(())
    }

    pub fn session_time(&self) -> time::Duration {
        time::Duration::minutes(i64::from(self.session_minutes))
    }

    pub fn caller_verification_time(&self) -> time::Duration {
        time::Duration::minutes(i64::from(self.caller_verification_minutes))
    }

    pub fn caller_code_time(&self) -> time::Duration {
        time::Duration::minutes(i64::from(self.caller_code_minutes))
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
                    // RECOVERY_CONFIG names the file; RECOVERY_TEST_* belong to the tests and
                    // RECOVERY_DESK_* to the desktop app.
                    .filter(|key| {
                        let key = key.as_str().to_ascii_lowercase();
                        key != "config" && !key.starts_with("test_") && !key.starts_with("desk_")
                    })
                    .split("__"),
            )
            .extract::<Config>()
            .map_err(|e| ConfigError(Box::new(e)))
            .and_then(Config::checked)
    }

    /// Refuses settings that deserialize but cannot work, with a message saying which.
    fn checked(mut self) -> Result<Self, ConfigError> {
        let refuse = |message: String| ConfigError(Box::new(figment::Error::from(message)));
        self.recovery_pin.check_bounds().map_err(refuse)?;
        self.help_desk.check().map_err(refuse)?;
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(toml: &str) -> Result<Config, Box<figment::Error>> {
        Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::string(toml))
            .extract()
            .map_err(Box::new)
    }

    #[test]
    fn the_admin_listener_can_move_or_be_turned_off() {
        assert_eq!(
            Config::default().http.admin_listen,
            AdminListen::At(SocketAddr::from(([127, 0, 0, 1], 8751)))
        );
        let off = load("[http]\nadmin_listen = \"off\"").unwrap();
        assert_eq!(off.http.admin_listen, AdminListen::Off);
        let moved = load("[http]\nadmin_listen = \"10.0.0.5:9100\"").unwrap();
        assert_eq!(
            moved.http.admin_listen,
            AdminListen::At("10.0.0.5:9100".parse().unwrap())
        );
        let wrong = load("[http]\nadmin_listen = \"everywhere\"").unwrap_err();
        assert!(wrong.to_string().contains("admin_listen"), "{wrong}");
    }

    #[test]
    fn an_ldap_directory_is_configured_in_its_own_section() {
        use crate::directory::ldap::config::{DateOfBirthFormat, IdEncoding};
        let config = load(
            r#"
            [directory]
            kind = "ldap"
            [directory.ldap]
            url = "ldaps://dc1.corp.example"
            ca_file = "/etc/recovery-desk/corp-ca.pem"
            bind_dn = "CN=svc-recovery,OU=Services,DC=corp,DC=example"
            bind_password = "s3cret"
            base_dn = "DC=corp,DC=example"
            user_filter = "(&(objectCategory=person)(objectClass=user))"
            [directory.ldap.attributes]
            username = "sAMAccountName"
            id = "objectGUID"
            id_encoding = "guid"
            date_of_birth = "extensionAttribute8"
            date_of_birth_format = "yyyy-mm-dd"
            "#,
        )
        .unwrap();
        assert_eq!(config.directory.kind, DirectoryKind::Ldap);
        let ldap = config.directory.ldap.unwrap();
        assert_eq!(ldap.attributes.id_encoding, IdEncoding::Guid);
        assert_eq!(
            ldap.attributes.date_of_birth_format,
            DateOfBirthFormat::YyyyMmDd
        );
        assert_eq!(ldap.attributes.mail, "mail");
        assert_eq!(ldap.pool_size, 4);
        assert!(!format!("{ldap:?}").contains("s3cret"));
        let typo = load("[directory.ldap]\nbase = \"dc=example\"").unwrap_err();
        assert!(typo.to_string().contains("base"), "{typo}");
        assert_eq!(Config::default().directory.kind, DirectoryKind::Builtin);
    }

    #[test]
    fn the_example_file_shows_the_http_defaults() {
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("recovery-server.example.toml");
        let config = Config::load(Some(&example)).unwrap();
        let defaults = HttpPolicy::default();
        assert_eq!(config.http.admin_listen, defaults.admin_listen);
        assert_eq!(
            config.http.header_read_timeout_seconds,
            defaults.header_read_timeout_seconds
        );
        assert_eq!(
            config.http.body_timeout_seconds,
            defaults.body_timeout_seconds
        );
        assert_eq!(config.http.max_connections, defaults.max_connections);
        assert_eq!(config.recovery_pin.min_digits, 6);
        assert_eq!(config.recovery_pin.max_digits, 12);
        let help_desk = HelpDeskConfig {
            agents: config.help_desk.agents.clone(),
            ldap_group: config.help_desk.ldap_group.clone(),
            ldap_admin_group: config.help_desk.ldap_admin_group.clone(),
            ..HelpDeskConfig::default()
        };
        assert_eq!(
            config.help_desk, help_desk,
            "the example shows the defaults"
        );
    }

    #[test]
    fn help_desk_agents_and_limits_are_checked_at_load() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(
            &file,
            "[help_desk]\n[[help_desk.agents]]\nusername = \" Hopper \"\nrole = \"help_desk\"\n\
             [[help_desk.agents]]\nusername = \"margaret\"\nrole = \"admin\"\n",
        )
        .unwrap();
        let config = Config::load(Some(&file)).unwrap();
        assert_eq!(config.help_desk.agents[0].username, "hopper");
        assert_eq!(config.help_desk.session_minutes, 15);
        for (toml, words) in [
            (
                "[help_desk]\nsecurity_key_link_hours = 48",
                "security_key_link_hours",
            ),
            (
                "[help_desk]\nbypass_code_minutes = 60\nbypass_code_max_minutes = 30",
                "bypass_code_max_minutes",
            ),
            ("[help_desk]\nsession_minutes = 0", "session_minutes"),
            ("[help_desk]\nactions_per_hour = 0", "actions_per_hour"),
            (
                "[[help_desk.agents]]\nusername = \"hopper\"\nrole = \"admin\"\n\
                 [[help_desk.agents]]\nusername = \"HOPPER\"\nrole = \"help_desk\"",
                "twice",
            ),
            (
                "[[help_desk.agents]]\nusername = \"hop per\"\nrole = \"admin\"",
                "not a username",
            ),
            (
                "[[help_desk.agents]]\nusername = \"hopper\"\nrole = \"boss\"",
                "role",
            ),
            ("[help_desk]\nldap_group = \" \"", "ldap_group"),
        ] {
            std::fs::write(&file, toml).unwrap();
            let error = Config::load(Some(&file)).unwrap_err().to_string();
            assert!(error.contains(words), "{toml}: {error}");
        }
    }

    #[test]
    fn a_pin_policy_nobody_could_meet_is_refused_at_load() {
        for (toml, words) in [
            (
                "[recovery_pin]\nmin_digits = 8\nmax_digits = 6",
                "min_digits",
            ),
            ("[recovery_pin]\nmin_digits = 2", "min_digits"),
            ("[recovery_pin]\nmax_digits = 20", "max_digits"),
            ("[recovery_pin]\nblocklist = [\"12ab\"]", "blocklist"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let file = dir.path().join("c.toml");
            std::fs::write(&file, toml).unwrap();
            let error = Config::load(Some(&file)).unwrap_err().to_string();
            assert!(error.contains(words), "{toml}: {error}");
        }
    }
}
