//! argon2id for the low-entropy secrets: passwords, date of birth + PIN, bypass codes.
//!
//! Hashing is deliberately slow, so it runs on the blocking pool, and at most one hash per CPU
//! runs at a time: more would only make every request wait longer for the same throughput.
//! The slot is held by the hashing thread itself, until it ends: a caller that goes away does
//! not free it while the hash still runs.
//!
//! A check must cost the same whatever it finds (no account enumeration by timing), and the
//! cost of a check is the cost stored in the hash it is checked against. So callers check
//! unknown usernames against a dummy hash with the parameters of a real record
//! ([`SlowHasher::dummy_with`]), and upgrade outdated hashes after a success
//! ([`SlowHasher::is_outdated`]).

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc, Condvar, Mutex,
};

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Algorithm, Argon2, Params, Version,
};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use zeroize::Zeroizing;

/// argon2id cost; the defaults are OWASP's minimum for argon2id (19 MiB, 2 passes, 1 lane).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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

impl HashCost {
    /// The cost stored in a PHC string, when it is an argon2 hash.
    pub fn of_stored(stored: &str) -> Option<Self> {
        let parsed = PasswordHash::new(stored).ok()?;
        let params = Params::try_from(&parsed).ok()?;
        Some(Self {
            memory_kib: params.m_cost(),
            iterations: params.t_cost(),
            parallelism: params.p_cost(),
        })
    }

    fn argon2(self) -> Result<Argon2<'static>, HashError> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(HashError::Params)?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
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

/// The secret behind every dummy hash; checking anything against a dummy is thrown away.
const DUMMY_SECRET: &[u8] = b"recovery-desk dummy secret";

#[derive(Clone)]
pub struct SlowHasher {
    cost: HashCost,
    argon2: Argon2<'static>,
    dummy: Arc<String>,
    permits: Arc<Semaphore>,
    concurrency: usize,
    probe: Arc<HashProbe>,
}

impl std::fmt::Debug for SlowHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlowHasher")
            .field("cost", &self.cost)
            .finish_non_exhaustive()
    }
}

impl SlowHasher {
    pub fn new(cost: HashCost) -> Result<Self, HashError> {
        let argon2 = cost.argon2()?;
        let dummy = hash_blocking(&argon2, DUMMY_SECRET)?;
        let concurrency = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(Self {
            cost,
            argon2,
            dummy: Arc::new(dummy),
            permits: Arc::new(Semaphore::new(concurrency)),
            concurrency,
            probe: Arc::new(HashProbe::default()),
        })
    }

    /// The configured cost: what new hashes get.
    pub fn cost(&self) -> HashCost {
        self.cost
    }

    /// How many hashes may run at once.
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// A PHC string (`$argon2id$v=19$…`) with a fresh random salt.
    pub async fn hash(&self, secret: &[u8]) -> Result<String, HashError> {
        let secret = Zeroizing::new(secret.to_vec());
        let argon2 = self.argon2.clone();
        self.run(HashWork::Hash(self.cost), move || {
            hash_blocking(&argon2, &secret)
        })
        .await
    }

    /// Checks a secret against a stored PHC string; the cost comes from the stored string.
    pub async fn verify(&self, secret: &[u8], stored: &str) -> Result<bool, HashError> {
        let secret = Zeroizing::new(secret.to_vec());
        let stored = stored.to_owned();
        let argon2 = self.argon2.clone();
        let work = HashCost::of_stored(&stored).map_or(HashWork::Unparsable, HashWork::Verify);
        self.run(work, move || {
            let parsed = PasswordHash::new(&stored).map_err(|_| HashError::StoredHash)?;
            Ok(argon2.verify_password(&secret, &parsed).is_ok())
        })
        .await
    }

    /// Spends the work of one verification at the configured cost and always fails: for
    /// secrets that have nothing stored to check against.
    pub async fn verify_dummy(&self, secret: &[u8]) -> Result<bool, HashError> {
        let dummy = Arc::clone(&self.dummy);
        self.verify(secret, &dummy).await.map(|_| false)
    }

