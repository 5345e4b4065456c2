//! Code-generating hardware tokens (HOTP): imported by the help desk, resynced by their
//! owner from 2 or 3 consecutive codes when the token ran ahead of the service.

use std::io::Read;

use recovery_api::{authenticator::Authenticator, Secret};
use sqlx::Row;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{authenticators::authenticator_from_row, BuiltinProvider};
use crate::{
    clock::to_unix,
    directory::Person,
    mfa::ProviderError,
    otp::{self, OtpSecret},
    storage::UnitOfWork,
};

/// One token from the vendor's seed file.
#[derive(Debug)]
pub struct NewToken {
    pub serial: String,
    pub secret: OtpSecret,
    pub counter: u64,
    /// The owner's username.
    pub owner: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenCsvError {
    #[error("the CSV file cannot be read: {0}")]
    Unreadable(String),
    #[error("the CSV header lacks the column `{0}`")]
    MissingColumn(&'static str),
    #[error("line {line}: {message}")]
    Line { line: u64, message: String },
}

/// Columns `serial`, `secret` (base32), `counter`, `owner` (username).
pub fn read_tokens_csv(input: impl Read) -> Result<Vec<NewToken>, TokenCsvError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| TokenCsvError::Unreadable(e.to_string()))?
        .clone();
    let column = |name: &'static str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or(TokenCsvError::MissingColumn(name))
    };
    let (serial_col, secret_col) = (column("serial")?, column("secret")?);
    let (counter_col, owner_col) = (column("counter")?, column("owner")?);
    let mut tokens = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| TokenCsvError::Unreadable(e.to_string()))?;
        let line = record.position().map_or(0, |p| p.line());
        let fail = |message: &str| TokenCsvError::Line {
            line,
            message: message.to_owned(),
        };
        let get = |i: usize| record.get(i).unwrap_or_default();
        let serial = get(serial_col).to_owned();
        if serial.is_empty() || serial.len() > 64 {
            return Err(fail("serial must have 1 to 64 characters"));
        }
        if tokens.iter().any(|t: &NewToken| t.serial == serial) {
            return Err(fail("this serial appears twice"));
        }
        let secret = OtpSecret::from_base32(get(secret_col))
            .ok_or_else(|| fail("secret must be base32 of at least 80 bits"))?;
        let counter = get(counter_col)
            .parse()
            .map_err(|_| fail("counter must be a whole number"))?;
        let owner = recovery_api::fields::normalize_username(get(owner_col))
            .map_err(|e| fail(&e.message))?;
        tokens.push(NewToken {
            serial,
            secret,
            counter,
            owner,
        });
    }
    Ok(tokens)
}

impl BuiltinProvider {
    /// Stores tokens for their owners, all or none.
    pub async fn import_tokens(
        &self,
        tokens: &[(Person, NewToken)],
        now: OffsetDateTime,
    ) -> Result<usize, ProviderError> {
        let mut tx = self.db.pool().begin().await?;
        for (owner, token) in tokens {
            let taken = sqlx::query(
                "SELECT id FROM authenticators WHERE serial = $1 AND status <> 'disabled'",
            )
            .bind(&token.serial)
            .fetch_optional(&mut *tx)
            .await?;
            if taken.is_some() {
                return Err(ProviderError::Conflict(format!(
                    "the token with serial {} is already imported",
                    token.serial
                )));
            }
            sqlx::query(
                "INSERT INTO authenticators (id, person_id, kind, name, status, serial, otp_secret, \
                 otp_counter, app_activated, created_at) \
                 VALUES ($1, $2, 'hardware_token', $3, 'active', $4, $5, $6, 0, $7)",
            )
            .bind(Uuid::new_v4().to_string())
            .bind(&owner.id.0)
            .bind(format!("Token {}", token.serial))
            .bind(&token.serial)
            .bind(self.sealing.seal(token.secret.bytes())?)
            .bind(i64::try_from(token.counter).unwrap_or(i64::MAX))
            .bind(to_unix(now))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(tokens.len())
    }

    pub(super) async fn resync_token(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        id: &str,
        codes: &[Secret],
    ) -> Result<Authenticator, ProviderError> {
        let row = self.owned(person, id).await?;
        let kind: String = row.try_get("kind")?;
        let sealed: Option<String> = row.try_get("otp_secret")?;
        let (Some(sealed), true) = (sealed, kind == "hardware_token") else {
            return Err(ProviderError::NotFound);
        };
        let counter: Option<i64> = row.try_get("otp_counter")?;
        let from = counter.and_then(|c| u64::try_from(c).ok()).unwrap_or(0);
        let secret = OtpSecret::from_bytes(self.sealing.open(&sealed)?.to_vec());
        let codes: Vec<&str> = codes.iter().map(Secret::expose).collect();
        let next = otp::hotp_resync(&secret, &codes, from, self.policy.resync_window)
            .ok_or(ProviderError::ResyncFailed)?;
        let moved = sqlx::query(
            "UPDATE authenticators SET otp_counter = $1 WHERE id = $2 AND otp_counter = $3",
        )
        .bind(i64::try_from(next).unwrap_or(i64::MAX))
        .bind(id)
        .bind(counter.unwrap_or(0))
        .execute(work.conn().await?)
        .await?
        .rows_affected();
        if moved != 1 {
            // Someone signed in or resynced with this token meanwhile; those codes are spent.
            return Err(ProviderError::ResyncFailed);
        }
        authenticator_from_row(&row)
    }
}
