//! Kiosk enrollment: a help-desk PC trades a one-time enrollment token for its own credential.

use serde::{Deserialize, Serialize};

use crate::Secret;

/// Header a kiosk sends its credential in.
pub const KIOSK_CREDENTIAL_HEADER: &str = "x-recovery-kiosk";

/// `POST /v1/kiosks/enrollments`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EnrollKiosk {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Password))]
    pub enrollment_token: Secret,
}

/// `201` answer: the credential is shown once; the kiosk keeps it in the OS keyring.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KioskEnrolled {
    pub kiosk_id: String,
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub credential: Secret,
}
