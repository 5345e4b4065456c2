//! Short-lived, one-use bypass codes.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::Secret;

/// `201` answer to `POST /v1/me/bypass-codes`: the code is shown once and never again.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BypassCodeIssued {
    /// 9 digits.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "123456789"))]
    pub code: Secret,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}
