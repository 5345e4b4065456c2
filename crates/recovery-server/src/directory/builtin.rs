//! People in SQL (table `people`), imported from HR's CSV export.
//!
//! Every verification does the same argon2 work whatever it finds: the password and the date
//! of birth + PIN are both checked, against the person's own hashes, or for an unknown username
//! against dummies with the parameters most records have (table `hash_dummies`, refreshed on
//! import). A success upgrades hashes stored at another cost to the configured one.

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
use crate::{
    clock::to_unix,
    slow_hash::{HashCost, SlowHasher},
    storage::Database,
};

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
        self.refresh_dummies().await?;
        Ok(summary)
    }

    /// Makes the dummies for unknown usernames cost what most records cost: after an import,
    /// and at start (records imported before dummies were kept, or at another cost).
    pub async fn refresh_dummies(&self) -> Result<(), DirectoryError> {
        let rows = sqlx::query("SELECT password_hash, recovery_hash FROM people")
            .fetch_all(self.db.pool())
            .await?;
        let mut password_costs = Vec::with_capacity(rows.len());
        let mut knowledge_costs = Vec::with_capacity(rows.len());
        for row in &rows {
            let password: String = row.try_get("password_hash")?;
            let knowledge: String = row.try_get("recovery_hash")?;
            password_costs.extend(HashCost::of_stored(&password));
            knowledge_costs.extend(HashCost::of_stored(&knowledge));
        }
        for (kind, costs) in [
            (DUMMY_PASSWORD, password_costs),
            (DUMMY_KNOWLEDGE, knowledge_costs),
        ] {
            let Some(cost) = most_common(costs) else {
                continue;
            };
            let current = self.dummy(kind).await?;
            if current.as_deref().and_then(HashCost::of_stored) == Some(cost) {
                continue;
            }
            let phc = self.hasher.dummy_with(cost).await?;
            sqlx::query(
                "INSERT INTO hash_dummies (kind, phc) VALUES ($1, $2) \
                 ON CONFLICT (kind) DO UPDATE SET phc = excluded.phc",
            )
            .bind(kind)
            .bind(&phc)
            .execute(self.db.pool())
            .await?;
        }
        Ok(())
    }

    async fn dummy(&self, kind: &str) -> Result<Option<String>, DirectoryError> {
        let row = sqlx::query("SELECT phc FROM hash_dummies WHERE kind = $1")
            .bind(kind)
            .fetch_optional(self.db.pool())
            .await?;
        Ok(row.map(|row| row.try_get("phc")).transpose()?)
    }

    /// The work of checking an unknown username's secret: against the stored dummy, or the
    /// configured-cost one before any import made it.
    async fn check_dummy(&self, secret: &[u8], dummy: Option<&str>) -> Result<(), DirectoryError> {
        match dummy {
            Some(dummy) => self.hasher.verify(secret, dummy).await?,
            None => self.hasher.verify_dummy(secret).await?,
        };
        Ok(())
    }

    /// After a success: stores hashes at the configured cost in place of outdated ones, unless
    /// the record changed meanwhile (an import wins).
    async fn upgrade(
        &self,
        person: &Person,
        password: &[u8],
        knowledge: &[u8],
        (password_hash, recovery_hash): (&str, &str),
    ) -> Result<(), DirectoryError> {
        let outdated = (
            self.hasher.is_outdated(password_hash),
            self.hasher.is_outdated(recovery_hash),
        );
        if outdated == (false, false) {
            return Ok(());
        }
        let new_password = if outdated.0 {
            self.hasher.hash(password).await?
        } else {
            password_hash.to_owned()
        };
        let new_recovery = if outdated.1 {
            self.hasher.hash(knowledge).await?
        } else {
            recovery_hash.to_owned()
        };
        sqlx::query(
            "UPDATE people SET password_hash = $1, recovery_hash = $2 \
             WHERE id = $3 AND password_hash = $4 AND recovery_hash = $5",
        )
        .bind(&new_password)
        .bind(&new_recovery)
        .bind(&person.id.0)
        .bind(password_hash)
        .bind(recovery_hash)
        .execute(self.db.pool())
        .await?;
        Ok(())
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
        // Read for everyone, so a known and an unknown username make the same queries.
        let dummies = (
            self.dummy(DUMMY_PASSWORD).await?,
            self.dummy(DUMMY_KNOWLEDGE).await?,
        );
        let password = password.expose().as_bytes();
        let knowledge_bytes = knowledge.map(|k| knowledge_bytes(k.date_of_birth, &k.pin));
        let Some((person, password_hash, recovery_hash)) = stored else {
            self.check_dummy(password, dummies.0.as_deref()).await?;
            if let Some(bytes) = &knowledge_bytes {
                self.check_dummy(bytes, dummies.1.as_deref()).await?;
            }
            return Ok(None);
        };
        let password_ok = self.hasher.verify(password, &password_hash).await?;
        // Checked even after a wrong password, so both failures cost the same.
        let knowledge_ok = match &knowledge_bytes {
            Some(bytes) => self.hasher.verify(bytes, &recovery_hash).await?,
            None => true,
        };
        if !(password_ok && knowledge_ok) {
            return Ok(None);
        }
        // Only once both are right: with a passcode still to check, a rehash here would make
        // the right password cost more than a wrong one.
        if let Some(bytes) = &knowledge_bytes {
            let hashes = (password_hash.as_str(), recovery_hash.as_str());
            if let Err(error) = self.upgrade(&person, password, bytes, hashes).await {
                tracing::warn!(%error, "an outdated hash was not upgraded");
            }
        }
        Ok(Some(person))
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

const DUMMY_PASSWORD: &str = "password";
const DUMMY_KNOWLEDGE: &str = "knowledge";

/// The most frequent cost; ties go to the lower one, so the choice does not depend on order.
fn most_common(costs: Vec<HashCost>) -> Option<HashCost> {
    let mut counts = std::collections::BTreeMap::<HashCost, usize>::new();
    for cost in costs {
        *counts.entry(cost).or_default() += 1;
    }
    counts
        .into_iter()
        .fold(
            None,
            |best: Option<(HashCost, usize)>, (cost, n)| match best {
                Some((_, most)) if most >= n => best,
                _ => Some((cost, n)),
            },
        )
        .map(|(cost, _)| cost)
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
