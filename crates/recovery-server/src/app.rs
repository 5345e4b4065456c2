//! The composition root: builds every part of the service from configuration, once, for the
//! HTTP server, the admin commands, the embedded demo and the tests alike.

use std::sync::Arc;

use recovery_api::Secret;
use sqlx::Row;
use time::Duration;

use crate::{
    audit::AuditLog,
    clock::{Clock, SystemClock},
    config::{Config, DirectoryKind, ProviderKind},
    directory::{BuiltinDirectory, Directory, LdapDirectory},
    help_desk::{
        caller_verification::CallerVerifications, keys::AgentKeys, rate_limit::AgentLimits,
        sessions::AgentSessions, HelpDesk,
    },
    hr_facts::HrFacts,
    kiosk::Kiosks,
    metrics::Metrics,
    mfa::{
        builtin::{BuiltinParts, BuiltinProvider},
        duo::{client::DuoClients, DuoProvider},
        privacyidea::{client::PiClient, PrivacyIdeaProvider},
        MfaProvider,
    },
    notify::{Notifier, NotifyConfig, OutboxNotifier, SmtpNotifier},
    recovery_pin::RecoveryPins,
    sealed::SealingKey,
    security_key::RelyingParty,
    security_key_link::SecurityKeyLinks,
    sending_caps::SendingCaps,
    session::Sessions,
    slow_hash::SlowHasher,
    storage::Database,
    throttle::Throttle,
    token::TokenHasher,
    verification_queue::VerificationQueue,
};

/// Everything a request or an admin command needs. Cheap to clone.
#[derive(Clone)]
pub struct App {
    pub config: Arc<Config>,
    pub db: Database,
    pub clock: Arc<dyn Clock>,
    pub hasher: SlowHasher,
    pub directory: Arc<dyn Directory>,
    /// Recovery PINs, kept by the service whatever the directory.
    pub recovery_pins: RecoveryPins,
    /// HR facts for directories that do not hold them.
    pub hr_facts: HrFacts,
    pub mfa: Arc<dyn MfaProvider>,
    pub notifier: Arc<dyn Notifier>,
    /// The outbox, when notifications go there; its route exists only in demo mode.
    pub outbox: Option<OutboxNotifier>,
    pub throttle: Throttle,
    /// Bounds the verifications under way (`service_busy` beyond).
    pub verification_queue: VerificationQueue,
    /// Daily caps on what is sent on a person's behalf.
    pub sending: SendingCaps,
    pub sessions: Sessions,
    pub kiosks: Kiosks,
    /// Single-use links to the security-key enrolment page.
    pub security_key_links: SecurityKeyLinks,
    pub audit: AuditLog,
    /// Agent sessions and keys, caller verifications, agents' hourly limits.
    pub help_desk: HelpDesk,
    /// Texts sent by the service itself (codes for callers); the provider has its own.
    pub telephony: Arc<dyn crate::telephony::Telephony>,
    pub metrics: Arc<Metrics>,
    /// Demo mode: the demo directory is loaded and `GET /v1/demo/outbox` answers.
    pub demo: bool,
    builtin: BuiltinProvider,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("demo", &self.demo)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Hash(#[from] crate::slow_hash::HashError),
    #[error(transparent)]
    Directory(#[from] crate::directory::DirectoryError),
    #[error(transparent)]
    Notify(#[from] crate::notify::NotifyError),
    #[error("token_key must be base64url of at least 32 bytes")]
    TokenKey,
    #[error("otp_key must be base64url of 32 bytes")]
    OtpKey,
    #[error(transparent)]
    Telephony(#[from] crate::telephony::TelephonyError),
    #[error(transparent)]
    SecurityKeys(#[from] crate::security_key::SecurityKeyError),
    #[error(
        "[directory] kind = \"ldap\" needs a [directory.ldap] section (url, bind_dn, base_dn…)"
    )]
    LdapMissing,
    #[error("provider = \"duo\" needs a [duo] section with api_host, admin and auth keys")]
    DuoMissing,
    #[error(transparent)]
    Duo(#[from] crate::mfa::duo::client::DuoConfigError),
    #[error(
        "provider = \"privacyidea\" needs a [privacyidea] section with base_url, realm, \
         admin credentials and webauthn_origin"
    )]
    PrivacyIdeaMissing,
    #[error(transparent)]
    PrivacyIdea(#[from] crate::mfa::privacyidea::PrivacyIdeaConfigError),
    #[error(
        "{0}.kind is \"outbox\": outside demo mode the service would keep notices, calls and \
         texts in its database instead of sending them. Configure a real {0} kind, run \
         `serve --demo`, or, for a test system only, set allow_outbox = true \
         (RECOVERY_ALLOW_OUTBOX=true)"
    )]
    OutboxOutsideDemo(&'static str),
}

/// A service outside demo mode that would keep messages in the outbox starts only when
/// `allow_outbox` says so: otherwise nobody would ever get them.
pub fn refuse_outbox_outside_demo(config: &Config) -> Result<(), StartError> {
    if config.allow_outbox {
        return Ok(());
    }
    if matches!(config.notify, NotifyConfig::Outbox) {
        return Err(StartError::OutboxOutsideDemo("notify"));
    }
    if matches!(config.telephony, crate::telephony::TelephonyConfig::Outbox) {
        return Err(StartError::OutboxOutsideDemo("telephony"));
    }
    Ok(())
}

/// Options that are not configuration: the clock (tests move it) and demo mode.
#[derive(Clone)]
pub struct AppOptions {
    pub clock: Arc<dyn Clock>,
    pub demo: bool,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            demo: false,
        }
    }
}

