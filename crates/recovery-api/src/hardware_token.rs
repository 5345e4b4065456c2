//! Code-generating hardware tokens (HOTP) that drifted out of step.

use serde::{Deserialize, Serialize};

use crate::Secret;

/// `POST /v1/me/hardware-tokens/{id}/resync`: 2 or 3 consecutive codes, in the order the
/// token showed them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResyncToken {
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>, example = json!(["755224", "287082"])))]
    pub codes: Vec<Secret>,
}
