//! Waiting for the app: how long ([`WAIT`]), how often ([`POLL`]), and the loop that tries
//! again ([`wait_until`]).

use std::future::Future;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};

/// How long an element may take to appear (a debug build hashing passwords with argon2 on a
/// busy two-core machine).
pub const WAIT: Duration = Duration::from_secs(30);
pub(crate) const POLL: Duration = Duration::from_millis(100);

/// Runs `attempt` every [`POLL`] until it breaks with a value; once `wait` has passed, fails
/// with the reason the last attempt gave for going on. An attempt's error ends the wait.
pub(crate) async fn wait_until<T, F>(wait: Duration, mut attempt: impl FnMut() -> F) -> Result<T>
where
    F: Future<Output = Result<ControlFlow<T, String>>>,
{
    let start = Instant::now();
    loop {
        match attempt().await? {
            ControlFlow::Break(value) => return Ok(value),
            ControlFlow::Continue(why) => {
                if start.elapsed() > wait {
                    bail!("{why}");
                }
            }
        }
        tokio::time::sleep(POLL).await;
    }
}
