//! People in SQL (table `people`), imported from HR's CSV export.
//!
//! A password check costs one argon2 verification whatever it finds: against the person's hash,
//! or for an unknown username against the dummy with the parameters most records have
//! ([`HashDummies`]). A whole successful verification upgrades a hash stored at another cost.
//! The import also fills the HR facts and, where the export has them, the recovery PINs.

use async_trait::async_trait;
use recovery_api::Secret;
use sqlx::{any::AnyRow, Row};
use time::Date;
use uuid::Uuid;

use super::{
    csv_import::{NewPerson, PasswordSource},
    Directory, DirectoryError, PasswordCheck, PasswordRefusal, Person, PersonId,
};
use crate::{
    clock::to_unix,
    hash_dummies::{DummyKind, HashDummies, RefreshError},
    hr_facts::HrFacts,
    recovery_pin::{PinStoreError, RecoveryPins},
    slow_hash::SlowHasher,
    storage::Database,
};

#[derive(Debug, Clone)]
pub struct BuiltinDirectory {
    db: Database,
    hasher: SlowHasher,
    dummies: HashDummies,
    facts: HrFacts,
    pins: RecoveryPins,
}

/// What an import changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ImportSummary {
    pub added: usize,
    pub updated: usize,
}

impl BuiltinDirectory {
    pub fn new(db: Database, hasher: SlowHasher, facts: HrFacts, pins: RecoveryPins) -> Self {
        let dummies = HashDummies::new(db.clone(), hasher.clone());
        Self {
            db,
            hasher,
            dummies,
            facts,
            pins,
        }
    }

