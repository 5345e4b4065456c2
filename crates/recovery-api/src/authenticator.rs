//! The person's second factors as the MFA system of record holds them.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// `GET /v1/me/authenticators`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthenticatorList {
    pub authenticators: Vec<Authenticator>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Authenticator {
    pub id: String,
    pub kind: AuthenticatorKind,
    /// A name the person recognises ("iPhone", "YubiKey 5 NFC").
    pub name: String,
    pub status: AuthenticatorStatus,
    /// Present for phones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<PhoneDetails>,
    /// When it was added, where the system of record says.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub created_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuthenticatorKind {
    Phone,
    SecurityKey,
    HardwareToken,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuthenticatorStatus {
    Active,
    /// Added but not yet proven (a landline waiting for its code).
    Pending,
    Disabled,
}

/// A phone, with its number masked: the screen may be a shared kiosk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhoneDetails {
    /// The last digits only, for example `•••• 0142`.
    pub number_hint: String,
    pub phone_type: PhoneType,
    /// The phone's operating system when known (`ios`, `android`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// Whether the authenticator app on it is activated.
    pub app_activated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PhoneType {
    Mobile,
    Landline,
}
