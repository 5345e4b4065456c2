//! Daily caps on what the service sends on someone's behalf: notices by e-mail, verification
//! calls and texts. A recovery session could otherwise make the service mail, text or call
//! without end (to the person, or to a third party's landline).
//!
//! Each send is *charged before anything goes out*, per person and per session, in the
//! database (several instances share it): one conditional upsert per counter, so parallel
//! requests never get past a cap. A counter's day starts at its first send and ends 24 hours
//! later; a refusal says when that day ends, which is when a slot is free again.
//!
//! A notice announces a change to the account, so it is charged with the change: when the
//! notice cap is reached the change itself is refused, and nothing ever changes unannounced.
//! A charge whose action fails is given back; one left behind by a crash or a client that hung
//! up only counts against the cap, it never lets anything more through.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use time::OffsetDateTime;

use crate::{
    clock::{from_unix, to_unix},
    directory::PersonId,
    storage::Database,
};

const DAY_SECONDS: i64 = 24 * 60 * 60;

/// `[limits]`: how much may be sent per person and per recovery session in a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SendingLimits {
    /// Account-change notices (each goes to every notification address of the person).
    pub notices_per_person: u32,
    pub notices_per_session: u32,
    /// Verification calls (adding a landline).
    pub calls_per_person: u32,
    pub calls_per_session: u32,
    /// Text messages (activation links).
    pub texts_per_person: u32,
    pub texts_per_session: u32,
}

impl Default for SendingLimits {
    fn default() -> Self {
        Self {
            notices_per_person: 20,
            notices_per_session: 10,
            calls_per_person: 5,
            calls_per_session: 3,
            texts_per_person: 5,
            texts_per_session: 3,
        }
    }
}

/// One thing the service sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sending {
    /// An account-change notice by e-mail.
    Notice,
    /// A verification call.
    Call,
    /// A text message.
    Text,
}

impl Sending {
    fn as_str(self) -> &'static str {
        match self {
            Self::Notice => "notice",
            Self::Call => "call",
            Self::Text => "text",
        }
    }

    fn caps(self, limits: &SendingLimits) -> (u32, u32) {
        match self {
            Self::Notice => (limits.notices_per_person, limits.notices_per_session),
            Self::Call => (limits.calls_per_person, limits.calls_per_session),
            Self::Text => (limits.texts_per_person, limits.texts_per_session),
        }
    }
}

/// A cap is reached; a slot frees at `retry_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapReached {
    pub retry_at: OffsetDateTime,
}

/// Sends charged to their counters; [`Charge::give_back`] when the action did not happen.
#[derive(Debug)]
#[must_use]
pub struct Charge {
    caps: SendingCaps,
    taken: Vec<Taken>,
}

#[derive(Debug, Clone)]
struct Taken {
    scope: String,
    channel: &'static str,
    window_start: i64,
}

#[derive(Debug, Clone)]
pub struct SendingCaps {
    db: Database,
    limits: SendingLimits,
}

impl SendingCaps {
    pub fn new(db: Database, limits: SendingLimits) -> Self {
        Self { db, limits }
    }

    /// Charges every send to the person and, when given, to the session: all of them, or none
    /// when one counter is full.
    pub async fn charge(
        &self,
        person: &PersonId,
        session: Option<&str>,
        sends: &[Sending],
        now: OffsetDateTime,
    ) -> Result<Result<Charge, CapReached>, sqlx::Error> {
        let mut charge = Charge {
            caps: self.clone(),
            taken: Vec::new(),
        };
        for &sending in sends {
            let (per_person, per_session) = sending.caps(&self.limits);
            // The session's counter first: a charge refused by the person's counter gives the
            // session's slot back, so while the person has room no session ever refuses for
            // slots that are about to be given back.
            let mut counters = Vec::with_capacity(2);
            if let Some(session) = session {
                counters.push((format!("session:{session}"), per_session));
            }
            counters.push((format!("person:{}", person.0), per_person));
            for (scope, cap) in counters {
                match self.take(&scope, sending.as_str(), cap, now).await {
                    Ok(Ok(taken)) => charge.taken.push(taken),
                    Ok(Err(reached)) => {
                        charge.give_back().await;
                        return Ok(Err(reached));
                    }
                    Err(error) => {
                        charge.give_back().await;
                        return Err(error);
                    }
                }
            }
        }
        Ok(Ok(charge))
    }

