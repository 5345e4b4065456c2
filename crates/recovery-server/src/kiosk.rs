//! Kiosks: help-desk PCs with a credential of their own.
//!
//! The help desk runs `kiosk token --name "Help Desk Kiosk 2"` and types the one-time token
//! into the kiosk, which trades it (`POST /v1/kiosks/enrollments`) for a long-lived credential
//! kept in the OS keyring. Requests that carry the credential are throttled and reported as
//! that kiosk ("from Help Desk Kiosk 2") instead of as a network address.

use recovery_api::Secret;
use sqlx::Row;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::{
    clock::to_unix,
    storage::{Database, UnitOfWork},
    token::{self, TokenHasher},
};

const ENROLLMENT: &str = "kiosk-enrollment";
const CREDENTIAL: &str = "kiosk-credential";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kiosk {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Kiosks {
    db: Database,
    hasher: TokenHasher,
}

impl Kiosks {
    pub fn new(db: Database, hasher: TokenHasher) -> Self {
        Self { db, hasher }
    }

    /// A new kiosk waiting for enrollment, and its one-time token.
    pub async fn create_enrollment(
        &self,
        work: &mut UnitOfWork,
        name: &str,
        valid_for: Duration,
        now: OffsetDateTime,
    ) -> Result<(Kiosk, Secret), sqlx::Error> {
        let enrollment = token::generate();
        let kiosk = Kiosk {
            id: Uuid::new_v4().to_string(),
            name: name.to_owned(),
        };
        sqlx::query(
            "INSERT INTO kiosks (id, name, enrollment_hash, enrollment_expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&kiosk.id)
        .bind(&kiosk.name)
        .bind(self.hasher.hash(ENROLLMENT, enrollment.expose()))
        .bind(to_unix(now + valid_for))
        .bind(to_unix(now))
        .execute(work.conn().await?)
        .await?;
        Ok((kiosk, enrollment))
    }

    /// Trades a valid, unused enrollment token for the kiosk's credential, once.
    pub async fn enroll(
        &self,
        work: &mut UnitOfWork,
        enrollment: &Secret,
        now: OffsetDateTime,
    ) -> Result<Option<(Kiosk, Secret)>, sqlx::Error> {
        let credential = token::generate();
        let enrollment_hash = self.hasher.hash(ENROLLMENT, enrollment.expose());
        let claimed = sqlx::query(
            "UPDATE kiosks SET credential_hash = $1, enrolled_at = $2 \
             WHERE enrollment_hash = $3 AND enrolled_at IS NULL AND revoked_at IS NULL \
             AND enrollment_expires_at > $2",
        )
        .bind(self.hasher.hash(CREDENTIAL, credential.expose()))
        .bind(to_unix(now))
        .bind(&enrollment_hash)
        .execute(work.conn().await?)
        .await?
        .rows_affected();
        if claimed != 1 {
            return Ok(None);
        }
        let row = sqlx::query("SELECT id, name FROM kiosks WHERE enrollment_hash = $1")
            .bind(&enrollment_hash)
            .fetch_one(work.conn().await?)
            .await?;
        let kiosk = Kiosk {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
        };
        Ok(Some((kiosk, credential)))
    }

    /// The enrolled, unrevoked kiosk holding this credential.
    pub async fn identify(&self, credential: &Secret) -> Result<Option<Kiosk>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT id, name FROM kiosks WHERE credential_hash = $1 AND revoked_at IS NULL",
        )
        .bind(self.hasher.hash(CREDENTIAL, credential.expose()))
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|row| {
            Ok(Kiosk {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
            })
        })
        .transpose()
    }
}
