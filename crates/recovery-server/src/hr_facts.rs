//! HR facts the service asks at recovery (the date of birth), for directories that do not hold
//! them: filled by the builtin import, or by a CSV sync of `username,date_of_birth` that holds no
//! passwords (`recovery-server directory facts import`). Dates are sealed at rest under the
//! service's key: with the recovery PIN hashed together with the date, a stolen database then
//! gives away neither.

use sqlx::{AnyConnection, Row};
use time::{macros::format_description, Date, OffsetDateTime};

use crate::{
    clock::to_unix,
    directory::{DirectoryError, NewFacts},
    sealed::SealingKey,
    storage::Database,
};

#[derive(Debug, Clone)]
pub struct HrFacts {
    db: Database,
    sealing: SealingKey,
}

const DATE: &[time::format_description::FormatItem<'static>] =
    format_description!("[year]-[month]-[day]");

impl HrFacts {
    pub fn new(db: Database, sealing: SealingKey) -> Self {
        Self { db, sealing }
    }

    pub async fn date_of_birth(&self, username: &str) -> Result<Option<Date>, DirectoryError> {
        let row = sqlx::query("SELECT date_of_birth FROM hr_facts WHERE username = $1")
            .bind(username)
            .fetch_optional(self.db.pool())
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let sealed: String = row.try_get("date_of_birth")?;
        let opened = self.sealing.open(&sealed)?;
        let text = std::str::from_utf8(&opened)
            .map_err(|_| DirectoryError::Corrupt("hr_facts.date_of_birth".to_owned()))?;
        Date::parse(text, DATE)
            .map(Some)
            .map_err(|_| DirectoryError::Corrupt("hr_facts.date_of_birth".to_owned()))
    }

    /// Adds or replaces the facts, all or none.
    pub async fn import(
        &self,
        facts: &[NewFacts],
        now: OffsetDateTime,
    ) -> Result<(), DirectoryError> {
        let mut tx = self.db.pool().begin().await?;
        for fact in facts {
            self.put(&mut tx, &fact.username, fact.date_of_birth, now)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Adds or replaces one person's facts inside the caller's transaction.
    pub async fn put(
        &self,
        conn: &mut AnyConnection,
        username: &str,
        date_of_birth: Date,
        now: OffsetDateTime,
    ) -> Result<(), DirectoryError> {
        let date = date_of_birth
            .format(DATE)
            .map_err(|e| DirectoryError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO hr_facts (username, date_of_birth, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (username) DO UPDATE SET date_of_birth = excluded.date_of_birth, \
             updated_at = excluded.updated_at",
        )
        .bind(username)
        .bind(self.sealing.seal(date.as_bytes())?)
        .bind(to_unix(now))
        .execute(conn)
        .await?;
        Ok(())
    }
}
