//! Per-agent hourly limits: every action and caller verification (`help_desk.actions_per_hour`),
//! and look-ups (`help_desk.look_ups_per_hour`). A stolen agent session, or an agent going
//! through accounts, is slowed to what a help desk really does.
//!
//! Like the sending caps (`sending_caps.rs`), a slot is taken by one conditional upsert, so
//! concurrent requests never get past a limit; the hour starts at the counter's first use.

use sqlx::Row;
use time::OffsetDateTime;

use crate::{
    clock::{from_unix, to_unix},
    directory::PersonId,
    storage::Database,
};

const HOUR_SECONDS: i64 = 60 * 60;

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    Action,
    LookUp,
}

impl Counted {
    fn as_str(self) -> &'static str {
        match self {
            Self::Action => "action",
            Self::LookUp => "look_up",
        }
    }
}

#[derive(Debug, Clone)]
pub struct AgentLimits {
    db: Database,
}

impl AgentLimits {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Takes one slot, or answers when the agent's hour ends.
    pub async fn take(
        &self,
        agent: &PersonId,
        counted: Counted,
        per_hour: u32,
        now: OffsetDateTime,
    ) -> Result<Result<(), OffsetDateTime>, sqlx::Error> {
        let at = to_unix(now);
        let taken = sqlx::query(
            "INSERT INTO help_desk_action_counts (agent_person_id, kind, window_start, used) \
             VALUES ($1, $2, $3, 1) \
             ON CONFLICT (agent_person_id, kind) DO UPDATE SET \
               used = CASE WHEN help_desk_action_counts.window_start <= $4 THEN 1 \
                           ELSE help_desk_action_counts.used + 1 END, \
               window_start = CASE WHEN help_desk_action_counts.window_start <= $4 THEN $3 \
                                   ELSE help_desk_action_counts.window_start END \
             WHERE help_desk_action_counts.window_start <= $4 \
                OR help_desk_action_counts.used < $5 \
             RETURNING used",
        )
        .bind(&agent.0)
        .bind(counted.as_str())
        .bind(at)
        .bind(at - HOUR_SECONDS)
        .bind(i64::from(per_hour))
        .fetch_optional(self.db.pool())
        .await?;
        if taken.is_some() {
            return Ok(Ok(()));
        }
        let window_start: i64 = sqlx::query(
            "SELECT window_start FROM help_desk_action_counts \
             WHERE agent_person_id = $1 AND kind = $2",
        )
        .bind(&agent.0)
        .bind(counted.as_str())
        .fetch_optional(self.db.pool())
        .await?
        .map(|row| row.try_get("window_start"))
        .transpose()?
        .unwrap_or(at);
        Ok(Err(from_unix(window_start + HOUR_SECONDS)))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use time::Duration;

    use super::*;

    #[tokio::test]
    async fn takes_stop_at_the_limit_and_the_hour_frees_them() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let limits = AgentLimits::new(Database::open(&url).await.unwrap());
        let hopper = PersonId("hopper".to_owned());
        let t0 = OffsetDateTime::now_utc();
        let mut results = Vec::new();
        for _ in 0..7 {
            results.push(limits.take(&hopper, Counted::Action, 5, t0).await.unwrap());
        }
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 5);
        let refused = results.iter().find_map(|r| r.err()).unwrap();
        assert_eq!(to_unix(refused), to_unix(t0) + HOUR_SECONDS);
        assert!(limits
            .take(&hopper, Counted::LookUp, 5, t0)
            .await
            .unwrap()
            .is_ok());
        let later = t0 + Duration::minutes(61);
        assert!(limits
            .take(&hopper, Counted::Action, 5, later)
            .await
            .unwrap()
            .is_ok());
    }
}
