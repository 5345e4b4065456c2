//! The one-key rule over a scripted transport.

use std::{
    collections::VecDeque,
    fmt,
    path::PathBuf,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Mutex,
    },
    time::Duration,
};

use async_trait::async_trait;
use futures::stream::{self, BoxStream};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use webauthn_authenticator_rs::{
    error::WebauthnCError,
    transport::{Token, TokenEvent, Transport},
    ui::UiCallback,
};
use webauthn_rs_proto::AuthenticatorTransport;

use super::{one_key, Wait};
use crate::security_key::{KeyError, KeyEvent};

#[derive(Debug, PartialEq, Eq)]
struct FakeKey(u32);

#[async_trait]
impl Token for FakeKey {
    type Id = u32;

    fn get_transport(&self) -> AuthenticatorTransport {
        AuthenticatorTransport::Usb
    }

    async fn transmit_raw<U>(&mut self, _: &[u8], _: &U) -> Result<Vec<u8>, WebauthnCError>
    where
        U: UiCallback,
    {
        Err(WebauthnCError::NotSupported)
    }

    async fn cancel(&mut self) -> Result<(), WebauthnCError> {
        Ok(())
    }

    async fn init(&mut self) -> Result<(), WebauthnCError> {
        Ok(())
    }

    async fn close(&mut self) -> Result<(), WebauthnCError> {
        Ok(())
    }
}

enum Step {
    Added(u32),
    Removed(u32),
    Complete,
    Pause(u64),
    /// The watcher dies (the stream ends).
    End,
}
use Step::*;

/// Each `watch()` plays the next script, then stays open; each `tokens()` lists the next keys.
#[derive(Default)]
struct Scripted {
    watches: Mutex<VecDeque<Vec<Step>>>,
    lists: Mutex<VecDeque<Vec<u32>>>,
    watched: AtomicUsize,
}

impl fmt::Debug for Scripted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Scripted")
    }
}

impl Scripted {
    fn new(watches: Vec<Vec<Step>>, lists: Vec<Vec<u32>>) -> Self {
        Self {
            watches: Mutex::new(watches.into()),
            lists: Mutex::new(lists.into()),
            watched: AtomicUsize::new(0),
        }
    }
}

#[async_trait]
impl<'b> Transport<'b> for Scripted {
    type Token = FakeKey;

    async fn watch(&self) -> Result<BoxStream<TokenEvent<FakeKey>>, WebauthnCError> {
        self.watched.fetch_add(1, Ordering::SeqCst);
        let steps = self.watches.lock().unwrap().pop_front().unwrap_or_default();
        Ok(Box::pin(stream::unfold(
            steps.into_iter(),
            |mut steps| async move {
                loop {
                    let event = match steps.next() {
                        Some(Added(id)) => TokenEvent::Added(FakeKey(id)),
                        Some(Removed(id)) => TokenEvent::Removed(id),
                        Some(Complete) => TokenEvent::EnumerationComplete,
                        Some(Pause(ms)) => {
                            tokio::time::sleep(Duration::from_millis(ms)).await;
                            continue;
                        }
                        Some(End) => return None,
                        None => futures::future::pending().await,
                    };
                    return Some((event, steps));
                }
            },
        )))
    }

    async fn tokens(&self) -> Result<Vec<FakeKey>, WebauthnCError> {
        let ids = self.lists.lock().unwrap().pop_front().unwrap_or_default();
        Ok(ids.into_iter().map(FakeKey).collect())
    }
}

struct Outcome {
    result: Result<FakeKey, KeyError>,
    events: Vec<KeyEvent>,
}

async fn discover(
    transport: &Scripted,
    denied: impl FnMut() -> Vec<PathBuf> + Send,
    timeout_ms: u64,
    cancel: &CancellationToken,
) -> Outcome {
    let (events, mut received) = mpsc::unbounded_channel();
    let wait = Wait {
        events: &events,
        cancel,
        deadline: tokio::time::Instant::now() + Duration::from_millis(timeout_ms),
        probe_interval: Duration::from_millis(20),
    };
    let result = one_key(transport, denied, wait).await;
    drop(events);
    let mut seen = Vec::new();
    while let Some(event) = received.recv().await {
        seen.push(event);
    }
    Outcome {
        result,
        events: seen,
    }
}

