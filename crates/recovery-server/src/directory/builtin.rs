//! People in SQL (table `people`), imported from HR's CSV export.

use async_trait::async_trait;
use recovery_api::Secret;
use sqlx::{any::AnyRow, Row};
use time::{macros::format_description, Date};
use uuid::Uuid;
use zeroize::Zeroizing;

use super::{
    csv_import::{NewPerson, PasswordSource},
    Directory, DirectoryError, Person, PersonId, RecoveryKnowledge,
};
use crate::{clock::to_unix, slow_hash::SlowHasher, storage::Database};

#[derive(Debug, Clone)]
pub struct BuiltinDirectory {
    db: Database,
    hasher: SlowHasher,
}

/// What an import changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ImportSummary {
    pub added: usize,
    pub updated: usize,
}

impl BuiltinDirectory {
    pub fn new(db: Database, hasher: SlowHasher) -> Self {
        Self { db, hasher }
    }

    /// Adds or updates people, all or none: one bad row changes nothing.
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
            let knowledge = knowledge_bytes(person.date_of_birth, &person.recovery_pin);
            let recovery_hash = self.hasher.hash(&knowledge).await?;
            rows.push((person, password_hash, recovery_hash));
        }
        let mut summary = ImportSummary::default();
        let mut tx = self.db.pool().begin().await?;
        for (person, password_hash, recovery_hash) in rows {
            let emails = serde_json::to_string(&person.notification_emails)
                .map_err(|e| DirectoryError::Corrupt(e.to_string()))?;
            let phones = serde_json::to_string(&person.phones)
                .map_err(|e| DirectoryError::Corrupt(e.to_string()))?;
            let updated = sqlx::query(
                "UPDATE people SET display_name = $1, password_hash = $2, recovery_hash = $3, \
                 emails = $4, phones = $5, updated_at = $6 WHERE username = $7",
            )
            .bind(&person.display_name)
            .bind(&password_hash)
            .bind(&recovery_hash)
            .bind(&emails)
            .bind(&phones)
            .bind(to_unix(now))
            .bind(&person.username)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated > 0 {
                summary.updated += 1;
                continue;
            }
            sqlx::query(
                "INSERT INTO people (id, username, display_name, password_hash, recovery_hash, \
                 emails, phones, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(Uuid::new_v4().to_string())
            .bind(&person.username)
            .bind(&person.display_name)
            .bind(&password_hash)
            .bind(&recovery_hash)
            .bind(&emails)
            .bind(&phones)
            .bind(to_unix(now))
            .execute(&mut *tx)
            .await?;
            summary.added += 1;
        }
        tx.commit().await?;
        Ok(summary)
    }

    async fn stored(
        &self,
        username: &str,
    ) -> Result<Option<(Person, String, String)>, DirectoryError> {
        let row = sqlx::query(
            "SELECT id, username, display_name, emails, phones, password_hash, recovery_hash \
             FROM people WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|row| {
            let person = person_from_row(&row)?;
            Ok((
                person,
                row.try_get("password_hash")?,
                row.try_get("recovery_hash")?,
            ))
        })
        .transpose()
    }
}

#[async_trait]
impl Directory for BuiltinDirectory {
    async fn verify(
        &self,
        username: &str,
        password: &Secret,
        knowledge: Option<&RecoveryKnowledge>,
    ) -> Result<Option<Person>, DirectoryError> {
        let stored = self.stored(username).await?;
        let knowledge_bytes = knowledge.map(|k| knowledge_bytes(k.date_of_birth, &k.pin));
        let Some((person, password_hash, recovery_hash)) = stored else {
            self.hasher
                .verify_dummy(password.expose().as_bytes())
                .await?;
            if let Some(bytes) = &knowledge_bytes {
                self.hasher.verify_dummy(bytes).await?;
            }
            return Ok(None);
        };
        let password_ok = self
            .hasher
            .verify(password.expose().as_bytes(), &password_hash)
            .await?;
        let knowledge_ok = match &knowledge_bytes {
            // Checked even after a wrong password, so both failures cost the same.
            Some(bytes) if password_ok => self.hasher.verify(bytes, &recovery_hash).await?,
            Some(bytes) => self.hasher.verify_dummy(bytes).await?,
            None => true,
        };
        Ok((password_ok && knowledge_ok).then_some(person))
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
        Ok(self.stored(username).await?.map(|(person, _, _)| person))
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
