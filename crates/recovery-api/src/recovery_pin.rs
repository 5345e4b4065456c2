//! The person's recovery PIN: whether it is set, and setting or changing it.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::Secret;

/// `GET /v1/me/recovery-pin`. Says nothing of the PIN itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecoveryPinStatus {
    pub set: bool,
    /// When it was set or last changed.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub set_at: Option<OffsetDateTime>,
    /// Whether this session may set it (one opened with a passcode).
    pub can_set: bool,
    /// The digits a new PIN may have.
    pub min_digits: u8,
    pub max_digits: u8,
}

/// `PUT /v1/me/recovery-pin`, in a session opened with a passcode. The app asks for the PIN
/// twice and compares the two itself; the service checks the policy.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetRecoveryPin {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Password))]
    pub pin: Secret,
}

/// `200` answer to [`SetRecoveryPin`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecoveryPinSet {
    /// `true` when it replaced an earlier PIN.
    pub changed: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub set_at: OffsetDateTime,
}
