//! The builtin provider: bypass codes and devices in SQL.

use async_trait::async_trait;
use recovery_api::{
    authenticator::{
        Authenticator, AuthenticatorKind, AuthenticatorStatus, PhoneDetails, PhoneType,
    },
    fields::PasscodeKind,
};
use sqlx::{any::AnyRow, Row};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::{BypassCode, BypassCodeOrigin, IssuedBypassCode, MfaProvider, Passcode, ProviderError};
use crate::{
    clock::{from_unix, to_unix},
    directory::Person,
    slow_hash::SlowHasher,
    storage::Database,
};

#[derive(Debug, Clone)]
pub struct BuiltinProvider {
    db: Database,
    hasher: SlowHasher,
}

/// A device to seed (demo data, imports).
#[derive(Debug, Clone)]
pub struct NewPhone {
    pub name: String,
    pub number: String,
    pub phone_type: PhoneType,
    pub platform: Option<String>,
    pub app_activated: bool,
}

impl BuiltinProvider {
    pub fn new(db: Database, hasher: SlowHasher) -> Self {
        Self { db, hasher }
    }

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
        .bind(match phone.phone_type {
            PhoneType::Mobile => "mobile",
            PhoneType::Landline => "landline",
        })
        .bind(phone.platform.clone())
        .bind(i64::from(phone.app_activated))
        .bind(to_unix(now))
        .execute(self.db.pool())
        .await?;
        Ok(id)
    }

    /// Revokes the previous self-service code and stores the new one, in one transaction that
    /// first takes the person's lock row, so concurrent issuing leaves exactly one live code.
    async fn insert_code(
        &self,
        person: &Person,
        origin: BypassCodeOrigin,
        code_hash: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.db.pool().begin().await?;
        sqlx::query(
            "INSERT INTO mfa_person_locks (person_id, touched_at) VALUES ($1, $2) \
             ON CONFLICT (person_id) DO UPDATE SET touched_at = $2",
        )
        .bind(&person.id.0)
        .bind(to_unix(now))
        .execute(&mut *tx)
        .await?;
        if origin == BypassCodeOrigin::SelfService {
            sqlx::query(
                "UPDATE bypass_codes SET revoked_at = $1 WHERE person_id = $2 \
                 AND origin = 'self_service' AND used_at IS NULL AND revoked_at IS NULL",
            )
            .bind(to_unix(now))
            .bind(&person.id.0)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO bypass_codes (id, person_id, code_hash, origin, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(&person.id.0)
        .bind(code_hash)
        .bind(origin.as_str())
        .bind(to_unix(now))
        .bind(to_unix(expires_at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }
}

#[async_trait]
impl MfaProvider for BuiltinProvider {
    async fn authenticators(&self, person: &Person) -> Result<Vec<Authenticator>, ProviderError> {
        let rows = sqlx::query(
            "SELECT id, kind, name, status, phone_number, phone_type, platform, app_activated, \
             created_at FROM authenticators WHERE person_id = $1 AND status <> 'disabled' \
             ORDER BY created_at, id",
        )
        .bind(&person.id.0)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(authenticator_from_row).collect()
    }

    async fn issue_bypass_code(
        &self,
        person: &Person,
        origin: BypassCodeOrigin,
        valid_for: Duration,
        now: OffsetDateTime,
    ) -> Result<IssuedBypassCode, ProviderError> {
        let code = BypassCode::generate();
        let code_hash = self.hasher.hash(code.secret().expose().as_bytes()).await?;
        let expires_at = now + valid_for;
        self.insert_code(person, origin, &code_hash, now, expires_at)
            .await?;
        Ok(IssuedBypassCode { code, expires_at })
    }

    async fn redeem_passcode(
        &self,
        person: &Person,
        passcode: &Passcode,
        now: OffsetDateTime,
    ) -> Result<bool, ProviderError> {
        if passcode.kind() != PasscodeKind::BypassCode {
            // Device codes arrive with the devices of the builtin provider; until then a
            // 6-digit code cannot match, and it costs the same time as a wrong bypass code.
            self.hasher
                .verify_dummy(passcode.digits().expose().as_bytes())
                .await?;
            return Ok(false);
        }
        let candidates = sqlx::query(
            "SELECT id, code_hash FROM bypass_codes WHERE person_id = $1 \
             AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2",
        )
        .bind(&person.id.0)
        .bind(to_unix(now))
        .fetch_all(self.db.pool())
        .await?;
        if candidates.is_empty() {
            self.hasher
                .verify_dummy(passcode.digits().expose().as_bytes())
                .await?;
            return Ok(false);
        }
        for row in candidates {
            let (id, code_hash): (String, String) = (row.try_get("id")?, row.try_get("code_hash")?);
            if !self
                .hasher
                .verify(passcode.digits().expose().as_bytes(), &code_hash)
                .await?
            {
                continue;
            }
            let consumed = sqlx::query(
                "UPDATE bypass_codes SET used_at = $1 WHERE id = $2 \
                 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $1",
            )
            .bind(to_unix(now))
            .bind(&id)
            .execute(self.db.pool())
            .await?
            .rows_affected();
            return Ok(consumed == 1);
        }
        Ok(false)
    }
}

fn authenticator_from_row(row: &AnyRow) -> Result<Authenticator, ProviderError> {
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
            number_hint: number_hint(number.as_deref().unwrap_or_default()),
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
        created_at: from_unix(row.try_get("created_at")?),
    })
}

/// The last four digits only: the screen may be a shared kiosk.
fn number_hint(e164: &str) -> String {
    let digits: Vec<char> = e164.chars().filter(char::is_ascii_digit).collect();
    let tail: String = digits[digits.len().saturating_sub(4)..].iter().collect();
    format!("•••• {tail}")
}

#[cfg(test)]
mod tests {
    use super::number_hint;

    #[test]
    fn hints_show_only_the_last_four_digits() {
        assert_eq!(number_hint("+12015550123"), "•••• 0123");
        assert_eq!(number_hint("+12"), "•••• 12");
    }
}
