//! The recovery PIN: kept by the service for every directory (never in LDAP), hashed together
//! with the date of birth (table `recovery_pins`). People set it themselves after signing in
//! with a passcode (`flows::recovery_pin`), and the help desk can clear it.
//!
//! A check always costs one argon2 verification: against the person's hash, or against the
//! dummy when the username is unknown or the person has no PIN, so timing tells neither.

mod policy;

use recovery_api::Secret;
use sqlx::Row;
use time::{macros::format_description, Date, OffsetDateTime};
use zeroize::Zeroizing;

pub use policy::{PinPolicy, PinRejection};

use crate::{
    clock::{from_unix, to_unix},
    directory::PersonId,
    hash_dummies::{DummyKind, HashDummies, RefreshError},
    slow_hash::{HashError, SlowHasher},
    storage::{Database, UnitOfWork},
};

#[derive(Debug, Clone)]
pub struct RecoveryPins {
    db: Database,
    hasher: SlowHasher,
    dummies: HashDummies,
}

/// A person's recovery PIN: when it was set, if it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinStatus {
    pub set_at: Option<OffsetDateTime>,
}

/// Whether setting a PIN replaced one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinChange {
    Set,
    Changed,
}

impl PinChange {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Set => "set",
            Self::Changed => "changed",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PinStoreError {
    #[error("storage failed")]
    Storage(#[from] sqlx::Error),
    #[error(transparent)]
    Hash(#[from] HashError),
}

impl From<RefreshError> for PinStoreError {
    fn from(error: RefreshError) -> Self {
        match error {
            RefreshError::Storage(e) => Self::Storage(e),
            RefreshError::Hash(e) => Self::Hash(e),
        }
    }
}

impl RecoveryPins {
    pub fn new(db: Database, hasher: SlowHasher) -> Self {
        let dummies = HashDummies::new(db.clone(), hasher.clone());
        Self {
            db,
            hasher,
            dummies,
        }
    }

    /// Whether the date of birth + PIN are this person's. `None` (an unknown username) and a
    /// person without a PIN cost the same as a wrong PIN.
    pub async fn check(
        &self,
        person: Option<&PersonId>,
        date_of_birth: Date,
        pin: &Secret,
    ) -> Result<bool, PinStoreError> {
        // Read for everyone (an unknown username looks up no one), so every case makes the same
        // queries.
        let nobody = PersonId(String::new());
        let stored = self.stored(person.unwrap_or(&nobody)).await?;
        let dummy = self.dummies.get(DummyKind::Knowledge).await?;
        let knowledge = knowledge_bytes(date_of_birth, pin);
        match stored {
            Some(hash) => Ok(self.hasher.verify(&knowledge, &hash).await?),
            None => {
                self.dummies.check(&knowledge, dummy.as_deref()).await?;
                Ok(false)
            }
        }
    }

    /// After a whole verification succeeded: stores the hash at the configured cost when it
    /// was made at another, unless it changed meanwhile.
    pub async fn upgrade(
        &self,
        person: &PersonId,
        date_of_birth: Date,
        pin: &Secret,
    ) -> Result<(), PinStoreError> {
        let Some(stored) = self.stored(person).await? else {
            return Ok(());
        };
        if !self.hasher.is_outdated(&stored) {
            return Ok(());
        }
        let fresh = self
            .hasher
            .hash(&knowledge_bytes(date_of_birth, pin))
            .await?;
        sqlx::query(
            "UPDATE recovery_pins SET knowledge_hash = $1 WHERE person_id = $2 AND knowledge_hash = $3",
        )
        .bind(&fresh)
        .bind(&person.0)
        .bind(&stored)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    pub async fn status(&self, person: &PersonId) -> Result<PinStatus, PinStoreError> {
        let row = sqlx::query("SELECT set_at FROM recovery_pins WHERE person_id = $1")
            .bind(&person.0)
            .fetch_optional(self.db.pool())
            .await?;
        let set_at = row
            .map(|row| row.try_get::<i64, _>("set_at"))
            .transpose()?
            .map(from_unix);
        Ok(PinStatus { set_at })
    }

    /// The hash of a new PIN: slow, so done before the unit of work takes its lock.
    pub async fn hash(&self, date_of_birth: Date, pin: &Secret) -> Result<String, PinStoreError> {
        Ok(self
            .hasher
            .hash(&knowledge_bytes(date_of_birth, pin))
            .await?)
    }

    /// Stores a hash from [`Self::hash`] (or an import) as the person's PIN, inside `conn`.
    pub async fn put(
        &self,
        conn: &mut sqlx::AnyConnection,
        person: &PersonId,
        knowledge_hash: &str,
        now: OffsetDateTime,
    ) -> Result<PinChange, PinStoreError> {
        let replaced = sqlx::query(
            "UPDATE recovery_pins SET knowledge_hash = $1, set_at = $2 WHERE person_id = $3",
        )
        .bind(knowledge_hash)
        .bind(to_unix(now))
        .bind(&person.0)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if replaced > 0 {
            return Ok(PinChange::Changed);
        }
        sqlx::query(
            "INSERT INTO recovery_pins (person_id, knowledge_hash, set_at) VALUES ($1, $2, $3)",
        )
        .bind(&person.0)
        .bind(knowledge_hash)
        .bind(to_unix(now))
        .execute(&mut *conn)
        .await?;
        Ok(PinChange::Set)
    }

    /// Sets the PIN inside the flow's unit of work.
    pub async fn set(
        &self,
        work: &mut UnitOfWork,
        person: &PersonId,
        knowledge_hash: &str,
        now: OffsetDateTime,
    ) -> Result<PinChange, PinStoreError> {
        let conn = work.conn().await?;
        self.put(conn, person, knowledge_hash, now).await
    }

    /// Removes the PIN inside `work`; `false` when there was none.
    pub async fn clear(
        &self,
        work: &mut UnitOfWork,
        person: &PersonId,
    ) -> Result<bool, PinStoreError> {
        let conn = work.conn().await?;
        let removed = sqlx::query("DELETE FROM recovery_pins WHERE person_id = $1")
            .bind(&person.0)
            .execute(conn)
            .await?
            .rows_affected();
        Ok(removed > 0)
    }

    /// Makes the dummy cost what most stored PINs cost: at start and after imports.
    pub async fn refresh_dummy(&self) -> Result<(), PinStoreError> {
        let rows = sqlx::query("SELECT knowledge_hash FROM recovery_pins")
            .fetch_all(self.db.pool())
            .await?;
        let hashes = rows
            .iter()
            .map(|row| row.try_get::<String, _>("knowledge_hash"))
            .collect::<Result<Vec<_>, _>>()?;
        self.dummies.refresh(DummyKind::Knowledge, hashes).await?;
        Ok(())
    }

    async fn stored(&self, person: &PersonId) -> Result<Option<String>, sqlx::Error> {
        let row = sqlx::query("SELECT knowledge_hash FROM recovery_pins WHERE person_id = $1")
            .bind(&person.0)
            .fetch_optional(self.db.pool())
            .await?;
        row.map(|row| row.try_get("knowledge_hash")).transpose()
    }
}

/// Date of birth and PIN are hashed together: one slow check, one answer, and a stolen table
/// gives up neither on its own.
fn knowledge_bytes(date_of_birth: Date, pin: &Secret) -> Zeroizing<Vec<u8>> {
    let date = date_of_birth
        .format(format_description!("[year]-[month]-[day]"))
        .unwrap_or_default();
    Zeroizing::new(format!("{date}\u{0}{}", pin.expose()).into_bytes())
}
