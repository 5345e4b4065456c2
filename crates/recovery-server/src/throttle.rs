//! Guessing throttle for verification.
//!
//! Date of birth + PIN is weak knowledge, so guessing is limited hard, per account and per
//! client (kiosk or network address):
//!
//! - 5 failures in a row lock self-service for that username for 15 minutes;
//! - 10 failures within 24 hours lock it until the help desk runs `unlock`;
//! - 20 failures from one client within 15 minutes stop that client until the window ends.
//!
//! Usernames are throttled whether they exist or not, so a lock says nothing about an account.
//!
//! An attempt is *charged before it is checked*: [`Throttle::reserve`] atomically counts the
//! failures on record and the attempts still being checked, and refuses when together they
//! reach the limit, so parallel guesses cannot slip past it while earlier ones are still being
//! hashed. An attempt in flight is a row with a deadline (`attempt_deadline_seconds`): when a
//! crash keeps it from being settled, it stops counting at its deadline, so a crash costs the
//! right person at most that long. A failure is recorded and stays; a success clears the run.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::{
    clock::{from_unix, to_unix},
    storage::{Database, UnitOfWork},
};

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ThrottlePolicy {
    pub consecutive_failures: u32,
    pub lockout_minutes: u32,
    pub daily_failures: u32,
    pub client_failures: u32,
    pub client_window_minutes: u32,
    /// An attempt not settled by then (the service died while checking it) stops counting
    /// against the username. Longer than any check takes, queue included.
    pub attempt_deadline_seconds: u32,
    /// Verifications under way or waiting for a hashing slot, across all clients; beyond it
    /// requests are refused with `service_busy` instead of queueing without bound.
    pub verifications_in_flight: u32,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            consecutive_failures: 5,
            lockout_minutes: 15,
            daily_failures: 10,
            client_failures: 20,
            client_window_minutes: 15,
            attempt_deadline_seconds: 60,
            verifications_in_flight: 64,
        }
    }
}

/// Why an attempt may not go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Locked until the instant, or until the help desk unlocks when `None`.
    Locked { until: Option<OffsetDateTime> },
    /// Too many attempts (from this client, or in flight for this account); retry at the instant.
    TooManyAttempts { retry_at: OffsetDateTime },
}

/// A username's lock, as [`Throttle::lock_state`] reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    Open,
    /// 5 in a row: locked until the instant.
    Until(OffsetDateTime),
    /// 10 in a day: locked until the help desk unlocks.
    UntilHelpDesk,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockState {
    pub lock: Lock,
    pub failures_last_day: u32,
}

/// What a recorded failure led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    StillOpen,
    Locked { until: Option<OffsetDateTime> },
}

/// A charged attempt; give it to [`Throttle::succeeded`] or [`Throttle::failed`].
///
/// An attempt that ends neither way (an error on the way) gives its charge back when dropped:
/// otherwise five such requests would leave the username refused without a single guess having
/// been checked. When the process dies instead, the attempt's deadline ends the charge.
#[derive(Debug)]
#[must_use]
pub struct Reservation {
    throttle: Throttle,
    attempt: String,
    username: String,
    client: String,
    settled: bool,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (throttle, attempt, client) = (
            self.throttle.clone(),
            self.attempt.clone(),
            self.client.clone(),
        );
        runtime.spawn(async move {
            if let Err(error) = throttle.give_back(&attempt, &client).await {
                tracing::warn!(%error, "an abandoned attempt's throttle charge was not given back");
            }
        });
    }
}

#[derive(Debug, Clone)]
pub struct Throttle {
    db: Database,
    policy: ThrottlePolicy,
}

const DAY_SECONDS: i64 = 24 * 60 * 60;
/// When an account is only busy with attempts still in flight, ask to retry shortly.
const IN_FLIGHT_RETRY_SECONDS: i64 = 5;

impl Throttle {
    pub fn new(db: Database, policy: ThrottlePolicy) -> Self {
        Self { db, policy }
    }

    pub fn policy(&self) -> &ThrottlePolicy {
        &self.policy
    }

    /// Charges one attempt to the client and to the username, or refuses without charging.
    pub async fn reserve(
        &self,
        username: &str,
        client: &str,
        now: OffsetDateTime,
    ) -> Result<Result<Reservation, Refusal>, sqlx::Error> {
        if let Err(refusal) = self.reserve_client(client, now).await? {
            return Ok(Err(refusal));
        }
        let account = self.reserve_account(username, now).await;
        if !matches!(account, Ok(Ok(_))) {
            self.refund_client(client).await?;
        }
        let attempt = match account? {
            Ok(attempt) => attempt,
            Err(refusal) => return Ok(Err(refusal)),
        };
        Ok(Ok(Reservation {
            throttle: self.clone(),
            attempt,
            username: username.to_owned(),
            client: client.to_owned(),
            settled: false,
        }))
    }

