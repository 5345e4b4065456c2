//! Phones: adding a landline proven by a verification call, and reactivating the phone app.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{authenticator::PhoneType, Secret};

/// `POST /v1/me/phones`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AddPhone {
    /// As the person types it; numbers without a country code use the service's region.
    #[cfg_attr(feature = "openapi", schema(example = "+1 201 555 0178"))]
    pub number: String,
    /// Digits dialled after the call is answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<String>,
    /// Only `landline` can be added here; a mobile is added through the phone app.
    #[serde(rename = "type")]
    pub phone_type: PhoneType,
}

/// `201` answer: the phone is pending until the spoken code comes back.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhoneAdded {
    pub id: String,
    /// The last digits only.
    pub number_hint: String,
    /// When the pending phone is discarded if no code comes back.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// How the person proves the phone is theirs.
    pub delivery: CodeDelivery,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CodeDelivery {
    /// A call speaks a 6-digit code; the person types it back.
    VoiceCall,
    /// A call asks the person to answer and press a key; the app then checks (without a code)
    /// until the call is answered.
    AnswerCall,
}

/// `POST /v1/me/phones/{id}/verify`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VerifyPhone {
    /// The 6 digits the call spoke (`voice_call`); absent for `answer_call`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "123456"))]
    pub code: Option<Secret>,
}

/// `201` answer to `POST /v1/me/phones/{id}/activation`: shown as a QR code, used once.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivationCreated {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub activation_url: Secret,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// `202` answer to `POST /v1/me/phones/{id}/activation/sms`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivationSent {
    /// The last digits of the number the link went to.
    pub number_hint: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// `200` answer to `POST /v1/activations/{code}` (builtin provider): the new phone's
/// authenticator app enrolment, as a standard `otpauth://` URI.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppEnrollment {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub otpauth_uri: Secret,
}

/// Why a device is removed; `DELETE /v1/me/authenticators/{id}?reason=…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RemovalReason {
    Lost,
    Stolen,
    Replaced,
}

impl RemovalReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lost => "lost",
            Self::Stolen => "stolen",
            Self::Replaced => "replaced",
        }
    }
}
