//! Security keys: the service is the WebAuthn relying party (webauthn-rs 0.6, security-key
//! flavour); the person's app runs the CTAP2 ceremony with the key and sends back its answer.
//!
//! [`RelyingParty`] is all the rest of the service touches. Every ceremony is two calls: `start_*`
//! returns the options for the client plus a pending state the caller stores server side (it is
//! JSON, so it fits a database column), `finish_*` checks the client's answer against that state.
//! A pending state must be used at most once: this module does not remember which ones were
//! used, the caller's storage does (claim the row, then finish).
//!
//! What the key must do, and what this module decides:
//! - **User verification** is webauthn-rs's security-key default, `preferred`: a key with a PIN
//!   (the normal case) asks for it when registering, the credential is then recorded as verified
//!   and every later authentication with it must be verified too ([`SecurityKeyError::UserNotVerified`]
//!   otherwise). A key without PIN or biometrics registers with presence only. The
//!   `danger-user-presence-only-security-keys` feature is deliberately not used.
//! - **Exclusion**: the person's keys go to the client as `excludeCredentials`, so a real key
//!   refuses to register twice (`CTAP2_ERR_CREDENTIAL_EXCLUDED`, before anything reaches us). The
//!   server checks again and answers [`SecurityKeyError::AlreadyRegistered`] (webauthn-rs's own
//!   re-check reports the same error as a wrong algorithm, so this module does it itself).
//! - **Models**: see [`SecurityKeyPolicy::allowed_aaguids`] and
//!   [`SecurityKeyPolicy::attestation_ca_pem_files`].

mod allow_list;
mod browser;
mod relying_party;
#[cfg(test)]
mod test_support;

use std::path::PathBuf;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use webauthn_rs::prelude::{
    SecurityKey, SecurityKeyAuthentication, SecurityKeyRegistration, WebauthnError,
};

pub use allow_list::model_name;
pub use browser::browser_options;
pub use relying_party::RelyingParty;
/// The WebAuthn messages the client sends and receives, as webauthn-rs names them.
pub use webauthn_rs::prelude::{
    CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse,
};

/// `[security_keys]` in the service configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecurityKeyPolicy {
    /// The WebAuthn relying-party id: the domain credentials are bound to. It must be the
    /// origin's host or a parent domain of it, and can never change without every registered
    /// key becoming unusable.
    pub rp_id: String,
    /// The origin the client reports (`https://recovery.example.com`, no path). Plain `http` is
    /// only accepted for `localhost`, as WebAuthn clients do.
    pub rp_origin: String,
    /// Shown by some clients while the key is touched.
    pub rp_name: String,
    /// Models (AAGUIDs) people may register; empty means any model. When set, registration asks
    /// for direct attestation so the client passes the key's AAGUID through. Without
    /// `attestation_ca_pem_files` the AAGUID is the key's own claim, signed by a certificate
    /// nobody vouches for: it keeps honest people from registering the wrong model, but a
    /// software authenticator can claim any AAGUID.
    pub allowed_aaguids: Vec<Uuid>,
    /// Manufacturers' attestation root certificates, one PEM certificate per file (e.g. Yubico's
    /// U2F root CA, or roots from the FIDO Metadata Service). When set, a key is only accepted if
    /// its attestation chains to one of them, and — when `allowed_aaguids` is also set — its
    /// AAGUID is listed. Relative paths are read from the working directory at start-up.
    pub attestation_ca_pem_files: Vec<PathBuf>,
}

impl Default for SecurityKeyPolicy {
    fn default() -> Self {
        Self {
            rp_id: "localhost".to_owned(),
            rp_origin: "http://localhost".to_owned(),
            rp_name: "Recovery Desk".to_owned(),
            allowed_aaguids: Vec::new(),
            attestation_ca_pem_files: Vec::new(),
        }
    }
}