    pub async fn succeeded(&self, mut reservation: Reservation) -> Result<(), sqlx::Error> {
        // The username's row first, in the same order as every other settlement: no deadlock.
        let mut work = UnitOfWork::new(&self.db);
        sqlx::query("UPDATE account_throttle SET in_a_row = 0 WHERE username = $1")
            .bind(&reservation.username)
            .execute(work.conn().await?)
            .await?;
        sqlx::query("DELETE FROM verification_attempts WHERE id = $1")
            .bind(&reservation.attempt)
            .execute(work.conn().await?)
            .await?;
        work.commit().await?;
        reservation.settled = true;
        self.refund_client(&reservation.client).await
    }

    /// Undoes a charge whose attempt was never checked.
    async fn give_back(&self, attempt: &str, client: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM verification_attempts WHERE id = $1")
            .bind(attempt)
            .execute(self.db.pool())
            .await?;
        self.refund_client(client).await
    }

    /// Records the failure and locks the username when it reaches a limit.
    pub async fn failed(
        &self,
        mut reservation: Reservation,
        now: OffsetDateTime,
    ) -> Result<AfterFailure, sqlx::Error> {
        let at = to_unix(now);
        let username = reservation.username.clone();
        let mut work = UnitOfWork::new(&self.db);
        // The attempt becomes a failure on record, in one step.
        let in_a_row: i64 = sqlx::query(
            "INSERT INTO account_throttle (username, in_a_row, locked_until, help_desk_lock) \
             VALUES ($1, 1, 0, 0) \
             ON CONFLICT (username) DO UPDATE SET in_a_row = account_throttle.in_a_row + 1 \
             RETURNING in_a_row",
        )
        .bind(&username)
        .fetch_one(work.conn().await?)
        .await?
        .try_get("in_a_row")?;
        sqlx::query("DELETE FROM verification_attempts WHERE id = $1")
            .bind(&reservation.attempt)
            .execute(work.conn().await?)
            .await?;
        sqlx::query("DELETE FROM verification_failures WHERE username = $1 AND at <= $2")
            .bind(&username)
            .bind(at - DAY_SECONDS)
            .execute(work.conn().await?)
            .await?;
        sqlx::query("INSERT INTO verification_failures (username, at) VALUES ($1, $2)")
            .bind(&username)
            .bind(at)
            .execute(work.conn().await?)
            .await?;
        let in_day: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM verification_failures WHERE username = $1 AND at > $2",
        )
        .bind(&username)
        .bind(at - DAY_SECONDS)
        .fetch_one(work.conn().await?)
        .await?
        .try_get("n")?;
        let after = if in_day >= i64::from(self.policy.daily_failures) {
            sqlx::query(
                "UPDATE account_throttle SET help_desk_lock = 1, in_a_row = 0 WHERE username = $1",
            )
            .bind(&username)
            .execute(work.conn().await?)
            .await?;
            AfterFailure::Locked { until: None }
        } else if in_a_row >= i64::from(self.policy.consecutive_failures) {
            let until = now + Duration::minutes(i64::from(self.policy.lockout_minutes));
            sqlx::query(
                "UPDATE account_throttle SET locked_until = $1, in_a_row = 0 WHERE username = $2",
            )
            .bind(to_unix(until))
            .bind(&username)
            .execute(work.conn().await?)
            .await?;
            AfterFailure::Locked { until: Some(until) }
        } else {
            AfterFailure::StillOpen
        };
        work.commit().await?;
        // From here the failure is on record: the charge stays.
        reservation.settled = true;
        Ok(after)
    }

    /// Where the username stands, for the help desk's record: lock and failures of the day.
    pub async fn lock_state(
        &self,
        username: &str,
        now: OffsetDateTime,
    ) -> Result<LockState, sqlx::Error> {
        let at = to_unix(now);
        let row = sqlx::query(
            "SELECT locked_until, help_desk_lock FROM account_throttle WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(self.db.pool())
        .await?;
        let (locked_until, help_desk_lock) = match row {
            Some(row) => (
                row.try_get::<i64, _>("locked_until")?,
                row.try_get::<i64, _>("help_desk_lock")?,
            ),
            None => (0, 0),
        };
        let failures: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM verification_failures WHERE username = $1 AND at > $2",
        )
        .bind(username)
        .bind(at - DAY_SECONDS)
        .fetch_one(self.db.pool())
        .await?
        .try_get("n")?;
        let lock = if help_desk_lock != 0 {
            Lock::UntilHelpDesk
        } else if locked_until > at {
            Lock::Until(from_unix(locked_until))
        } else {
            Lock::Open
        };
        Ok(LockState {
            lock,
            failures_last_day: u32::try_from(failures).unwrap_or(u32::MAX),
        })
    }

    /// The help desk's unlock: forgets every failure of the username.
    /// Runs in `work`, so the unlock commits with its audit record.
    pub async fn unlock(&self, work: &mut UnitOfWork, username: &str) -> Result<bool, sqlx::Error> {
        let conn = work.conn().await?;
        let cleared = sqlx::query("DELETE FROM account_throttle WHERE username = $1")
            .bind(username)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        let forgotten = sqlx::query("DELETE FROM verification_failures WHERE username = $1")
            .bind(username)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM verification_attempts WHERE username = $1")
            .bind(username)
            .execute(&mut *conn)
            .await?;
        Ok(cleared + forgotten > 0)
    }

    /// Counts the failures in a row and the attempts in flight under the username's row lock,
    /// and adds an attempt with a deadline when they leave room; the attempt's id comes back.
    async fn reserve_account(
        &self,
        username: &str,
        now: OffsetDateTime,
    ) -> Result<Result<String, Refusal>, sqlx::Error> {
        let at = to_unix(now);
        let mut work = UnitOfWork::new(&self.db);
        // Writing the row first takes its lock (PostgreSQL) or the database's write lock
        // (SQLite): every reservation of one username waits here for the one before.
        let row = sqlx::query(
            "INSERT INTO account_throttle (username, in_a_row, locked_until, help_desk_lock) \
             VALUES ($1, 0, 0, 0) \
             ON CONFLICT (username) DO UPDATE SET in_a_row = account_throttle.in_a_row \
             RETURNING in_a_row, locked_until, help_desk_lock",
        )
        .bind(username)
        .fetch_one(work.conn().await?)
        .await?;
        let in_a_row: i64 = row.try_get("in_a_row")?;
        let locked_until: i64 = row.try_get("locked_until")?;
        let help_desk_lock: i64 = row.try_get("help_desk_lock")?;
        // Attempts past their deadline were lost with a process that died: they stop counting.
        sqlx::query("DELETE FROM verification_attempts WHERE username = $1 AND expires_at <= $2")
            .bind(username)
            .bind(at)
            .execute(work.conn().await?)
            .await?;
        let in_flight: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM verification_attempts WHERE username = $1")
                .bind(username)
                .fetch_one(work.conn().await?)
                .await?
                .try_get("n")?;
        let refusal = if help_desk_lock != 0 {
            Some(Refusal::Locked { until: None })
        } else if locked_until > at {
            Some(Refusal::Locked {
                until: Some(from_unix(locked_until)),
            })
        } else if in_a_row + in_flight >= i64::from(self.policy.consecutive_failures) {
            Some(Refusal::TooManyAttempts {
                retry_at: from_unix(at + IN_FLIGHT_RETRY_SECONDS),
            })
        } else {
            None
        };
        if let Some(refusal) = refusal {
            work.rollback().await?;
            return Ok(Err(refusal));
        }
        let attempt = Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO verification_attempts (id, username, expires_at) VALUES ($1, $2, $3)",
        )
        .bind(&attempt)
        .bind(username)
        .bind(at + i64::from(self.policy.attempt_deadline_seconds))
        .execute(work.conn().await?)
        .await?;
        work.commit().await?;
        Ok(Ok(attempt))
    }

    async fn reserve_client(
        &self,
        client: &str,
        now: OffsetDateTime,
    ) -> Result<Result<(), Refusal>, sqlx::Error> {
        let at = to_unix(now);
        let window = i64::from(self.policy.client_window_minutes) * 60;
        let charged = sqlx::query(
            "INSERT INTO client_throttle (client, window_start, failures) VALUES ($1, $2, 1) \
             ON CONFLICT (client) DO UPDATE SET \
               failures = CASE WHEN client_throttle.window_start <= $3 THEN 1 \
                               ELSE client_throttle.failures + 1 END, \
               window_start = CASE WHEN client_throttle.window_start <= $3 THEN $2 \
                                   ELSE client_throttle.window_start END \
             WHERE client_throttle.window_start <= $3 OR client_throttle.failures < $4 \
             RETURNING failures",
        )
        .bind(client)
        .bind(at)
        .bind(at - window)
        .bind(i64::from(self.policy.client_failures))
        .fetch_optional(self.db.pool())
        .await?;
        if charged.is_some() {
            return Ok(Ok(()));
        }
        let window_start: i64 =
            sqlx::query("SELECT window_start FROM client_throttle WHERE client = $1")
                .bind(client)
                .fetch_optional(self.db.pool())
                .await?
                .map(|row| row.try_get("window_start"))
                .transpose()?
                .unwrap_or(at);
        Ok(Err(Refusal::TooManyAttempts {
            retry_at: from_unix(window_start + window),
        }))
    }

    async fn refund_client(&self, client: &str) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE client_throttle SET failures = CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END \
             WHERE client = $1",
        )
        .bind(client)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }
}
