//! The transport: webauthn-authenticator-rs' [`Token`] trait, through which the crate talks
//! to this key exactly as to a USB one. Every request is logged with the status it got.

use async_trait::async_trait;
use uuid::Uuid;
use webauthn_authenticator_rs::{
    error::{CtapError, WebauthnCError},
    transport::Token,
    ui::UiCallback,
};
use webauthn_rs_proto::AuthenticatorTransport;

use crate::{request_log::Exchange, status, VirtualAuthenticator};

#[async_trait]
impl Token for VirtualAuthenticator {
    type Id = Uuid;

    fn get_transport(&self) -> AuthenticatorTransport {
        AuthenticatorTransport::Usb
    }

    async fn transmit_raw<U>(&mut self, cbor: &[u8], ui: &U) -> Result<Vec<u8>, WebauthnCError>
    where
        U: UiCallback,
    {
        let (kind, result) = self.dispatch(cbor, ui).await;
        let code = match &result {
            Ok(_) => status::OK,
            Err(code) => *code,
        };
        self.state().log.push(Exchange { kind, status: code });
        result.map_err(|code| WebauthnCError::Ctap(CtapError::from(code)))
    }

    /// CTAPHID_CANCEL: a request waiting for a touch ends with KEEPALIVE_CANCEL (0x2D). With
    /// nothing pending it is counted and otherwise ignored, as on a real key.
    async fn cancel(&mut self) -> Result<(), WebauthnCError> {
        let mut state = self.state();
        state.cancels += 1;
        if state.waiting {
            state.cancel_requested = true;
        }
        Ok(())
    }

    async fn init(&mut self) -> Result<(), WebauthnCError> {
        Ok(())
    }

    async fn close(&mut self) -> Result<(), WebauthnCError> {
        Ok(())
    }
}
