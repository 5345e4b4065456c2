//! "Which key did the person touch?": authenticatorSelection (CTAP 2.1 §6.9), and the older
//! way of asking, a zero-length pinUvAuthParam in makeCredential or getAssertion (§6.1.2
//! step 1), which 2.0 keys understand too.

use webauthn_authenticator_rs::ui::UiCallback;

use crate::{config::Version, status, VirtualAuthenticator};

impl VirtualAuthenticator {
    pub(super) async fn selection<U: UiCallback>(&self, ui: &U) -> Result<Vec<u8>, u8> {
        let version = self.state().config.version;
        if version == Version::Fido21 {
            self.wait_for_presence(ui).await.map(|()| Vec::new())
        } else {
            Err(status::INVALID_COMMAND)
        }
    }

    /// Waits for presence, then answers as the spec says: PIN_NOT_SET or PIN_INVALID, never
    /// success, and no PIN retry is spent.
    pub(super) async fn selection_probe<U: UiCallback>(&self, ui: &U) -> u8 {
        match self.wait_for_presence(ui).await {
            Err(code) => code,
            Ok(()) if self.has_pin() => status::PIN_INVALID,
            Ok(()) => status::PIN_NOT_SET,
        }
    }
}
