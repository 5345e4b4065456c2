//! Registering a security key: the service is the WebAuthn relying party; the app runs the
//! CTAP2 ceremony with the key and sends back its answer.

use serde::{Deserialize, Serialize};
pub use webauthn_rs_proto::{CreationChallengeResponse, RegisterPublicKeyCredential};

/// `201` answer to `POST /v1/me/security-keys/registrations`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistrationStarted {
    pub id: String,
    /// WebAuthn `PublicKeyCredentialCreationOptions`, with the person's keys excluded.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub options: CreationChallengeResponse,
    /// The web origin the client must report in `clientDataJSON` (the service's configured
    /// relying-party origin, e.g. `https://recovery.example.com`). Empty from older services.
    #[serde(default)]
    pub origin: String,
}

/// `POST /v1/me/security-keys/registrations/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FinishRegistration {
    /// What the person calls the key; empty means the model's name.
    #[serde(default)]
    pub name: String,
    /// The key's `PublicKeyCredential` answer.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub credential: RegisterPublicKeyCredential,
}

/// `PATCH /v1/me/authenticators/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RenameAuthenticator {
    pub name: String,
}
