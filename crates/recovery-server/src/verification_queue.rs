//! A bound on verifications under way, across all clients.
//!
//! A verification runs to its end even when the client hangs up (see
//! `flows::verify::open_session_to_the_end`), so hanging up no longer frees anything early:
//! without a bound, requests that are sent and dropped would pile up checks waiting for a
//! hashing slot. Beyond `throttle.verifications_in_flight` (hashing slots included) a new
//! verification is refused at once with `service_busy`, before it is charged or checked.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Debug, Clone)]
pub struct VerificationQueue {
    places: Arc<Semaphore>,
}

/// A place in the queue, held by the verification until it ends.
#[derive(Debug)]
pub struct QueuePlace {
    _place: OwnedSemaphorePermit,
}

impl VerificationQueue {
    pub fn new(places: u32) -> Self {
        let places = usize::try_from(places.max(1)).unwrap_or(1);
        Self {
            places: Arc::new(Semaphore::new(places)),
        }
    }

    /// A place, or `None` when every place is taken.
    pub fn enter(&self) -> Option<QueuePlace> {
        Arc::clone(&self.places)
            .try_acquire_owned()
            .ok()
            .map(|place| QueuePlace { _place: place })
    }
}