    /// One slot from one counter, or the end of its full day.
    async fn take(
        &self,
        scope: &str,
        channel: &'static str,
        cap: u32,
        now: OffsetDateTime,
    ) -> Result<Result<Taken, CapReached>, sqlx::Error> {
        let at = to_unix(now);
        if cap > 0 {
            let charged = sqlx::query(
                "INSERT INTO sending_counts (scope, channel, window_start, sent) VALUES ($1, $2, $3, 1) \
                 ON CONFLICT (scope, channel) DO UPDATE SET \
                   sent = CASE WHEN sending_counts.window_start <= $4 THEN 1 \
                               ELSE sending_counts.sent + 1 END, \
                   window_start = CASE WHEN sending_counts.window_start <= $4 THEN $3 \
                                       ELSE sending_counts.window_start END \
                 WHERE sending_counts.window_start <= $4 OR sending_counts.sent < $5 \
                 RETURNING window_start",
            )
            .bind(scope)
            .bind(channel)
            .bind(at)
            .bind(at - DAY_SECONDS)
            .bind(i64::from(cap))
            .fetch_optional(self.db.pool())
            .await?;
            if let Some(row) = charged {
                return Ok(Ok(Taken {
                    scope: scope.to_owned(),
                    channel,
                    window_start: row.try_get("window_start")?,
                }));
            }
        }
        let window_start: i64 = sqlx::query(
            "SELECT window_start FROM sending_counts WHERE scope = $1 AND channel = $2",
        )
        .bind(scope)
        .bind(channel)
        .fetch_optional(self.db.pool())
        .await?
        .map(|row| row.try_get("window_start"))
        .transpose()?
        .unwrap_or(at);
        Ok(Err(CapReached {
            retry_at: from_unix(window_start + DAY_SECONDS),
        }))
    }
}

impl Charge {
    /// Keeps the charge when the action happened, gives it back when it did not.
    pub async fn settle<T, E>(self, result: Result<T, E>) -> Result<T, E> {
        if result.is_err() {
            self.give_back().await;
        }
        result
    }

    /// Gives every slot back to the day it was taken from (not to a later day).
    pub async fn give_back(mut self) {
        for taken in std::mem::take(&mut self.taken) {
            let result = sqlx::query(
                "UPDATE sending_counts SET sent = sent - 1 \
                 WHERE scope = $1 AND channel = $2 AND window_start = $3 AND sent > 0",
            )
            .bind(&taken.scope)
            .bind(taken.channel)
            .bind(taken.window_start)
            .execute(self.caps.db.pool())
            .await;
            if let Err(error) = result {
                tracing::warn!(%error, "a sending charge was not given back");
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use time::Duration;

    use super::*;

    async fn caps(limits: SendingLimits) -> (tempfile::TempDir, SendingCaps) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let db = Database::open(&url).await.unwrap();
        (dir, SendingCaps::new(db, limits))
    }

    fn limits() -> SendingLimits {
        SendingLimits {
            calls_per_session: 1,
            calls_per_person: 2,
            ..SendingLimits::default()
        }
    }

    #[tokio::test]
    async fn a_refused_charge_takes_nothing_and_says_when_the_day_ends() {
        let (_dir, caps) = caps(limits()).await;
        let ada = PersonId("ada".to_owned());
        let t0 = OffsetDateTime::now_utc();
        let first = caps
            .charge(&ada, Some("s1"), &[Sending::Call, Sending::Notice], t0)
            .await
            .unwrap();
        assert!(first.is_ok());
        let later = t0 + Duration::minutes(5);
        let refused = caps
            .charge(&ada, Some("s1"), &[Sending::Notice, Sending::Call], later)
            .await
            .unwrap();
        assert_eq!(
            refused.err().map(|r| to_unix(r.retry_at)),
            Some(to_unix(t0) + DAY_SECONDS)
        );
        // The notice charged before the call was refused was given back: the session's
        // notices are at 1 of 10, so 9 more go through.
        for _ in 0..9 {
            let notice = caps
                .charge(&ada, Some("s1"), &[Sending::Notice], later)
                .await
                .unwrap();
            assert!(notice.is_ok());
        }
        assert!(caps
            .charge(&ada, Some("s1"), &[Sending::Notice], later)
            .await
            .unwrap()
            .is_err());
    }

    #[tokio::test]
    async fn a_charge_given_back_late_never_frees_a_slot_of_a_newer_day() {
        let (_dir, caps) = caps(limits()).await;
        let ada = PersonId("ada".to_owned());
        let t0 = OffsetDateTime::now_utc();
        let old = caps
            .charge(&ada, None, &[Sending::Call], t0)
            .await
            .unwrap()
            .unwrap();
        let next_day = t0 + Duration::days(1);
        for _ in 0..2 {
            let taken = caps
                .charge(&ada, None, &[Sending::Call], next_day)
                .await
                .unwrap();
            assert!(taken.is_ok());
        }
        old.give_back().await;
        let over = caps
            .charge(&ada, None, &[Sending::Call], next_day)
            .await
            .unwrap();
        assert!(over.is_err(), "the new day's two calls are still counted");
    }
}
