//! Opening and ending a recovery session.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::Secret;

/// `POST /v1/recovery/sessions`: the password, then either date of birth + recovery PIN or a
/// passcode (a bypass code from the help desk, or a code from a device the person still has).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateSession {
    pub username: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Password))]
    pub password: Secret,
    /// `YYYY-MM-DD`; goes with `pin`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(example = "1985-12-10"))]
    pub date_of_birth: Option<String>,
    /// 4 to 12 digits; goes with `date_of_birth`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Password))]
    pub pin: Option<Secret>,
    /// 9 digits (a bypass code) or 6 digits (a device code); instead of date of birth + PIN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Password))]
    pub passcode: Option<Secret>,
}

/// `201` answer to [`CreateSession`]. The token is kept by the app's Rust side only.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionCreated {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub token: Secret,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    pub person: PersonSummary,
}

/// What the app may show about the verified person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonSummary {
    pub display_name: String,
}
