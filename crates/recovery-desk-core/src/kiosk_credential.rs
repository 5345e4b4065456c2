//! A help-desk kiosk's own credential, issued once at enrollment and kept in the OS keyring
//! (`keyring` crate): Secret Service / keyutils on Linux, Keychain on macOS, Credential Manager
//! on Windows. It goes with every request the kiosk makes, so the service can tell kiosks apart
//! and revoke one that is stolen.

use recovery_api::{kiosk::EnrollKiosk, Secret};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::service_client::{ClientError, ServiceClient};

/// The keyring "service" the entry is filed under; the "user" is the recovery service's origin.
const KEYRING_SERVICE: &str = "recovery-desk-kiosk";

#[derive(Debug, thiserror::Error)]
pub enum KioskError {
    #[error("the OS keyring refused: {0}")]
    Keyring(#[from] keyring::Error),
    #[error(
        "the stored kiosk credential is damaged; run `recovery-desk kiosk forget` and enroll again"
    )]
    Damaged,
    #[error("the enrollment token must not be empty")]
    EmptyToken,
    #[error(transparent)]
    Service(#[from] ClientError),
}

/// What enrollment leaves in the keyring.
#[derive(Clone, Serialize, Deserialize)]
pub struct StoredKiosk {
    pub kiosk_id: String,
    pub name: String,
    pub credential: Secret,
}

impl std::fmt::Debug for StoredKiosk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKiosk")
            .field("kiosk_id", &self.kiosk_id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// The keyring entry for one recovery service.
pub struct KioskCredentialStore {
    entry: keyring::Entry,
}

impl KioskCredentialStore {
    pub fn for_service(service: &Url) -> Result<Self, KioskError> {
        let origin = service.origin().ascii_serialization();
        Ok(Self {
            entry: keyring::Entry::new(KEYRING_SERVICE, &origin)?,
        })
    }

    pub fn load(&self) -> Result<Option<StoredKiosk>, KioskError> {
        match self.entry.get_password() {
            Ok(text) => {
                let text = zeroize::Zeroizing::new(text);
                serde_json::from_str(&text)
                    .map(Some)
                    .map_err(|_| KioskError::Damaged)
            }
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    pub fn save(&self, kiosk: &StoredKiosk) -> Result<(), KioskError> {
        let text =
            zeroize::Zeroizing::new(serde_json::to_string(kiosk).map_err(|_| KioskError::Damaged)?);
        self.entry.set_password(&text)?;
        Ok(())
    }

    /// Removes the credential; `false` when there was none.
    pub fn forget(&self) -> Result<bool, KioskError> {
        match self.entry.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(error) => Err(error.into()),
        }
    }
}

/// Trades a one-time enrollment token for the kiosk's credential and stores it.
pub async fn enroll(
    service: &Url,
    enrollment_token: Secret,
    store: &KioskCredentialStore,
) -> Result<StoredKiosk, KioskError> {
    if enrollment_token.expose().trim().is_empty() {
        return Err(KioskError::EmptyToken);
    }
    let client = ServiceClient::new(service.clone(), None)?;
    let enrolled = client
        .enroll_kiosk(&EnrollKiosk { enrollment_token })
        .await?;
    let kiosk = StoredKiosk {
        kiosk_id: enrolled.kiosk_id,
        name: enrolled.name,
        credential: enrolled.credential,
    };
    store.save(&kiosk)?;
    Ok(kiosk)
}
