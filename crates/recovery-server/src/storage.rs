//! The one SQL layer: SQLite (a file in WAL mode) by default, PostgreSQL when the database URL
//! says so. Queries are written once, in the dialect both accept (`$n` placeholders, integers
//! for times and flags), and run through sqlx's `Any` driver.

use std::{str::FromStr, time::Duration};

use sqlx::{
    any::{install_default_drivers, AnyConnectOptions, AnyPoolOptions},
    migrate::Migrator,
    Any, AnyConnection, AnyPool, Executor, Row, Transaction,
};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("the database URL must start with sqlite:// or postgres://")]
    UnsupportedUrl,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Migration(#[from] sqlx::migrate::MigrateError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct Database {
    pool: AnyPool,
    backend: Backend,
}

impl Database {
    /// Connects and brings the schema up to date.
    pub async fn open(url: &str) -> Result<Self, StorageError> {
        install_default_drivers();
        let (backend, url) = if let Some(rest) = url.strip_prefix("sqlite:") {
            (Backend::Sqlite, sqlite_url(rest))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_owned())
        } else {
            return Err(StorageError::UnsupportedUrl);
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        if !up_to_date(&pool, migrator).await {
            migrator.run(&pool).await?;
        }
        Ok(Self { pool, backend })
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether the database answers; for `/healthz`.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// One flow's local writes, committed together or not at all: the state change, the rows that
/// go with it (a new session) and its audit record. A flow makes one, hands it to the MFA
/// provider's state-changing method and to [`crate::audit::AuditLog::append`], then commits;
/// dropping it uncommitted (an error, a cancelled request, a crash) rolls everything back.
///
/// The transaction begins lazily, at the first statement, so that slow work (password hashing,
/// a call to the MFA system) happens before it and never while it holds locks. On SQLite it
/// begins `IMMEDIATE`: it takes the write lock first, so a read followed by a write can never
/// fail with `SQLITE_BUSY_SNAPSHOT` under concurrency. While one is open, the same task must not
/// write through the pool (on SQLite that would wait for its own lock).
pub struct UnitOfWork {
    db: Database,
    tx: Option<Transaction<'static, Any>>,
}

impl std::fmt::Debug for UnitOfWork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnitOfWork")
            .field("begun", &self.tx.is_some())
            .finish()
    }
}

impl UnitOfWork {
    pub fn new(db: &Database) -> Self {
        Self {
            db: db.clone(),
            tx: None,
        }
    }

    /// The transaction's connection, beginning the transaction on first use.
    pub async fn conn(&mut self) -> Result<&mut AnyConnection, sqlx::Error> {
        let tx = match self.tx.take() {
            Some(tx) => tx,
            None => {
                let (pool, backend) = (self.db.pool.clone(), self.db.backend);
                // In a task of its own, so that a cancelled request cannot stop it half-way: a
                // connection that began a transaction no guard owns yet would go back to the
                // pool inside it (on SQLite holding the write lock). A finished task whose
                // caller is gone drops the transaction, which rolls it back.
                run_to_end(async move {
                    match backend {
                        Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
                        Backend::Postgres => pool.begin().await,
                    }
                })
                .await?
            }
        };
        Ok(&mut **self.tx.insert(tx))
    }

    /// Whether a statement ran: the transaction is open and holds its locks.
    pub fn is_begun(&self) -> bool {
        self.tx.is_some()
    }

    /// Commits; once called, the commit completes even if the caller is cancelled.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self.tx {
            Some(tx) => run_to_end(tx.commit()).await,
            None => Ok(()),
        }
    }

    /// Gives the locks back now rather than when the connection is next used.
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        match self.tx {
            Some(tx) => tx.rollback().await,
            None => Ok(()),
        }
    }
}

/// Runs a database step that must not be cut half-way in a task of its own.
async fn run_to_end<T: Send + 'static>(
    step: impl std::future::Future<Output = Result<T, sqlx::Error>> + Send + 'static,
) -> Result<T, sqlx::Error> {
    tokio::spawn(step)
        .await
        .map_err(|error| sqlx::Error::Protocol(format!("a transaction step stopped: {error}")))?
}

/// Whether every migration is applied, unchanged. Then the service needs no right to change the
/// schema: on PostgreSQL its role may be one that cannot (docs/postgres-roles.md), and the
/// owner runs `recovery-server migrate`.
async fn up_to_date(pool: &AnyPool, migrator: &Migrator) -> bool {
    let Ok(rows) = sqlx::query("SELECT version, checksum FROM _sqlx_migrations WHERE success")
        .fetch_all(pool)
        .await
    else {
        return false;
    };
    let applied: Vec<(i64, Vec<u8>)> = rows
        .iter()
        .filter_map(|row| Some((row.try_get("version").ok()?, row.try_get("checksum").ok()?)))
        .collect();
    migrator.iter().all(|migration| {
        applied.iter().any(|(version, checksum)| {
            *version == migration.version && **checksum == *migration.checksum
        })
    })
}

/// `sqlite://path` creates the file when missing.
fn sqlite_url(rest: &str) -> String {
    let rest = rest.trim_start_matches("//");
    if rest.contains('?') {
        format!("sqlite://{rest}")
    } else {
        format!("sqlite://{rest}?mode=rwc")
    }
}

/// True when an error is a unique-constraint violation, on either backend.
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation()
        || db.code().is_some_and(|c| c == "2067" || c == "1555" || c == "23505"))
}
