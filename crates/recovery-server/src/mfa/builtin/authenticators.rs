//! Listing, naming and removing devices, and reading device rows.

use recovery_api::{
    authenticator::{
        Authenticator, AuthenticatorKind, AuthenticatorStatus, PhoneDetails, PhoneType,
    },
    phone::RemovalReason,
};
use sqlx::{any::AnyRow, Row};
use time::OffsetDateTime;
use uuid::Uuid;

use super::BuiltinProvider;
use crate::{
    clock::{from_unix, to_unix},
    directory::Person,
    mfa::ProviderError,
    phone_number::E164Number,
    storage::UnitOfWork,
};

/// A phone to seed (demo data).
#[derive(Debug, Clone)]
pub struct NewPhone {
    pub name: String,
    pub number: String,
    pub phone_type: PhoneType,
    pub platform: Option<String>,
    pub app_activated: bool,
}

pub(super) const COLUMNS: &str = "id, kind, name, status, phone_number, phone_type, platform, \
     app_activated, created_at";

impl BuiltinProvider {
    pub async fn add_phone(
        &self,
        person: &Person,
        phone: &NewPhone,
        now: OffsetDateTime,
    ) -> Result<String, ProviderError> {
        let id = Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO authenticators (id, person_id, kind, name, status, phone_number, \
             phone_type, platform, app_activated, created_at) \
             VALUES ($1, $2, 'phone', $3, 'active', $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(&person.id.0)
        .bind(&phone.name)
        .bind(&phone.number)
        .bind(phone_type_name(phone.phone_type))
        .bind(phone.platform.clone())
        .bind(i64::from(phone.app_activated))
        .bind(to_unix(now))
        .execute(self.db.pool())
        .await?;
        Ok(id)
    }

    pub(super) async fn list(
        &self,
        person: &Person,
        now: OffsetDateTime,
    ) -> Result<Vec<Authenticator>, ProviderError> {
        self.discard_expired_pending(person, now).await?;
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM authenticators WHERE person_id = $1 AND status <> 'disabled' \
             ORDER BY created_at, id"
        ))
        .bind(&person.id.0)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(authenticator_from_row).collect()
    }

    /// The person's device with this id, not removed; anyone else's is "not found".
    pub(super) async fn owned(&self, person: &Person, id: &str) -> Result<AnyRow, ProviderError> {
        sqlx::query(&format!(
            "SELECT {COLUMNS}, phone_extension, otp_secret, otp_counter FROM authenticators \
             WHERE id = $1 AND person_id = $2 AND status <> 'disabled'"
        ))
        .bind(id)
        .bind(&person.id.0)
        .fetch_optional(self.db.pool())
        .await?
        .ok_or(ProviderError::NotFound)
    }

    pub(super) async fn authenticator(
        &self,
        person: &Person,
        id: &str,
    ) -> Result<Authenticator, ProviderError> {
        authenticator_from_row(&self.owned(person, id).await?)
    }

    pub(super) async fn rename(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        id: &str,
        name: &str,
    ) -> Result<Authenticator, ProviderError> {
        let before = self.authenticator(person, id).await?;
        let renamed = sqlx::query(
            "UPDATE authenticators SET name = $1 WHERE id = $2 AND person_id = $3 \
             AND status <> 'disabled'",
        )
        .bind(name)
        .bind(id)
        .bind(&person.id.0)
        .execute(work.conn().await?)
        .await?
        .rows_affected();
        if renamed == 0 {
            return Err(ProviderError::NotFound);
        }
        Ok(Authenticator {
            name: name.to_owned(),
            ..before
        })
    }

    /// Disables the device at once; what was pending for it goes too.
    pub(super) async fn remove(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        id: &str,
        reason: RemovalReason,
        now: OffsetDateTime,
    ) -> Result<Authenticator, ProviderError> {
        let removed = self.authenticator(person, id).await?;
        let tx = work.conn().await?;
        let disabled = sqlx::query(
            "UPDATE authenticators SET status = 'disabled', disabled_at = $1, disabled_reason = $2, \
             otp_secret = NULL WHERE id = $3 AND person_id = $4 AND status <> 'disabled'",
        )
        .bind(to_unix(now))
        .bind(reason.as_str())
        .bind(id)
        .bind(&person.id.0)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if disabled == 0 {
            return Err(ProviderError::NotFound);
        }
        sqlx::query("DELETE FROM phone_verifications WHERE phone_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE phone_activations SET expires_at = $1 WHERE phone_id = $2 AND used_at IS NULL",
        )
        .bind(to_unix(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        Ok(Authenticator {
            status: AuthenticatorStatus::Disabled,
            ..removed
        })
    }

    /// Pending landlines whose verification ran out are forgotten.
    pub(super) async fn discard_expired_pending(
        &self,
        person: &Person,
        now: OffsetDateTime,
    ) -> Result<(), sqlx::Error> {
        let expired = sqlx::query(
            "SELECT a.id AS id FROM authenticators a LEFT JOIN phone_verifications v ON v.phone_id = a.id \
             WHERE a.person_id = $1 AND a.status = 'pending' \
             AND (v.phone_id IS NULL OR v.expires_at <= $2 OR v.attempts_left <= 0)",
        )
        .bind(&person.id.0)
        .bind(to_unix(now))
        .fetch_all(self.db.pool())
        .await?;
        for row in expired {
            let id: String = row.try_get("id")?;
            self.discard_pending(&id).await?;
        }
        Ok(())
    }

    pub(super) async fn discard_pending(&self, phone_id: &str) -> Result<(), sqlx::Error> {
        let mut work = UnitOfWork::new(&self.db);
        discard_pending_in(&mut work, phone_id).await?;
        work.commit().await
    }
}

/// [`BuiltinProvider::discard_pending`] inside a flow's unit of work.
pub(super) async fn discard_pending_in(
    work: &mut UnitOfWork,
    phone_id: &str,
) -> Result<(), sqlx::Error> {
    let tx = work.conn().await?;
    sqlx::query("DELETE FROM phone_verifications WHERE phone_id = $1")
        .bind(phone_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM authenticators WHERE id = $1 AND status = 'pending'")
        .bind(phone_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

pub(super) fn phone_type_name(phone_type: PhoneType) -> &'static str {
    match phone_type {
        PhoneType::Mobile => "mobile",
        PhoneType::Landline => "landline",
    }
}

pub(super) fn authenticator_from_row(row: &AnyRow) -> Result<Authenticator, ProviderError> {
    let kind: String = row.try_get("kind")?;
    let status: String = row.try_get("status")?;
    let kind = match kind.as_str() {
        "security_key" => AuthenticatorKind::SecurityKey,
        "hardware_token" => AuthenticatorKind::HardwareToken,
        _ => AuthenticatorKind::Phone,
    };
    let phone = if kind == AuthenticatorKind::Phone {
        let number: Option<String> = row.try_get("phone_number")?;
        let phone_type: Option<String> = row.try_get("phone_type")?;
        let app_activated: i64 = row.try_get("app_activated")?;
        Some(PhoneDetails {
            number_hint: E164Number::from_stored(number.unwrap_or_default()).hint(),
            phone_type: if phone_type.as_deref() == Some("landline") {
                PhoneType::Landline
            } else {
                PhoneType::Mobile
            },
            platform: row.try_get("platform")?,
            app_activated: app_activated != 0,
        })
    } else {
        None
    };
    Ok(Authenticator {
        id: row.try_get("id")?,
        kind,
        name: row.try_get("name")?,
        status: match status.as_str() {
            "pending" => AuthenticatorStatus::Pending,
            "disabled" => AuthenticatorStatus::Disabled,
            _ => AuthenticatorStatus::Active,
        },
        phone,
        created_at: Some(from_unix(row.try_get("created_at")?)),
    })
}
