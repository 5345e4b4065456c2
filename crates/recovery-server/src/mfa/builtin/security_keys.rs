//! Security keys: the service is the WebAuthn relying party. Registration state stays in the
//! database and is claimed once before it is checked, so a second finish always fails.

use recovery_api::{
    authenticator::Authenticator,
    security_key::{RegisterPublicKeyCredential, RegistrationStarted},
};
use sqlx::Row;

use crate::storage::is_unique_violation;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::{
    authenticators::{authenticator_from_row, COLUMNS},
    BuiltinProvider,
};
use crate::{
    clock::to_unix,
    directory::Person,
    mfa::ProviderError,
    security_key::{model_name, PendingRegistration, SecurityKeyError, StoredKey},
    storage::UnitOfWork,
};

/// How long the person has to touch their key.
const REGISTRATION_TIME: Duration = Duration::minutes(5);

impl BuiltinProvider {
    async fn stored_keys(&self, person: &Person) -> Result<Vec<StoredKey>, ProviderError> {
        let rows = sqlx::query(
            "SELECT credential_id, credential FROM authenticators WHERE person_id = $1 \
             AND kind = 'security_key' AND status = 'active'",
        )
        .bind(&person.id.0)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let credential_id: Option<String> = row.try_get("credential_id")?;
                let key_json: Option<String> = row.try_get("credential")?;
                Ok(StoredKey {
                    credential_id: credential_id.unwrap_or_default(),
                    aaguid: None,
                    key_json: key_json.unwrap_or_default(),
                })
            })
            .collect()
    }

    pub(super) async fn start_key_registration(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        now: OffsetDateTime,
    ) -> Result<RegistrationStarted, ProviderError> {
        let existing = self.stored_keys(person).await?;
        let user_id = webauthn_user_id(person);
        let (options, pending) = self.relying_party.start_registration(
            user_id,
            &person.username,
            &person.display_name,
            &existing,
        )?;
        let id = Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO security_key_registrations (id, person_id, state, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(&person.id.0)
        .bind(pending.as_json())
        .bind(to_unix(now))
        .bind(to_unix(now + REGISTRATION_TIME))
        .execute(work.conn().await?)
        .await?;
        let origin = self.relying_party.origin().origin().ascii_serialization();
        Ok(RegistrationStarted {
            id,
            options,
            origin,
        })
    }

    /// Claims the registration, checks the answer and stores the key, all in `work`: the flow
    /// commits the claim with its audit record whether the key was accepted or not.
    pub(super) async fn finish_key_registration(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        registration_id: &str,
        name: &str,
        credential: &RegisterPublicKeyCredential,
        now: OffsetDateTime,
    ) -> Result<Authenticator, ProviderError> {
        let tx = work.conn().await?;
        let claimed = sqlx::query(
            "UPDATE security_key_registrations SET finished_at = $1 WHERE id = $2 \
             AND person_id = $3 AND finished_at IS NULL AND expires_at > $1 RETURNING state",
        )
        .bind(to_unix(now))
        .bind(registration_id)
        .bind(&person.id.0)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(ProviderError::RegistrationInvalid)?;
        let pending = PendingRegistration::from_json(claimed.try_get("state")?);
        let key = self
            .relying_party
            .finish_registration(&pending, credential)?;
        let holder = sqlx::query(
            "SELECT person_id FROM authenticators WHERE credential_id = $1 AND status <> 'disabled'",
        )
        .bind(&key.credential_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(holder) = holder {
            let holder: String = holder.try_get("person_id")?;
            return Err(ProviderError::SecurityKey(if holder == person.id.0 {
                SecurityKeyError::AlreadyRegistered
            } else {
                SecurityKeyError::InvalidCredential
            }));
        }
        let name = if name.trim().is_empty() {
            model_name(key.aaguid)
        } else {
            name.trim().to_owned()
        };
        let id = Uuid::new_v4().to_string();
        // A failed statement aborts a PostgreSQL transaction: the savepoint keeps the claim and
        // the flow's audit record possible after a duplicate.
        sqlx::query("SAVEPOINT key_insert")
            .execute(&mut *tx)
            .await?;
        let inserted = sqlx::query(
            "INSERT INTO authenticators (id, person_id, kind, name, status, credential_id, \
             credential, app_activated, created_at) \
             VALUES ($1, $2, 'security_key', $3, 'active', $4, $5, 0, $6)",
        )
        .bind(&id)
        .bind(&person.id.0)
        .bind(&name)
        .bind(&key.credential_id)
        .bind(&key.key_json)
        .bind(to_unix(now))
        .execute(&mut *tx)
        .await;
        if let Err(error) = inserted {
            sqlx::query("ROLLBACK TO SAVEPOINT key_insert")
                .execute(&mut *tx)
                .await?;
            // The same credential finished twice at once: the index keeps one.
            return Err(if is_unique_violation(&error) {
                ProviderError::SecurityKey(SecurityKeyError::AlreadyRegistered)
            } else {
                error.into()
            });
        }
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM authenticators WHERE id = $1"
        ))
        .bind(&id)
        .fetch_one(&mut *tx)
        .await?;
        authenticator_from_row(&row)
    }
}

/// The WebAuthn user handle: the person id when it is a UUID (builtin directory), else a
/// stable UUID derived from it.
fn webauthn_user_id(person: &Person) -> Uuid {
    Uuid::parse_str(&person.id.0).unwrap_or_else(|_| {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(person.id.0.as_bytes());
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        Uuid::from_bytes(bytes)
    })
}