    /// A dummy hash at the given cost, to check unknown usernames against at the cost real
    /// records have.
    pub async fn dummy_with(&self, cost: HashCost) -> Result<String, HashError> {
        let argon2 = cost.argon2()?;
        self.run(HashWork::Hash(cost), move || {
            hash_blocking(&argon2, DUMMY_SECRET)
        })
        .await
    }

    /// True when a stored hash is not argon2id at the configured cost: rehash it once the
    /// secret is known to be right.
    pub fn is_outdated(&self, stored: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(stored) else {
            return true;
        };
        parsed.algorithm.as_str() != Algorithm::Argon2id.as_str()
            || parsed.version != Some(Version::V0x13.into())
            || HashCost::of_stored(stored) != Some(self.cost)
    }

    /// What this hasher has done, for tests that assert equal work and bounded concurrency.
    pub fn probe(&self) -> &HashProbe {
        &self.probe
    }

    async fn run<T: Send + 'static>(
        &self,
        work: HashWork,
        job: impl FnOnce() -> Result<T, HashError> + Send + 'static,
    ) -> Result<T, HashError> {
        self.probe.ask(work);
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| HashError::Hashing)?;
        let probe = Arc::clone(&self.probe);
        tokio::task::spawn_blocking(move || {
            // The slot goes back when the thread is done, not when the caller stops waiting.
            let _permit = permit;
            let _running = probe.start();
            job()
        })
        .await
        .map_err(|_| HashError::Hashing)?
    }
}

/// One call into argon2, as the probe records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashWork {
    Hash(HashCost),
    Verify(HashCost),
    /// A verification against a string that is not an argon2 PHC hash (it fails at once).
    Unparsable,
}

/// Counters of the hashing work: how much was asked for, how many hashes ran at once, and
/// (while recording) each call with its cost. Tests can also hold hashing threads at their
/// start to act while checks are under way; nothing holds them unless a test asks.
#[derive(Debug, Default)]
pub struct HashProbe {
    asked: AtomicUsize,
    running: AtomicUsize,
    most_running: AtomicUsize,
    log: Mutex<Option<Vec<HashWork>>>,
    held: Mutex<bool>,
    released: Condvar,
}

impl HashProbe {
    /// How many hashes were asked for, including those still waiting for a slot.
    pub fn asked_count(&self) -> usize {
        self.asked.load(Ordering::SeqCst)
    }

    /// How many hashing threads run now.
    pub fn running(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    /// The most hashing threads that ever ran at once.
    pub fn most_running(&self) -> usize {
        self.most_running.load(Ordering::SeqCst)
    }

    /// Starts recording each call (forgetting what was recorded before).
    pub fn record(&self) {
        if let Ok(mut log) = self.log.lock() {
            *log = Some(Vec::new());
        }
    }

    /// What was recorded since [`HashProbe::record`], and stops recording.
    pub fn recorded(&self) -> Vec<HashWork> {
        self.log
            .lock()
            .ok()
            .and_then(|mut log| log.take())
            .unwrap_or_default()
    }

    /// Makes every hashing thread wait at its start until [`HashProbe::release`].
    pub fn hold(&self) {
        if let Ok(mut held) = self.held.lock() {
            *held = true;
        }
    }

    pub fn release(&self) {
        if let Ok(mut held) = self.held.lock() {
            *held = false;
        }
        self.released.notify_all();
    }

    fn ask(&self, work: HashWork) {
        self.asked.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut log) = self.log.lock() {
            if let Some(log) = log.as_mut() {
                log.push(work);
            }
        }
    }

    fn start(&self) -> Running<'_> {
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_running.fetch_max(now, Ordering::SeqCst);
        if let Ok(held) = self.held.lock() {
            let _released = self.released.wait_while(held, |held| *held);
        }
        Running(self)
    }
}

/// A hashing thread at work; counts down when it ends.
struct Running<'a>(&'a HashProbe);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::SeqCst);
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
