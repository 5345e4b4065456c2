//! Self-service bypass codes at Duo: a new one revokes the previous one *at Duo*, so a code
//! the person asked for and then lost (or that someone watched being shown) stops working as
//! soon as they ask for another.
//!
//! Duo's create call answers the code but not its id, and lists ids but never codes; so the
//! ids the user holds are listed just before and just after creating, and the one new id is
//! the code's. Only ids this service recorded for its own self-service codes are ever
//! deleted: the help desk's codes are never touched. When the new id cannot be told apart (a
//! help-desk code created in the same instant), none is recorded rather than a wrong one.

use recovery_api::Secret;
use sqlx::Row;

use super::client::{DuoAdmin, DuoError};
use crate::{directory::Person, storage::Database};

#[derive(Debug, thiserror::Error)]
pub(super) enum SelfServiceCodeError {
    #[error(transparent)]
    Duo(#[from] DuoError),
    #[error(transparent)]
    Storage(#[from] sqlx::Error),
}

/// Revokes the person's previous self-service code at Duo, then creates the new one and
/// records its id. Revoking first means a failure leaves no new code behind unshown.
pub(super) async fn issue(
    admin: &DuoAdmin,
    db: &Database,
    person: &Person,
    user_id: &str,
    valid_secs: u64,
) -> Result<Secret, SelfServiceCodeError> {
    let previous =
        sqlx::query("SELECT bypass_code_id FROM duo_self_service_codes WHERE person_id = $1")
            .bind(&person.id.0)
            .fetch_optional(db.pool())
            .await?
            .map(|row| row.try_get::<String, _>("bypass_code_id"))
            .transpose()?;
    if let Some(previous) = &previous {
        admin.delete_bypass_code(previous).await?;
        sqlx::query(
            "DELETE FROM duo_self_service_codes WHERE person_id = $1 AND bypass_code_id = $2",
        )
        .bind(&person.id.0)
        .bind(previous)
        .execute(db.pool())
        .await?;
    }
    let before = admin.bypass_code_ids(user_id).await?;
    let code = admin.create_bypass_code(user_id, valid_secs).await?;
    let mut new_ids: Vec<String> = admin
        .bypass_code_ids(user_id)
        .await?
        .into_iter()
        .filter(|id| !before.contains(id))
        .collect();
    match (new_ids.pop(), new_ids.is_empty()) {
        (Some(new_id), true) => {
            sqlx::query(
                "INSERT INTO duo_self_service_codes (person_id, bypass_code_id) VALUES ($1, $2) \
                 ON CONFLICT (person_id) DO UPDATE SET bypass_code_id = excluded.bypass_code_id",
            )
            .bind(&person.id.0)
            .bind(&new_id)
            .execute(db.pool())
            .await?;
        }
        _ => tracing::warn!(
            person = %person.id,
            "the new self-service bypass code could not be told apart at Duo; it will expire \
             on its own instead of being revoked by the next one"
        ),
    }
    Ok(code)
}
