//! How long a [`crate::DuoClient`] waits: the per-request timeout and Duo's 429 backoff.

use std::time::Duration;

use crate::DuoConfig;

/// The 429 schedule. Production uses [`Backoff::duo`]; tests shrink it to milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first wait; each later one doubles.
    pub first_wait: Duration,
    /// Give up once the next wait would be longer than this.
    pub max_wait: Duration,
    /// Uniform random extra per wait, so clients limited together do not retry together.
    pub max_jitter: Duration,
}

impl Backoff {
    /// Duo's official schedule: 1 s, doubling, plus up to 1 s of jitter.
    pub fn duo(max_wait: Duration) -> Self {
        Self {
            first_wait: Duration::from_secs(1),
            max_wait,
            max_jitter: Duration::from_secs(1),
        }
    }
}

/// Timing knobs of a [`DuoClient`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuning {
    /// Per request, connection included.
    pub timeout: Duration,
    pub backoff: Backoff,
}

impl Tuning {
    pub fn from_config(config: &DuoConfig) -> Self {
        Self {
            timeout: Duration::from_secs(config.timeout_seconds),
            backoff: Backoff::duo(Duration::from_secs(config.max_retry_wait_seconds)),
        }
    }
}
