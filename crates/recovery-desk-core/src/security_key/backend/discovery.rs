//! Choosing the one key to register from a transport's `watch()` (design §1.2).
//!
//! Not `select_one_device`: on CTAP 2.0 keys it selects with a dummy makeCredential that
//! some keys count as a wrong PIN, and it would hide "more than one key". Not `AnyTransport`:
//! its stub variant panics. Instead: collect `Added` until `EnumerationComplete`; exactly
//! one key is the answer; none means waiting for one; more than one means asking the person
//! to remove the others. `Removed` only names a token's id, which `USBToken` does not expose,
//! so once a surplus key is removed the transport is enumerated again.
//!
//! Generic over the transport so that the rule is tested without hardware.

use std::{path::PathBuf, time::Duration};

use futures::StreamExt as _;
use tokio::{sync::mpsc::UnboundedSender, time::Instant};
use tokio_util::sync::CancellationToken;
use webauthn_authenticator_rs::transport::{TokenEvent, Transport};

use crate::security_key::{KeyError, KeyEvent};

/// How often discovery looks for keys that cannot be opened while it waits, and (when the
/// transport's watcher is gone) for keys at all.
pub(super) const PROBE_INTERVAL: Duration = Duration::from_millis(500);

/// How discovery waits.
pub(super) struct Wait<'a> {
    pub(super) events: &'a UnboundedSender<KeyEvent>,
    pub(super) cancel: &'a CancellationToken,
    pub(super) deadline: Instant,
    pub(super) probe_interval: Duration,
}

/// What the person has been told, so that each state is shown once.
struct Shown<'a> {
    events: &'a UnboundedSender<KeyEvent>,
    last: Option<KeyEvent>,
    /// Nodes the previous probe could not open.
    suspects: Vec<PathBuf>,
}

impl Shown<'_> {
    fn show(&mut self, event: KeyEvent) {
        if self.last.as_ref() != Some(&event) {
            // The receiver may be gone (the UI closed); discovery goes on until cancelled.
            let _ = self.events.send(event.clone());
            self.last = Some(event);
        }
    }

    /// Records a probe. A FIDO node refused twice in a row means "no permission"; once may
    /// be udev still applying its rule to a key just plugged in.
    fn probe(&mut self, denied: Vec<PathBuf>) -> Result<(), KeyError> {
        if denied.iter().any(|node| self.suspects.contains(node)) {
            tracing::warn!(nodes = ?denied, "a security key is plugged in but may not be opened");
            return Err(KeyError::NoPermission);
        }
        self.suspects = denied;
        if self.suspects.is_empty() {
            self.show(KeyEvent::WaitingForKey);
        }
        Ok(())
    }
}

/// Keys seen in one `watch()` session.
struct Session<T> {
    count: usize,
    /// The key, when exactly one is plugged in and it is known which.
    only: Option<T>,
    enumerated: bool,
}

/// The one key plugged in. `denied` lists the FIDO nodes that cannot be opened (none
/// outside Linux). Ends with `Cancelled` on cancel; at the deadline with `NoKey`, or
/// `TooManyKeys` if more than one key stayed plugged in.
pub(super) async fn one_key<'b, Tr>(
    transport: &Tr,
    mut denied: impl FnMut() -> Vec<PathBuf> + Send,
    wait: Wait<'_>,
) -> Result<Tr::Token, KeyError>
where
    Tr: Transport<'b> + Sync,
{
    let mut shown = Shown {
        events: wait.events,
        last: None,
        suspects: Vec::new(),
    };
    let mut ticks = tokio::time::interval(wait.probe_interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let deadline = tokio::time::sleep_until(wait.deadline);
    tokio::pin!(deadline);
    let ends = |session_count: usize| {
        if session_count > 1 {
            KeyError::TooManyKeys
        } else {
            KeyError::NoKey
        }
    };

    'enumerate: loop {
        let mut stream = match transport.watch().await {
            Ok(stream) => stream,
            Err(error) => {
                tracing::warn!(%error, "security keys cannot be watched; polling instead");
                break 'enumerate;
            }
        };
        let mut session = Session {
            count: 0,
            only: None,
            enumerated: false,
        };
        loop {
            if session.enumerated {
                if let Some(key) = session.only.take() {
                    return Ok(key);
                }
            }
            tokio::select! {
                biased;
                _ = wait.cancel.cancelled() => return Err(KeyError::Cancelled),
                _ = &mut deadline => return Err(ends(session.count)),
                event = stream.next() => match event {
                    Some(TokenEvent::Added(key)) => {
                        session.count += 1;
                        // Only the first of no keys is known to be the one left.
                        session.only = (session.count == 1).then_some(key);
                    }
                    Some(TokenEvent::Removed(_)) => {
                        session.count = session.count.saturating_sub(1);
                        session.only = None;
                        if session.enumerated && session.count == 1 {
                            // Which one is left is unknown: ask the transport again.
                            continue 'enumerate;
                        }
                    }
                    Some(TokenEvent::EnumerationComplete) => session.enumerated = true,
                    None => {
                        tracing::warn!("the security-key watcher stopped; polling instead");
                        break 'enumerate;
                    }
                },
                _ = ticks.tick(), if session.enumerated && session.count == 0 => {
                    shown.probe(denied())?;
                }
            }
            if session.enumerated && session.count > 1 {
                shown.show(KeyEvent::TooManyKeys {
                    count: session.count,
                });
            }
        }
    }

    // Without a watcher (no udev monitor in some sandboxes): list the keys at each tick.
    let mut count = 0;
    loop {
        tokio::select! {
            biased;
            _ = wait.cancel.cancelled() => return Err(KeyError::Cancelled),
            _ = &mut deadline => return Err(ends(count)),
            _ = ticks.tick() => {}
        }
        let mut keys = transport.tokens().await.unwrap_or_else(|error| {
            tracing::debug!(%error, "security keys cannot be listed");
            Vec::new()
        });
        count = keys.len();
        match keys.pop() {
            Some(key) if count == 1 => return Ok(key),
            Some(_) => shown.show(KeyEvent::TooManyKeys { count }),
            None => shown.probe(denied())?,
        }
    }
}

#[cfg(test)]
mod tests;
