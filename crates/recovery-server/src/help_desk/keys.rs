//! The agents' own security keys, for signing in to the console: kept by the service (table
//! `help_desk_keys`) whatever the MFA provider, with the same relying party as the people's
//! keys. Signing in asks for user verification (the key's PIN) and refuses an assertion
//! without it.
//!
//! A username that is no agent, or an agent without keys, gets a challenge of the same shape:
//! one credential id derived from a keyed hash of the username (stable, so asking twice shows
//! nothing either), and a stored challenge that no answer can pass.

use std::sync::Arc;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use rand::{rngs::OsRng, RngCore};
use recovery_api::{
    help_desk::{KeySignInStarted, PublicKeyCredential, RequestChallengeResponse},
    security_key::{RegisterPublicKeyCredential, RegistrationStarted},
};
use serde_json::json;
use sqlx::Row;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::{
    clock::to_unix,
    directory::{Person, PersonId},
    security_key::{
        model_name, PendingAuthentication, PendingRegistration, RelyingParty, SecurityKeyError,
        StoredKey,
    },
    storage::{is_unique_violation, Database, UnitOfWork},
    token::TokenHasher,
};

/// How long an agent has to answer a sign-in challenge.
const CHALLENGE_TIME: Duration = Duration::minutes(2);
/// How long an agent has to touch a key they register.
const REGISTRATION_TIME: Duration = Duration::minutes(5);
/// What webauthn-rs asks clients to wait (its `DEFAULT_AUTHENTICATOR_TIMEOUT`), for the
/// challenges made without it.
const TIMEOUT_MILLIS: u32 = 300_000;
const FAKE_CREDENTIAL: &str = "help-desk-fake-credential";

#[derive(Debug, Clone)]
pub struct AgentKeys {
    db: Database,
    relying_party: Arc<RelyingParty>,
    hasher: TokenHasher,
    rp_id: String,
}

/// Why an assertion did not sign the agent in (for the audit record; outward it is always
/// `verification_failed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRefusal {
    /// Unknown, used or expired challenge, or one for another username.
    Challenge,
    /// The username has no keys here (or is no agent).
    NoKeys,
    UserNotVerified,
    Rejected,
}

impl KeyRefusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Challenge => "challenge",
            Self::NoKeys => "no_keys",
            Self::UserNotVerified => "user_not_verified",
            Self::Rejected => "rejected",
        }
    }
}

impl AgentKeys {
    pub fn new(
        db: Database,
        relying_party: Arc<RelyingParty>,
        hasher: TokenHasher,
        rp_id: String,
    ) -> Self {
        Self {
            db,
            relying_party,
            hasher,
            rp_id,
        }
    }

    pub fn origin(&self) -> String {
        self.relying_party.origin().origin().ascii_serialization()
    }

