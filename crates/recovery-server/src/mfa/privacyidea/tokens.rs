//! privacyIDEA's tokens as the person's devices. A token's id here is its serial; every
//! serial a request names is looked up among the person's own tokens (exact serial, user and
//! realm) before anything is changed, because privacyIDEA calls given a user but no serial
//! act on *all* of that user's tokens.

use recovery_api::authenticator::{
    Authenticator, AuthenticatorKind, AuthenticatorStatus, PhoneDetails, PhoneType,
};
use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::{
    client::{Call, PiClient},
    error::PiError,
};
use crate::phone_number::E164Number;

/// The fields of a `GET /token/` entry the provider reads.
#[derive(Debug, Clone, Deserialize)]
pub struct PiToken {
    pub serial: String,
    pub tokentype: String,
    #[serde(default)]
    pub active: bool,
    #[serde(default)]
    pub revoked: bool,
    #[serde(default)]
    pub locked: bool,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub rollout_state: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub user_realm: String,
    #[serde(default)]
    pub info: Value,
}

/// Tokens per page; privacyIDEA's default is 15.
const PAGE_SIZE: &str = "50";
/// A person with more tokens than this is not listed further.
const MAX_PAGES: u32 = 20;

/// The person's tokens, every page; `serial` narrows to one exact serial.
pub async fn list(
    client: &PiClient,
    user: &str,
    realm: &str,
    filter: &[(&str, &str)],
) -> Result<Vec<PiToken>, PiError> {
    let mut tokens = Vec::new();
    for page in 1..=MAX_PAGES {
        let page = page.to_string();
        let mut query = vec![
            ("user", user),
            ("realm", realm),
            ("page", page.as_str()),
            ("pagesize", PAGE_SIZE),
        ];
        query.extend_from_slice(filter);
        let answer = client
            .admin(
                Method::GET,
                &["token", ""],
                Call {
                    query: &query,
                    ..Call::default()
                },
            )
            .await?;
        let listed: Vec<PiToken> = serde_json::from_value(answer.value["tokens"].clone())
            .map_err(|e| PiError::Protocol(format!("token list: {e}")))?;
        tokens.extend(listed);
        if answer.value["next"].is_null() {
            break;
        }
    }
    Ok(tokens)
}

/// A serial as privacyIDEA makes them; anything else (a `*` wildcard, a slash) is no serial.
pub fn is_serial(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The person's token with this exact serial, or `None`.
pub async fn owned(
    client: &PiClient,
    user: &str,
    realm: &str,
    serial: &str,
) -> Result<Option<PiToken>, PiError> {
    if !is_serial(serial) {
        return Ok(None);
    }
    let found = list(client, user, realm, &[("serial", serial)]).await?;
    Ok(found.into_iter().find(|t| {
        t.serial == serial && t.username == user && t.user_realm.eq_ignore_ascii_case(realm)
    }))
}

impl PiToken {
    /// The device this token is, or `None` for what is no device here (registration codes,
    /// lost-token passwords, paper lists, unfinished registrations, revoked tokens).
    pub fn authenticator(&self) -> Option<Authenticator> {
        if self.revoked || matches!(self.rollout_state.as_str(), "clientwait" | "verify") {
            return None;
        }
        let status = if self.active && !self.locked {
            AuthenticatorStatus::Active
        } else {
            AuthenticatorStatus::Disabled
        };
        let named = |default: String| {
            if self.description.trim().is_empty() {
                default
            } else {
                self.description.trim().to_owned()
            }
        };
        let (kind, name, phone) = match self.tokentype.to_ascii_lowercase().as_str() {
            "totp" => (
                AuthenticatorKind::Phone,
                named("Authenticator app".to_owned()),
                Some(PhoneDetails {
                    number_hint: String::new(),
                    phone_type: PhoneType::Mobile,
                    platform: None,
                    app_activated: status == AuthenticatorStatus::Active,
                }),
            ),
            "sms" => {
                let number = self.info["phone"].as_str().unwrap_or_default().to_owned();
                let hint = E164Number::from_stored(number).hint();
                (
                    AuthenticatorKind::Phone,
                    named(format!("Phone {hint}")),
                    Some(PhoneDetails {
                        number_hint: hint,
                        phone_type: PhoneType::Mobile,
                        platform: None,
                        app_activated: false,
                    }),
                )
            }
            "hotp" => (
                AuthenticatorKind::HardwareToken,
                named(format!("Token {}", self.serial)),
                None,
            ),
            "webauthn" | "passkey" => (
                AuthenticatorKind::SecurityKey,
                named("Security key".to_owned()),
                None,
            ),
            _ => return None,
        };
        Some(Authenticator {
            id: self.serial.clone(),
            kind,
            name,
            status,
            phone,
            created_at: self.info["creation_date"]
                .as_str()
                .and_then(|d| OffsetDateTime::parse(d, &Rfc3339).ok()),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn token(tokentype: &str, extra: Value) -> PiToken {
        let mut value = json!({
            "serial": "TOTP0001", "tokentype": tokentype, "active": true, "revoked": false,
            "locked": false, "description": "", "rollout_state": "enrolled",
            "username": "ada", "user_realm": "staff",
            "info": {"creation_date": "2026-12-06T05:01:51+00:00"}
        });
        for (key, v) in extra.as_object().unwrap() {
            value[key] = v.clone();
        }
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn types_map_to_kinds() {
        let phone = token("totp", json!({})).authenticator().unwrap();
        assert_eq!(phone.kind, AuthenticatorKind::Phone);
        assert!(phone.created_at.is_some());
        let sms = token("sms", json!({"info": {"phone": "+12015550123"}}))
            .authenticator()
            .unwrap();
        assert_eq!(sms.phone.unwrap().number_hint, "•••• 0123");
        let key = token("webauthn", json!({"description": "Blue key"}))
            .authenticator()
            .unwrap();
        assert_eq!(
            (key.kind, key.name.as_str()),
            (AuthenticatorKind::SecurityKey, "Blue key")
        );
        assert!(token("registration", json!({})).authenticator().is_none());
        assert!(token("webauthn", json!({"rollout_state": "clientwait"}))
            .authenticator()
            .is_none());
        let disabled = token("hotp", json!({"active": false}))
            .authenticator()
            .unwrap();
        assert_eq!(disabled.status, AuthenticatorStatus::Disabled);
    }

    #[test]
    fn wildcards_are_no_serial() {
        assert!(is_serial("HOTP0001-a.b_c"));
        assert!(!is_serial("HOTP*"));
        assert!(!is_serial("a/b"));
        assert!(!is_serial(""));
    }
}
