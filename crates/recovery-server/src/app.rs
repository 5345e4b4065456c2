//! The composition root: builds every part of the service from configuration, once, for the
//! HTTP server, the admin commands, the embedded demo and the tests alike.

use std::sync::Arc;

use sqlx::Row;
use time::Duration;

use crate::{
    audit::AuditLog,
    clock::{Clock, SystemClock},
    config::Config,
    directory::{BuiltinDirectory, Directory},
    kiosk::Kiosks,
    metrics::Metrics,
    mfa::{BuiltinProvider, MfaProvider},
    notify::{Notifier, NotifyConfig, OutboxNotifier, SmtpNotifier},
    session::Sessions,
    slow_hash::SlowHasher,
    storage::Database,
    throttle::Throttle,
    token::TokenHasher,
};

/// Everything a request or an admin command needs. Cheap to clone.
#[derive(Clone)]
pub struct App {
    pub config: Arc<Config>,
    pub db: Database,
    pub clock: Arc<dyn Clock>,
    pub hasher: SlowHasher,
    pub directory: Arc<dyn Directory>,
    pub mfa: Arc<dyn MfaProvider>,
    pub notifier: Arc<dyn Notifier>,
    /// The outbox, when notifications go there; its route exists only in demo mode.
    pub outbox: Option<OutboxNotifier>,
    pub throttle: Throttle,
    pub sessions: Sessions,
    pub kiosks: Kiosks,
    pub audit: AuditLog,
    pub metrics: Arc<Metrics>,
    /// Demo mode: the demo directory is loaded and `GET /v1/demo/outbox` answers.
    pub demo: bool,
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
    Notify(#[from] crate::notify::NotifyError),
    #[error("token_key must be base64url of at least 32 bytes")]
    TokenKey,
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
        let token_hasher = token_hasher(&config, &db).await?;
        let clock = options.clock;
        let outbox = matches!(config.notify, NotifyConfig::Outbox)
            .then(|| OutboxNotifier::new(db.clone(), Arc::clone(&clock)));
        let notifier: Arc<dyn Notifier> = match (&config.notify, &outbox) {
            (NotifyConfig::Smtp { url, from }, _) => Arc::new(SmtpNotifier::new(url, from)?),
            (NotifyConfig::Outbox, Some(outbox)) => Arc::new(outbox.clone()),
            (NotifyConfig::Outbox, None) => {
                Arc::new(OutboxNotifier::new(db.clone(), Arc::clone(&clock)))
            }
        };
        Ok(Self {
            directory: Arc::new(BuiltinDirectory::new(db.clone(), hasher.clone())),
            mfa: Arc::new(BuiltinProvider::new(db.clone(), hasher.clone())),
            throttle: Throttle::new(db.clone(), config.throttle),
            sessions: Sessions::new(
                db.clone(),
                token_hasher.clone(),
                Duration::seconds(i64::from(config.session.ttl_seconds)),
            ),
            kiosks: Kiosks::new(db.clone(), token_hasher),
            audit: AuditLog::new(db.clone()),
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
        BuiltinDirectory::new(self.db.clone(), self.hasher.clone())
    }

    /// The builtin provider over the same database (demo devices).
    pub fn builtin_provider(&self) -> BuiltinProvider {
        BuiltinProvider::new(self.db.clone(), self.hasher.clone())
    }
}

/// The configured key, or the one this service made for itself and keeps in the database
/// (shared by every instance on the same database).
async fn token_hasher(config: &Config, db: &Database) -> Result<TokenHasher, StartError> {
    if let Some(key) = &config.token_key {
        return TokenHasher::from_encoded_key(key.expose()).ok_or(StartError::TokenKey);
    }
    let candidate = TokenHasher::generate_key();
    sqlx::query(
        "INSERT INTO service_keys (name, value) VALUES ('token_key', $1) ON CONFLICT (name) DO NOTHING",
    )
    .bind(candidate.expose())
    .execute(db.pool())
    .await?;
    let stored: String = sqlx::query("SELECT value FROM service_keys WHERE name = 'token_key'")
        .fetch_one(db.pool())
        .await?
        .try_get("value")?;
    TokenHasher::from_encoded_key(&stored).ok_or(StartError::TokenKey)
}