    /// Adds or updates people, their HR facts and their recovery PINs (where given), all or
    /// none: one bad row changes nothing. A row without a PIN keeps the PIN the person set.
    pub async fn import(
        &self,
        people: &[NewPerson],
        now: time::OffsetDateTime,
    ) -> Result<ImportSummary, DirectoryError> {
        let mut rows = Vec::with_capacity(people.len());
        for person in people {
            let password_hash = match &person.password {
                PasswordSource::Plain(password) => {
                    self.hasher.hash(password.expose().as_bytes()).await?
                }
                PasswordSource::Hash(hash) => hash.clone(),
            };
            let pin_hash = match &person.recovery_pin {
                Some(pin) => Some(
                    self.pins
                        .hash(person.date_of_birth, pin)
                        .await
                        .map_err(pin_error)?,
                ),
                None => None,
            };
            rows.push((person, password_hash, pin_hash));
        }
        let mut summary = ImportSummary::default();
        let mut tx = self.db.pool().begin().await?;
        for (person, password_hash, pin_hash) in rows {
            let emails = serde_json::to_string(&person.notification_emails)
                .map_err(|e| DirectoryError::Corrupt(e.to_string()))?;
            let phones = serde_json::to_string(&person.phones)
                .map_err(|e| DirectoryError::Corrupt(e.to_string()))?;
            let existing = sqlx::query("SELECT id FROM people WHERE username = $1")
                .bind(&person.username)
                .fetch_optional(&mut *tx)
                .await?
                .map(|row| row.try_get::<String, _>("id"))
                .transpose()?;
            let id = match existing {
                Some(id) => {
                    sqlx::query(
                        "UPDATE people SET display_name = $1, password_hash = $2, emails = $3, \
                         phones = $4, updated_at = $5 WHERE id = $6",
                    )
                    .bind(&person.display_name)
                    .bind(&password_hash)
                    .bind(&emails)
                    .bind(&phones)
                    .bind(to_unix(now))
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                    summary.updated += 1;
                    id
                }
                None => {
                    let id = Uuid::new_v4().to_string();
                    sqlx::query(
                        "INSERT INTO people (id, username, display_name, password_hash, emails, \
                         phones, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(&id)
                    .bind(&person.username)
                    .bind(&person.display_name)
                    .bind(&password_hash)
                    .bind(&emails)
                    .bind(&phones)
                    .bind(to_unix(now))
                    .execute(&mut *tx)
                    .await?;
                    summary.added += 1;
                    id
                }
            };
            self.facts
                .put(&mut tx, &person.username, person.date_of_birth, now)
                .await?;
            if let Some(pin_hash) = pin_hash {
                self.pins
                    .put(&mut tx, &PersonId(id), &pin_hash, now)
                    .await
                    .map_err(pin_error)?;
            }
        }
        tx.commit().await?;
        self.refresh_dummies().await?;
        Ok(summary)
    }

    /// Makes the dummies for unknown usernames and missing PINs cost what most records cost:
    /// after an import, and at start (records imported at another cost).
    pub async fn refresh_dummies(&self) -> Result<(), DirectoryError> {
        let rows = sqlx::query("SELECT password_hash FROM people")
            .fetch_all(self.db.pool())
            .await?;
        let hashes = rows
            .iter()
            .map(|row| row.try_get::<String, _>("password_hash"))
            .collect::<Result<Vec<_>, _>>()?;
        self.dummies
            .refresh(DummyKind::Password, hashes)
            .await
            .map_err(|error| match error {
                RefreshError::Storage(e) => DirectoryError::Storage(e),
                RefreshError::Hash(e) => DirectoryError::Hash(e),
            })?;
        self.pins.refresh_dummy().await.map_err(pin_error)?;
        Ok(())
    }

    async fn stored(&self, username: &str) -> Result<Option<(Person, String)>, DirectoryError> {
        let row = sqlx::query(
            "SELECT id, username, display_name, emails, phones, password_hash \
             FROM people WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|row| Ok((person_from_row(&row)?, row.try_get("password_hash")?)))
            .transpose()
    }
}

#[async_trait]
impl Directory for BuiltinDirectory {
    async fn verify_password(
        &self,
        username: &str,
        password: &Secret,
    ) -> Result<PasswordCheck, DirectoryError> {
        let stored = self.stored(username).await?;
        // Read for everyone, so a known and an unknown username make the same queries.
        let dummy = self.dummies.get(DummyKind::Password).await?;
        let password = password.expose().as_bytes();
        let Some((person, password_hash)) = stored else {
            self.dummies.check(password, dummy.as_deref()).await?;
            return Ok(PasswordCheck::Refused(PasswordRefusal::Invalid));
        };
        if self.hasher.verify(password, &password_hash).await? {
            Ok(PasswordCheck::Verified(person))
        } else {
            Ok(PasswordCheck::Refused(PasswordRefusal::Invalid))
        }
    }

    async fn after_verification(
        &self,
        person: &Person,
        password: &Secret,
    ) -> Result<(), DirectoryError> {
        let Some((_, stored)) = self.stored(&person.username).await? else {
            return Ok(());
        };
        if !self.hasher.is_outdated(&stored) {
            return Ok(());
        }
        let fresh = self.hasher.hash(password.expose().as_bytes()).await?;
        // Unless the record changed meanwhile: an import wins.
        sqlx::query("UPDATE people SET password_hash = $1 WHERE id = $2 AND password_hash = $3")
            .bind(&fresh)
            .bind(&person.id.0)
            .bind(&stored)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    async fn date_of_birth(&self, person: &Person) -> Result<Option<Date>, DirectoryError> {
        self.facts.date_of_birth(&person.username).await
    }

    async fn person(&self, id: &PersonId) -> Result<Option<Person>, DirectoryError> {
        let row = sqlx::query(
            "SELECT id, username, display_name, emails, phones FROM people WHERE id = $1",
        )
        .bind(&id.0)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|row| person_from_row(&row)).transpose()
    }

    async fn find_by_username(&self, username: &str) -> Result<Option<Person>, DirectoryError> {
        Ok(self.stored(username).await?.map(|(person, _)| person))
    }
}

fn pin_error(error: PinStoreError) -> DirectoryError {
    match error {
        PinStoreError::Storage(e) => DirectoryError::Storage(e),
        PinStoreError::Hash(e) => DirectoryError::Hash(e),
    }
}

fn person_from_row(row: &AnyRow) -> Result<Person, DirectoryError> {
    let list = |column: &str| -> Result<Vec<String>, DirectoryError> {
        let raw: String = row.try_get(column)?;
        serde_json::from_str(&raw).map_err(|_| DirectoryError::Corrupt(format!("people.{column}")))
    };
    Ok(Person {
        id: PersonId(row.try_get("id")?),
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        notification_emails: list("emails")?,
        phones: list("phones")?,
    })
}