    pub async fn stored(&self, agent: &PersonId) -> Result<Vec<StoredKey>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT credential_id, credential FROM help_desk_keys WHERE agent_person_id = $1 \
             ORDER BY created_at",
        )
        .bind(&agent.0)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StoredKey {
                    credential_id: row.try_get("credential_id")?,
                    aaguid: None,
                    key_json: row.try_get("credential")?,
                })
            })
            .collect()
    }

    pub async fn count(&self, agent: &PersonId) -> Result<u32, sqlx::Error> {
        let n: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM help_desk_keys WHERE agent_person_id = $1")
                .bind(&agent.0)
                .fetch_one(self.db.pool())
                .await?
                .try_get("n")?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// A sign-in challenge for `username`: the agent's keys when `agent` has some, else one
    /// that looks the same and that nothing passes.
    pub async fn start_sign_in(
        &self,
        username: &str,
        agent: Option<&PersonId>,
        now: OffsetDateTime,
    ) -> Result<KeySignInStarted, SecurityKeyError> {
        let keys = match agent {
            Some(agent) => self
                .stored(agent)
                .await
                .map_err(|_| SecurityKeyError::StateCorrupt)?,
            None => Vec::new(),
        };
        let (options, state) = if keys.is_empty() {
            (self.fake_options(username)?, String::new())
        } else {
            let (mut options, pending) = self.relying_party.start_authentication(&keys)?;
            options.public_key.user_verification = serde_json::from_value(json!("required"))
                .map_err(|_| SecurityKeyError::StateCorrupt)?;
            // Transports are a hint some keys give and some do not: left out, every
            // challenge looks alike.
            for credential in &mut options.public_key.allow_credentials {
                credential.transports = None;
            }
            (options, pending.as_json().to_owned())
        };
        let id = Uuid::new_v4().to_string();
        let pool = self.db.pool();
        let stored = async {
            sqlx::query("DELETE FROM help_desk_key_challenges WHERE expires_at <= $1")
                .bind(to_unix(now))
                .execute(pool)
                .await?;
            sqlx::query(
                "INSERT INTO help_desk_key_challenges (id, username, state, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&id)
            .bind(username)
            .bind(&state)
            .bind(to_unix(now))
            .bind(to_unix(now + CHALLENGE_TIME))
            .execute(pool)
            .await
        };
        stored.await.map_err(|error| {
            tracing::warn!(%error, "a sign-in challenge was not stored");
            SecurityKeyError::StateCorrupt
        })?;
        Ok(KeySignInStarted {
            challenge_id: id,
            options,
            origin: self.origin(),
        })
    }

    /// Options of the shape webauthn-rs makes for one key, for a credential that does not exist.
    fn fake_options(&self, username: &str) -> Result<RequestChallengeResponse, SecurityKeyError> {
        let mut challenge = [0u8; 32];
        OsRng.fill_bytes(&mut challenge);
        let digest = self.hasher.hash(FAKE_CREDENTIAL, username);
        let credential_id = URL_SAFE_NO_PAD.encode(digest.as_bytes().get(..48).unwrap_or_default());
        serde_json::from_value(json!({
            "publicKey": {
                "challenge": URL_SAFE_NO_PAD.encode(challenge),
                "timeout": TIMEOUT_MILLIS,
                "rpId": self.rp_id,
                "allowCredentials": [{ "type": "public-key", "id": credential_id }],
                "userVerification": "required",
                "hints": ["security-key"],
            }
        }))
        .map_err(|_| SecurityKeyError::StateCorrupt)
    }

    /// Claims the challenge (once, for this username, in time) and checks the assertion
    /// against the agent's keys, bringing the key's counter up to date in `work`. Always does
    /// the same claim; `agent` is `None` when the password or the agent check failed.
    pub async fn check_sign_in(
        &self,
        work: &mut UnitOfWork,
        challenge_id: &str,
        username: &str,
        agent: Option<&PersonId>,
        credential: &PublicKeyCredential,
        now: OffsetDateTime,
    ) -> Result<Result<(), KeyRefusal>, sqlx::Error> {
        let keys = match agent {
            Some(agent) => self.stored(agent).await?,
            None => Vec::new(),
        };
        let claimed = sqlx::query(
            "UPDATE help_desk_key_challenges SET used_at = $1 WHERE id = $2 AND username = $3 \
             AND used_at IS NULL AND expires_at > $1 RETURNING state",
        )
        .bind(to_unix(now))
        .bind(challenge_id)
        .bind(username)
        .fetch_optional(work.conn().await?)
        .await?;
        let Some(claimed) = claimed else {
            return Ok(Err(KeyRefusal::Challenge));
        };
        let state: String = claimed.try_get("state")?;
        let Some(agent) = agent.filter(|_| !state.is_empty() && !keys.is_empty()) else {
            return Ok(Err(KeyRefusal::NoKeys));
        };
        let pending = PendingAuthentication::from_json(state);
        let authenticated = match self
            .relying_party
            .finish_authentication(&pending, credential, &keys)
        {
            Ok(authenticated) => authenticated,
            Err(SecurityKeyError::UserNotVerified) => return Ok(Err(KeyRefusal::UserNotVerified)),
            Err(error) => {
                tracing::debug!(%error, "an agent's security-key answer was refused");
                return Ok(Err(KeyRefusal::Rejected));
            }
        };
        if !authenticated.user_verified {
            return Ok(Err(KeyRefusal::UserNotVerified));
        }
        if authenticated.key_changed {
            sqlx::query(
                "UPDATE help_desk_keys SET credential = $1 \
                 WHERE credential_id = $2 AND agent_person_id = $3",
            )
            .bind(&authenticated.key.key_json)
            .bind(&authenticated.credential_id)
            .bind(&agent.0)
            .execute(work.conn().await?)
            .await?;
        }
        Ok(Ok(()))
    }

    /// Starts registering a key for the signed-in agent; their keys are excluded.
    pub async fn start_registration(
        &self,
        work: &mut UnitOfWork,
        agent: &Person,
        now: OffsetDateTime,
    ) -> Result<RegistrationStarted, crate::error::RecoveryError> {
        let existing = self.stored(&agent.id).await?;
        let (mut options, pending) = self
            .relying_party
            .start_registration(
                user_handle(&agent.id),
                &agent.username,
                &agent.display_name,
                &existing,
            )
            .map_err(crate::error::RecoveryError::SecurityKey)?;
        // The key must register with its PIN: sign-in requires user verification.
        if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
            selection.user_verification =
                serde_json::from_value(json!("required")).map_err(|_| {
                    crate::error::RecoveryError::SecurityKey(SecurityKeyError::StateCorrupt)
                })?;
        }
        let id = Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO help_desk_key_registrations \
             (id, agent_person_id, state, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(&agent.id.0)
        .bind(pending.as_json())
        .bind(to_unix(now))
        .bind(to_unix(now + REGISTRATION_TIME))
        .execute(work.conn().await?)
        .await?;
        Ok(RegistrationStarted {
            id,
            options,
            origin: self.origin(),
        })
    }

    /// Claims the registration, checks the answer and stores the key in `work`; answers the
    /// key's name. A key that cannot verify its user is refused: it could never sign in.
    pub async fn finish_registration(
        &self,
        work: &mut UnitOfWork,
        agent: &Person,
        registration_id: &str,
        name: &str,
        credential: &RegisterPublicKeyCredential,
        now: OffsetDateTime,
    ) -> Result<String, crate::error::RecoveryError> {
        use crate::error::RecoveryError;
        let tx = work.conn().await?;
        let claimed = sqlx::query(
            "UPDATE help_desk_key_registrations SET finished_at = $1 WHERE id = $2 \
             AND agent_person_id = $3 AND finished_at IS NULL AND expires_at > $1 RETURNING state",
        )
        .bind(to_unix(now))
        .bind(registration_id)
        .bind(&agent.id.0)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(RecoveryError::RegistrationInvalid)?;
        let pending = PendingRegistration::from_json(claimed.try_get("state")?);
        let key = self
            .relying_party
            .finish_registration(&pending, credential)
            .map_err(RecoveryError::SecurityKey)?;
        if !registered_with_verification(&key) {
            return Err(RecoveryError::SecurityKey(
                SecurityKeyError::UserNotVerified,
            ));
        }
        let name = if name.is_empty() {
            model_name(key.aaguid)
        } else {
            name.to_owned()
        };
        sqlx::query("SAVEPOINT agent_key_insert")
            .execute(&mut *tx)
            .await?;
        let inserted = sqlx::query(
            "INSERT INTO help_desk_keys \
             (id, agent_person_id, credential_id, credential, name, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(&agent.id.0)
        .bind(&key.credential_id)
        .bind(&key.key_json)
        .bind(&name)
        .bind(to_unix(now))
        .execute(&mut *tx)
        .await;
        if let Err(error) = inserted {
            sqlx::query("ROLLBACK TO SAVEPOINT agent_key_insert")
                .execute(&mut *tx)
                .await?;
            return Err(if is_unique_violation(&error) {
                RecoveryError::SecurityKey(SecurityKeyError::AlreadyRegistered)
            } else {
                error.into()
            });
        }
        Ok(name)
    }

    /// Stores a key registered elsewhere (the demo agent's), by its webauthn-rs JSON.
    pub async fn seed(
        &self,
        agent: &PersonId,
        key_json: &str,
        name: &str,
        now: OffsetDateTime,
    ) -> Result<(), SecurityKeyError> {
        let key = StoredKey {
            credential_id: String::new(),
            aaguid: None,
            key_json: key_json.to_owned(),
        };
        let parsed = key.to_security_key()?;
        let credential_id = URL_SAFE_NO_PAD.encode(parsed.cred_id());
        let key_json =
            serde_json::to_string(&parsed).map_err(|_| SecurityKeyError::StateCorrupt)?;
        sqlx::query(
            "INSERT INTO help_desk_keys \
             (id, agent_person_id, credential_id, credential, name, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (credential_id) DO NOTHING",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(&agent.0)
        .bind(credential_id)
        .bind(key_json)
        .bind(name)
        .bind(to_unix(now))
        .execute(self.db.pool())
        .await
        .map_err(|_| SecurityKeyError::StateCorrupt)?;
        Ok(())
    }
}

/// Whether the key was registered with its PIN (or biometrics): webauthn-rs then requires a
/// verified answer at every sign-in too.
fn registered_with_verification(key: &StoredKey) -> bool {
    serde_json::from_str::<serde_json::Value>(&key.key_json)
        .ok()
        .and_then(|value| value["cred"]["user_verified"].as_bool())
        .unwrap_or(false)
}

/// The WebAuthn user handle of an agent's console keys: derived from the person id, apart
/// from the handle of their own MFA keys.
fn user_handle(agent: &PersonId) -> Uuid {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("help-desk:{}", agent.0).as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(bytes)
}