impl App {
    pub async fn build(config: Config, options: AppOptions) -> Result<Self, StartError> {
        let db = Database::open(&config.database_url).await?;
        Self::with_database(config, db, options).await
    }

    pub async fn with_database(
        config: Config,
        db: Database,
        options: AppOptions,
    ) -> Result<Self, StartError> {
        let hasher = SlowHasher::new(config.password_hash)?;
        let token_hasher = token_hasher(&config, &db, options.demo).await?;
        let sealing = sealing_key(&config, &db, options.demo).await?;
        let clock = options.clock;
        let outbox = matches!(config.notify, NotifyConfig::Outbox)
            .then(|| OutboxNotifier::new(db.clone(), Arc::clone(&clock), sealing.clone()));
        let notifier: Arc<dyn Notifier> = match (&config.notify, &outbox) {
            (NotifyConfig::Smtp { url, from }, _) => Arc::new(SmtpNotifier::new(url, from)?),
            (NotifyConfig::Outbox, Some(outbox)) => Arc::new(outbox.clone()),
            (NotifyConfig::Outbox, None) => Arc::new(OutboxNotifier::new(
                db.clone(),
                Arc::clone(&clock),
                sealing.clone(),
            )),
        };
        let telephony = crate::telephony::from_config(
            &config.telephony,
            OutboxNotifier::new(db.clone(), Arc::clone(&clock), sealing.clone()),
        )?;
        let relying_party = Arc::new(RelyingParty::new(&config.security_keys)?);
        let help_desk = HelpDesk {
            sessions: AgentSessions::new(
                db.clone(),
                token_hasher.clone(),
                config.help_desk.session_time(),
            ),
            keys: AgentKeys::new(
                db.clone(),
                Arc::clone(&relying_party),
                token_hasher.clone(),
                config.security_keys.rp_id.clone(),
            ),
            callers: CallerVerifications::new(db.clone(), hasher.clone()),
            limits: AgentLimits::new(db.clone()),
        };
        let builtin = BuiltinProvider::new(BuiltinParts {
            db: db.clone(),
            hasher: hasher.clone(),
            tokens: token_hasher.clone(),
            sealing: sealing.clone(),
            telephony: Arc::clone(&telephony),
            relying_party,
            policy: config.devices.clone(),
            organisation: config.organisation.name.clone(),
        });
        let mfa: Arc<dyn MfaProvider> = match config.provider {
            ProviderKind::Builtin => Arc::new(builtin.clone()),
            ProviderKind::Duo => {
                let duo = config.duo.as_ref().ok_or(StartError::DuoMissing)?;
                let provider =
                    DuoProvider::new(DuoClients::new(duo)?, db.clone(), config.devices.clone());
                provider.sync_clock().await;
                Arc::new(provider)
            }
            ProviderKind::PrivacyIdea => {
                let pi = config
                    .privacyidea
                    .as_ref()
                    .ok_or(StartError::PrivacyIdeaMissing)?;
                Arc::new(PrivacyIdeaProvider::new(
                    PiClient::new(pi)?,
                    pi,
                    config.devices.clone(),
                ))
            }
        };
        let hr_facts = HrFacts::new(db.clone(), sealing);
        let recovery_pins = RecoveryPins::new(db.clone(), hasher.clone());
        let directory: Arc<dyn Directory> = match config.directory.kind {
            DirectoryKind::Builtin => {
                let builtin = BuiltinDirectory::new(
                    db.clone(),
                    hasher.clone(),
                    hr_facts.clone(),
                    recovery_pins.clone(),
                );
                builtin.refresh_dummies().await?;
                Arc::new(builtin)
            }
            DirectoryKind::Ldap => {
                let ldap = config
                    .directory
                    .ldap
                    .as_ref()
                    .ok_or(StartError::LdapMissing)?;
                Arc::new(LdapDirectory::new(
                    ldap,
                    &config.phone_region,
                    hr_facts.clone(),
                )?)
            }
        };
        Ok(Self {
            directory,
            recovery_pins,
            hr_facts,
            mfa,
            builtin,
            throttle: Throttle::new(db.clone(), config.throttle),
            verification_queue: VerificationQueue::new(config.throttle.verifications_in_flight),
            sending: SendingCaps::new(db.clone(), config.limits),
            sessions: Sessions::new(
                db.clone(),
                token_hasher.clone(),
                Duration::seconds(i64::from(config.session.ttl_seconds)),
            ),
            security_key_links: SecurityKeyLinks::new(db.clone(), token_hasher.clone()),
            kiosks: Kiosks::new(db.clone(), token_hasher),
            audit: AuditLog::new(db.clone()),
            help_desk,
            telephony,
            metrics: Arc::new(Metrics::default()),
            notifier,
            outbox,
            hasher,
            clock,
            db,
            config: Arc::new(config),
            demo: options.demo,
        })
    }

