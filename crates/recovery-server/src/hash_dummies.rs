//! Dummy hashes for secrets that have no stored hash to check against (an unknown username, a
//! person without a recovery PIN): checking one costs what most stored records cost, so the
//! answer's timing does not tell whether the record exists. Table `hash_dummies`, one per kind,
//! refreshed at start and whenever records are imported.

use std::collections::BTreeMap;

use sqlx::Row;

use crate::{
    slow_hash::{HashCost, HashError, SlowHasher},
    storage::Database,
};

/// What a dummy stands in for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DummyKind {
    /// A password in the builtin directory.
    Password,
    /// A date of birth + recovery PIN.
    Knowledge,
}

impl DummyKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::Knowledge => "knowledge",
        }
    }
}

#[derive(Debug, Clone)]
pub struct HashDummies {
    db: Database,
    hasher: SlowHasher,
}

impl HashDummies {
    pub fn new(db: Database, hasher: SlowHasher) -> Self {
        Self { db, hasher }
    }

    /// The stored dummy, read by known and unknown usernames alike so both make the same queries.
    pub async fn get(&self, kind: DummyKind) -> Result<Option<String>, sqlx::Error> {
        let row = sqlx::query("SELECT phc FROM hash_dummies WHERE kind = $1")
            .bind(kind.as_str())
            .fetch_optional(self.db.pool())
            .await?;
        row.map(|row| row.try_get("phc")).transpose()
    }

    /// The work of checking a secret that has no record: against `dummy` (from [`Self::get`]),
    /// or at the configured cost before any record made one.
    pub async fn check(&self, secret: &[u8], dummy: Option<&str>) -> Result<(), HashError> {
        match dummy {
            Some(dummy) => self.hasher.verify(secret, dummy).await?,
            None => self.hasher.verify_dummy(secret).await?,
        };
        Ok(())
    }

    /// Makes the dummy of `kind` cost what most of `stored` (PHC strings) cost.
    pub async fn refresh(
        &self,
        kind: DummyKind,
        stored: impl IntoIterator<Item = String>,
    ) -> Result<(), RefreshError> {
        let costs = stored
            .into_iter()
            .filter_map(|phc| HashCost::of_stored(&phc));
        let Some(cost) = most_common(costs) else {
            return Ok(());
        };
        let current = self.get(kind).await?;
        if current.as_deref().and_then(HashCost::of_stored) == Some(cost) {
            return Ok(());
        }
        let phc = self.hasher.dummy_with(cost).await?;
        sqlx::query(
            "INSERT INTO hash_dummies (kind, phc) VALUES ($1, $2) \
             ON CONFLICT (kind) DO UPDATE SET phc = excluded.phc",
        )
        .bind(kind.as_str())
        .bind(&phc)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error("storage failed")]
    Storage(#[from] sqlx::Error),
    #[error(transparent)]
    Hash(#[from] HashError),
}

/// The most frequent cost; ties go to the lower one, so the choice does not depend on order.
fn most_common(costs: impl Iterator<Item = HashCost>) -> Option<HashCost> {
    let mut counts = BTreeMap::<HashCost, usize>::new();
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
