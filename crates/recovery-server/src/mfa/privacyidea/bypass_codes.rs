//! Bypass codes as privacyIDEA `registration` tokens: one use (privacyIDEA deletes the token
//! after its first successful `/validate/check`), expiring at `validity_period_end`, and
//! API-only, so only an admin such as this service can mint one.
//!
//! Which codes are self-service is written in the serial: `RDSS…` for self-service, `RDHD…`
//! for the help desk. A new self-service code deletes the person's earlier `RDSS…` tokens
//! (by exact serial, from the person's own list) before the new one is made; help-desk codes
//! and registration tokens made elsewhere are never touched.
//!
//! The code must be typed where the app takes a 9-digit bypass code, so privacyIDEA needs the
//! enrollment policy `registration.length=9, registration.contents=[0123456789]`; a code of
//! another shape is deleted again and the configuration named in the log.

use rand::{rngs::OsRng, Rng};
use recovery_api::Secret;
use reqwest::Method;
use time::{Duration, OffsetDateTime};

use super::{
    client::{Call, PiClient},
    error::PiError,
    tokens,
};
use crate::mfa::{BypassCodeOrigin, ProviderError};

const SELF_SERVICE_PREFIX: &str = "RDSS";
const HELP_DESK_PREFIX: &str = "RDHD";

/// A code of privacyIDEA's and the instant it stops working (whole minutes: privacyIDEA keeps
/// `validity_period_end` to the minute, so the end is rounded down, never up).
pub struct MintedCode {
    pub code: Secret,
    pub expires_at: OffsetDateTime,
}

pub async fn issue(
    client: &PiClient,
    user: &str,
    realm: &str,
    origin: BypassCodeOrigin,
    valid_for: Duration,
    now: OffsetDateTime,
) -> Result<MintedCode, ProviderError> {
    let prefix = match origin {
        BypassCodeOrigin::SelfService => SELF_SERVICE_PREFIX,
        BypassCodeOrigin::HelpDesk => HELP_DESK_PREFIX,
    };
    if origin == BypassCodeOrigin::SelfService {
        revoke_previous(client, user, realm).await?;
    }
    let end = (now + valid_for)
        .replace_second(0)
        .unwrap_or(now + valid_for);
    let end = end.replace_nanosecond(0).unwrap_or(end);
    let end_text = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}+0000",
        end.year(),
        u8::from(end.month()),
        end.day(),
        end.hour(),
        end.minute()
    );
    let serial = format!("{prefix}{:012X}", OsRng.gen::<u64>() & 0xFFFF_FFFF_FFFF);
    let description = match origin {
        BypassCodeOrigin::SelfService => "Recovery Desk bypass code (self-service)",
        BypassCodeOrigin::HelpDesk => "Recovery Desk bypass code (help desk)",
    };
    let form = [
        ("type", "registration"),
        ("user", user),
        ("realm", realm),
        ("serial", serial.as_str()),
        ("description", description),
        ("validity_period_end", end_text.as_str()),
    ];
    let answer = client
        .admin(
            Method::POST,
            &["token", "init"],
            Call {
                form: &form,
                ..Call::default()
            },
        )
        .await?;
    let code = answer.detail["registrationcode"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if code.len() != 9 || !code.bytes().all(|b| b.is_ascii_digit()) {
        let _ = delete(client, &serial).await;
        tracing::error!(
            "privacyIDEA made a registration code that is not 9 digits; set the enrollment \
             policy registration.length=9, registration.contents=[0123456789]"
        );
        return Err(ProviderError::Misconfigured(
            "privacyIDEA's registration codes are not 9 digits".to_owned(),
        ));
    }
    Ok(MintedCode {
        code: Secret::new(code),
        expires_at: end,
    })
}

async fn revoke_previous(client: &PiClient, user: &str, realm: &str) -> Result<(), PiError> {
    let filter = [("type", "registration"), ("serial", "RDSS*")];
    for token in tokens::list(client, user, realm, &filter).await? {
        let ours = token.serial.starts_with(SELF_SERVICE_PREFIX)
            && token.username == user
            && tokens::is_serial(&token.serial);
        if ours {
            match delete(client, &token.serial).await {
                // Redeemed meanwhile: privacyIDEA deleted it already.
                Ok(()) | Err(PiError::NotFound) => {}
                Err(error) => return Err(error),
            }
        }
    }
    Ok(())
}

async fn delete(client: &PiClient, serial: &str) -> Result<(), PiError> {
    client
        .admin(Method::DELETE, &["token", serial], Call::default())
        .await
        .map(|_| ())
}