fn nothing_denied() -> Vec<PathBuf> {
    Vec::new()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_only_key_plugged_in_is_chosen_without_a_word() {
    let transport = Scripted::new(vec![vec![Added(1), Complete]], vec![]);
    let outcome = discover(&transport, nothing_denied, 2_000, &CancellationToken::new()).await;
    assert_eq!(outcome.result, Ok(FakeKey(1)));
    assert_eq!(outcome.events, vec![]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_key_it_waits_for_one() {
    let transport = Scripted::new(vec![vec![Complete, Pause(100), Added(7)]], vec![]);
    let outcome = discover(&transport, nothing_denied, 2_000, &CancellationToken::new()).await;
    assert_eq!(outcome.result, Ok(FakeKey(7)));
    assert_eq!(outcome.events, vec![KeyEvent::WaitingForKey]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_several_keys_it_waits_until_one_is_left() {
    let first = vec![
        Added(1),
        Added(2),
        Complete,
        Pause(50),
        Added(3),
        Pause(50),
        Removed(1),
        Pause(50),
        Removed(2),
    ];
    // Which key is left is only known by asking again.
    let again = vec![Added(3), Complete];
    let transport = Scripted::new(vec![first, again], vec![]);
    let outcome = discover(&transport, nothing_denied, 2_000, &CancellationToken::new()).await;
    assert_eq!(outcome.result, Ok(FakeKey(3)));
    assert_eq!(
        outcome.events,
        vec![
            KeyEvent::TooManyKeys { count: 2 },
            KeyEvent::TooManyKeys { count: 3 },
            KeyEvent::TooManyKeys { count: 2 },
        ]
    );
    assert_eq!(transport.watched.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_that_cannot_be_opened_is_no_permission_not_no_key() {
    let transport = Scripted::new(vec![vec![Complete]], vec![]);
    let started = std::time::Instant::now();
    let denied = || vec![PathBuf::from("/dev/hidraw3")];
    let outcome = discover(&transport, denied, 5_000, &CancellationToken::new()).await;
    assert_eq!(outcome.result, Err(KeyError::NoPermission));
    // Said at once (the second probe), not at the deadline, and never "insert your key".
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(outcome.events, vec![]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_refused_once_is_given_time_for_udev() {
    let transport = Scripted::new(vec![vec![Complete, Pause(150), Added(4)]], vec![]);
    let mut probes = 0;
    let denied = move || {
        probes += 1;
        if probes == 1 {
            vec![PathBuf::from("/dev/hidraw4")]
        } else {
            Vec::new()
        }
    };
    let outcome = discover(&transport, denied, 2_000, &CancellationToken::new()).await;
    assert_eq!(outcome.result, Ok(FakeKey(4)));
    assert_eq!(outcome.events, vec![KeyEvent::WaitingForKey]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deadline_and_cancel_end_the_wait() {
    let none = Scripted::new(vec![vec![Complete]], vec![]);
    let outcome = discover(&none, nothing_denied, 100, &CancellationToken::new()).await;
    assert_eq!(outcome.result, Err(KeyError::NoKey));

    let two = Scripted::new(vec![vec![Added(1), Added(2), Complete]], vec![]);
    let outcome = discover(&two, nothing_denied, 100, &CancellationToken::new()).await;
    assert_eq!(outcome.result, Err(KeyError::TooManyKeys));

    let none = Scripted::new(vec![vec![Complete]], vec![]);
    let cancel = CancellationToken::new();
    let later = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        later.cancel();
    });
    let outcome = discover(&none, nothing_denied, 5_000, &cancel).await;
    assert_eq!(outcome.result, Err(KeyError::Cancelled));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_watcher_keys_are_listed_at_each_tick() {
    let transport = Scripted::new(vec![vec![End]], vec![vec![], vec![1, 2], vec![2]]);
    let outcome = discover(&transport, nothing_denied, 2_000, &CancellationToken::new()).await;
    assert_eq!(outcome.result, Ok(FakeKey(2)));
    assert_eq!(
        outcome.events,
        vec![KeyEvent::WaitingForKey, KeyEvent::TooManyKeys { count: 2 }]
    );
}