/// Why a security-key ceremony failed. Messages never contain key material or challenges.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum SecurityKeyError {
    /// The answer came from a credential the person already has.
    #[error("this security key is already registered")]
    AlreadyRegistered,
    /// The key's model is not allowed here, or its attestation could not prove its model.
    #[error("this model of security key is not allowed")]
    ModelNotAllowed,
    /// The answer was made for another ceremony's challenge.
    #[error("the security key answered another challenge")]
    ChallengeMismatch,
    /// The answer names another origin or relying party than this service.
    #[error("the security key answered for another site")]
    WrongOrigin,
    /// The credential was registered with its PIN (or fingerprint) and this answer was not
    /// verified.
    #[error("the security key did not verify its user")]
    UserNotVerified,
    /// The answering credential is not one of the person's keys (or they have none).
    #[error("this security key is not registered")]
    UnknownCredential,
    /// The key's signature counter went backwards: the key may have been cloned.
    #[error("the security key's signature counter did not increase")]
    PossiblyCloned,
    /// Anything else wrong with the answer: malformed, bad signature, forged attestation…
    #[error("the security key's answer is invalid")]
    InvalidCredential,
    /// A stored pending state or stored key could not be read (or written).
    #[error("stored security-key state is corrupt")]
    StateCorrupt,
    /// The relying party is misconfigured.
    #[error("security-key configuration: {0}")]
    Config(String),
}

impl SecurityKeyError {
    /// Maps webauthn-rs's verdicts deliberately; everything not named is a bad answer.
    fn from_webauthn(error: WebauthnError) -> Self {
        use WebauthnError as W;
        let mapped = match &error {
            W::MismatchedChallenge | W::ChallengeNotFound => Self::ChallengeMismatch,
            W::InvalidRPOrigin | W::InvalidRPIDHash | W::CredentialCrossOrigin => Self::WrongOrigin,
            W::UserNotVerified => Self::UserNotVerified,
            W::AttestationNotVerifiable
            | W::AttestationUntrustedAaguid
            | W::AttestationFormatMissingAaguid
            | W::AttestationChainNotTrusted(_)
            | W::AttestationTrustFailure
            | W::TrustFailure => Self::ModelNotAllowed,
            // webauthn-rs never returns these for security keys today (see the module docs).
            W::CredentialExcludedFromRequest | W::CredentialAlreadyExists => {
                Self::AlreadyRegistered
            }
            W::CredentialNotFound => Self::UnknownCredential,
            W::CredentialPossibleCompromise => Self::PossiblyCloned,
            W::Configuration
            | W::MissingAttestationCaList
            | W::AttestationCertificateTrustStoreEmpty
            | W::InvalidUsername
            | W::InconsistentUserVerificationPolicy => Self::Config(error.to_string()),
            _ => Self::InvalidCredential,
        };
        tracing::debug!(%error, ?mapped, "security-key ceremony failed");
        mapped
    }
}

/// A registered key as the database keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    /// The credential id, base64url without padding (unique per key and site).
    pub credential_id: String,
    /// The key's model, when its attestation named one (see [`model_name`]).
    pub aaguid: Option<Uuid>,
    /// The webauthn-rs `SecurityKey` as JSON: public key, counter, attestation. No secrets.
    pub key_json: String,
}

impl StoredKey {
    fn from_security_key(
        key: &SecurityKey,
        aaguid: Option<Uuid>,
    ) -> Result<Self, SecurityKeyError> {
        Ok(Self {
            credential_id: encode_credential_id(key.cred_id()),
            aaguid,
            key_json: serde_json::to_string(key).map_err(|_| SecurityKeyError::StateCorrupt)?,
        })
    }

    /// The webauthn-rs type back. [`SecurityKeyError::StateCorrupt`] when `key_json` does not
    /// parse or belongs to another credential than `credential_id` (when that is set).
    pub fn to_security_key(&self) -> Result<SecurityKey, SecurityKeyError> {
        let key: SecurityKey =
            serde_json::from_str(&self.key_json).map_err(|_| SecurityKeyError::StateCorrupt)?;
        if !self.credential_id.is_empty()
            && self.credential_id != encode_credential_id(key.cred_id())
        {
            return Err(SecurityKeyError::StateCorrupt);
        }
        Ok(key)
    }
}

/// Server-side state of a registration in progress, as JSON for the database. Store it, hand
/// it back to [`RelyingParty::finish_registration`] once, then forget it.
#[derive(Clone, PartialEq, Eq)]
pub struct PendingRegistration(String);

impl PendingRegistration {
    pub fn as_json(&self) -> &str {
        &self.0
    }

