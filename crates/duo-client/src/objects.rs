//! What the Admin API answers, reduced to the fields the provider reads: users, phones (and
//! who shares them), hardware tokens, WebAuthn credentials, activation links, bypass-code
//! metadata. Duo sends `null` for some empty fields; they read as empty.

use recovery_api::Secret;
use serde::{Deserialize, Deserializer};

/// A Duo user with the devices the provider lists.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DuoUser {
    pub user_id: String,
    pub username: String,
    /// `active`, `bypass`, `disabled` or `locked out`. A user in `bypass` passes every Duo
    /// check, so a passcode "accepted" for them proves nothing.
    #[serde(default, deserialize_with = "null_as_default")]
    pub status: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub phones: Vec<DuoPhone>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub tokens: Vec<DuoToken>,
}

/// What Duo lists of a bypass code: never the code.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct DuoBypassCodeMeta {
    pub(crate) bypass_code_id: String,
}

/// A phone: a smartphone with Duo Mobile, a mobile for SMS, or a landline for calls.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DuoPhone {
    /// `DP…`
    pub phone_id: String,
    /// E.164; empty for a tablet.
    #[serde(default, deserialize_with = "null_as_default")]
    pub number: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub extension: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// `mobile`, `landline` or `unknown`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub r#type: String,
    /// `apple ios`, `google android`, `generic smartphone`, … or `unknown`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub platform: String,
    /// Duo Mobile is activated on it.
    #[serde(default, deserialize_with = "null_as_default")]
    pub activated: bool,
    /// `auto`, `push`, `sms`, `phone`, `mobile_otp`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub capabilities: Vec<String>,
}

/// A phone and everyone it belongs to: Duo shares one phone among up to 100 users, so
/// deleting it would take it from all of them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DuoPhoneWithUsers {
    #[serde(flatten)]
    pub phone: DuoPhone,
    #[serde(default, deserialize_with = "null_as_default")]
    pub users: Vec<DuoPhoneUser>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DuoPhoneUser {
    pub user_id: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub username: String,
}

/// A hardware OTP token.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DuoToken {
    /// `DH…`
    pub token_id: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub serial: String,
    /// `h6`, `h8` (HOTP), `t6`, `t8` (TOTP), `yk` (YubiKey AES), `d1` (Duo D-100).
    #[serde(default, deserialize_with = "null_as_default")]
    pub r#type: String,
}

/// A WebAuthn credential (security key or platform authenticator).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DuoWebauthn {
    pub webauthnkey: String,
    /// What the user called it, e.g. "Touch ID".
    #[serde(default, deserialize_with = "null_as_default")]
    pub credential_name: String,
    /// Duo's kind, e.g. "Security Key".
    #[serde(default, deserialize_with = "null_as_default")]
    pub label: String,
    /// Unix seconds.
    #[serde(default)]
    pub date_added: Option<i64>,
}

/// A Duo Mobile activation link. The link itself is a credential: whoever opens it first
/// becomes the phone, and reactivating kills the old Duo Mobile credentials.
#[derive(Debug, Deserialize)]
pub struct DuoActivation {
    pub activation_url: Secret,
    /// Present when `install` was asked for.
    #[serde(default)]
    pub installation_url: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub valid_secs: u64,
}

/// What kind of phone to create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DuoPhoneType {
    /// Calls only.
    Landline,
    /// Created as a `generic smartphone`; Duo detects the platform on activation.
    Mobile,
}

/// Duo sends `null` for some empty fields.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}
