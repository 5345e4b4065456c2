//! argon2id for the low-entropy secrets: passwords, date of birth + PIN, bypass codes.
//!
//! Hashing is deliberately slow, so it runs on the blocking pool, and at most one hash per CPU
//! runs at a time: more would only make every request wait longer for the same throughput.
//! Unknown usernames are checked against a dummy hash so that they cost the same time as a
//! wrong password (no account enumeration by timing).

use std::sync::Arc;

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Algorithm, Argon2, Params, Version,
};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use zeroize::Zeroizing;

/// argon2id cost; the defaults are OWASP's minimum for argon2id (19 MiB, 2 passes, 1 lane).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HashCost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for HashCost {
    fn default() -> Self {
        Self {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("argon2 parameters are not valid: {0}")]
    Params(argon2::Error),
    #[error("a stored hash is not a valid PHC string")]
    StoredHash,
    #[error("hashing failed")]
    Hashing,
}

#[derive(Clone)]
pub struct SlowHasher {
    argon2: Argon2<'static>,
    dummy: Arc<String>,
    permits: Arc<Semaphore>,
}

impl std::fmt::Debug for SlowHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlowHasher").finish_non_exhaustive()
    }
}

impl SlowHasher {
    pub fn new(cost: HashCost) -> Result<Self, HashError> {
        let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
            .map_err(HashError::Params)?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let dummy = hash_blocking(&argon2, b"recovery-desk dummy secret")?;
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(Self {
            argon2,
            dummy: Arc::new(dummy),
            permits: Arc::new(Semaphore::new(cpus)),
        })
    }

    /// A PHC string (`$argon2id$v=19$…`) with a fresh random salt.
    pub async fn hash(&self, secret: &[u8]) -> Result<String, HashError> {
        let secret = Zeroizing::new(secret.to_vec());
        let argon2 = self.argon2.clone();
        self.run(move || hash_blocking(&argon2, &secret)).await
    }

    /// Checks a secret against a stored PHC string; the cost comes from the stored string.
    pub async fn verify(&self, secret: &[u8], stored: &str) -> Result<bool, HashError> {
        let secret = Zeroizing::new(secret.to_vec());
        let stored = stored.to_owned();
        let argon2 = self.argon2.clone();
        self.run(move || {
            let parsed = PasswordHash::new(&stored).map_err(|_| HashError::StoredHash)?;
            Ok(argon2.verify_password(&secret, &parsed).is_ok())
        })
        .await
    }

    /// Spends the time of one verification and always fails: for unknown users.
    pub async fn verify_dummy(&self, secret: &[u8]) -> Result<bool, HashError> {
        let dummy = Arc::clone(&self.dummy);
        self.verify(secret, &dummy).await.map(|_| false)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, HashError> + Send + 'static,
    ) -> Result<T, HashError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| HashError::Hashing)?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|_| HashError::Hashing)?
    }
}

/// True when the string is an argon2 PHC hash this service can verify (for imports that bring
/// hashes instead of passwords).
pub fn is_supported_hash(value: &str) -> bool {
    PasswordHash::new(value).is_ok_and(|h| h.algorithm.as_str().starts_with("argon2"))
}

fn hash_blocking(argon2: &Argon2<'_>, secret: &[u8]) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2
        .hash_password(secret, &salt)
        .map(|h| h.to_string())
        .map_err(|_| HashError::Hashing)
}