    /// From the stored JSON; it is only parsed (and rejected if corrupt) when finishing.
    pub fn from_json(json: String) -> Self {
        Self(json)
    }
}

impl std::fmt::Debug for PendingRegistration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PendingRegistration(..)")
    }
}

/// Server-side state of an authentication in progress, as JSON for the database; single use,
/// like [`PendingRegistration`].
#[derive(Clone, PartialEq, Eq)]
pub struct PendingAuthentication(String);

impl PendingAuthentication {
    pub fn as_json(&self) -> &str {
        &self.0
    }

    pub fn from_json(json: String) -> Self {
        Self(json)
    }
}

impl std::fmt::Debug for PendingAuthentication {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PendingAuthentication(..)")
    }
}

/// A successful authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    /// Which of the person's keys answered (base64url, as in [`StoredKey::credential_id`]).
    pub credential_id: String,
    /// That key with its signature counter brought up to date.
    pub key: StoredKey,
    /// Whether `key` differs from what was passed in: persist `key.key_json` when true.
    pub key_changed: bool,
    /// Whether the key verified its user (PIN or biometrics) this time.
    pub user_verified: bool,
}

/// What a [`PendingRegistration`] holds.
#[derive(Serialize, Deserialize)]
struct RegistrationRecord {
    state: SecurityKeyRegistration,
    /// The person's credential ids when registration started (base64url).
    exclude: Vec<String>,
}

/// What a [`PendingAuthentication`] holds.
#[derive(Serialize, Deserialize)]
struct AuthenticationRecord {
    state: SecurityKeyAuthentication,
}

fn encode_credential_id(id: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_defaults_and_rejects_unknown_fields() {
        let empty: SecurityKeyPolicy = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, SecurityKeyPolicy::default());
        assert_eq!(empty.rp_id, "localhost");
        assert_eq!(empty.rp_origin, "http://localhost");
        assert_eq!(empty.rp_name, "Recovery Desk");
        assert!(RelyingParty::new(&empty).is_ok());

        let listed: SecurityKeyPolicy = serde_json::from_str(
            r#"{"allowed_aaguids": ["ee882879-721c-4913-9775-3dfcce97072a"],
                "attestation_ca_pem_files": ["yubico-u2f-root.pem"]}"#,
        )
        .unwrap();
        assert_eq!(listed.allowed_aaguids.len(), 1);
        assert_eq!(
            listed.attestation_ca_pem_files,
            [PathBuf::from("yubico-u2f-root.pem")]
        );

        assert!(serde_json::from_str::<SecurityKeyPolicy>(r#"{"rp_idd": "x"}"#).is_err());
    }

    #[test]
    fn webauthn_verdicts_map_to_precise_errors() {
        use WebauthnError as W;
        for (error, expected) in [
            (W::MismatchedChallenge, SecurityKeyError::ChallengeMismatch),
            (W::InvalidRPOrigin, SecurityKeyError::WrongOrigin),
            (W::InvalidRPIDHash, SecurityKeyError::WrongOrigin),
            (W::UserNotVerified, SecurityKeyError::UserNotVerified),
            (
                W::AttestationUntrustedAaguid,
                SecurityKeyError::ModelNotAllowed,
            ),
            (
                W::AttestationNotVerifiable,
                SecurityKeyError::ModelNotAllowed,
            ),
            (W::CredentialNotFound, SecurityKeyError::UnknownCredential),
            (
                W::CredentialPossibleCompromise,
                SecurityKeyError::PossiblyCloned,
            ),
            // The only thing webauthn-rs reports for an excluded credential, and for a wrong
            // algorithm; this module does its own exclusion check before it matters.
            (
                W::CredentialAlteredAlgFromRequest,
                SecurityKeyError::InvalidCredential,
            ),
            (
                W::AuthenticationFailure,
                SecurityKeyError::InvalidCredential,
            ),
            (W::UserNotPresent, SecurityKeyError::InvalidCredential),
        ] {
            assert_eq!(SecurityKeyError::from_webauthn(error), expected);
        }
        assert!(matches!(
            SecurityKeyError::from_webauthn(W::Configuration),
            SecurityKeyError::Config(_)
        ));
    }
}