    /// The builtin directory over the same database (imports, demo data).
    pub fn builtin_directory(&self) -> BuiltinDirectory {
        BuiltinDirectory::new(
            self.db.clone(),
            self.hasher.clone(),
            self.hr_facts.clone(),
            self.recovery_pins.clone(),
        )
    }

    /// The builtin provider over the same database (demo devices, token imports).
    pub fn builtin_provider(&self) -> &BuiltinProvider {
        &self.builtin
    }
}

async fn token_hasher(
    config: &Config,
    db: &Database,
    demo: bool,
) -> Result<TokenHasher, StartError> {
    let key = service_key(config.token_key.as_ref(), "token_key", db, demo).await?;
    TokenHasher::from_encoded_key(key.expose()).ok_or(StartError::TokenKey)
}

async fn sealing_key(config: &Config, db: &Database, demo: bool) -> Result<SealingKey, StartError> {
    let key = service_key(config.otp_key.as_ref(), "otp_key", db, demo).await?;
    SealingKey::from_encoded(key.expose()).map_err(|_| StartError::OtpKey)
}

/// The configured key, or the one this service made for itself and keeps in the database
/// (shared by every instance on the same database). Such a key sits beside what it protects,
/// so whoever reads a copy of the database can use it: outside demo mode that earns a warning.
async fn service_key(
    configured: Option<&Secret>,
    name: &str,
    db: &Database,
    demo: bool,
) -> Result<Secret, StartError> {
    if let Some(key) = configured {
        return Ok(key.clone());
    }
    if !demo {
        tracing::warn!(
            "{name} is not configured, so the service uses a key it keeps in its own database, \
             beside the data it protects: anyone with a copy of the database can use it. Set \
             {name} (RECOVERY_{}) from a secret store, apart from the database",
            name.to_ascii_uppercase()
        );
    }
    sqlx::query(
        "INSERT INTO service_keys (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(TokenHasher::generate_key().expose())
    .execute(db.pool())
    .await?;
    let stored: String = sqlx::query("SELECT value FROM service_keys WHERE name = $1")
        .bind(name)
        .fetch_one(db.pool())
        .await?
        .try_get("value")?;
    Ok(Secret::new(stored))
}
