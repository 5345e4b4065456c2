//! authenticatorReset (CTAP 2.1 §6.6): after a touch, forget the PIN and every credential.

use webauthn_authenticator_rs::ui::UiCallback;

use crate::{config::MAX_PIN_RETRIES, VirtualAuthenticator};

impl VirtualAuthenticator {
    pub(super) async fn reset<U: UiCallback>(&self, ui: &U) -> Result<Vec<u8>, u8> {
        self.wait_for_presence(ui).await?;
        let mut state = self.state();
        state.power_cycle();
        state.pin_hash = None;
        state.pin_retries = MAX_PIN_RETRIES;
        state.credentials.clear();
        Ok(Vec::new())
    }
}
