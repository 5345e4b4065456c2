//! Time, injected: the service never asks the system clock directly, so tests move time
//! instead of sleeping.

use std::sync::{
    atomic::{AtomicI64, Ordering},
    Arc,
};

use time::{Duration, OffsetDateTime};

pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that stands still until moved; for tests and benchmarks.
#[derive(Debug, Clone)]
pub struct ManualClock {
    unix_millis: Arc<AtomicI64>,
}

impl ManualClock {
    pub fn starting_at(at: OffsetDateTime) -> Self {
        let millis = (at.unix_timestamp_nanos() / 1_000_000) as i64;
        Self {
            unix_millis: Arc::new(AtomicI64::new(millis)),
        }
    }

    pub fn advance(&self, by: Duration) {
        self.unix_millis
            .fetch_add(by.whole_milliseconds() as i64, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        let millis = self.unix_millis.load(Ordering::SeqCst);
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

/// Times are stored as whole Unix seconds.
pub fn to_unix(at: OffsetDateTime) -> i64 {
    at.unix_timestamp()
}

pub fn from_unix(seconds: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}
