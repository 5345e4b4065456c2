//! The pinUvAuthToken: clientPIN issues it, makeCredential and getAssertion check a
//! pinUvAuthParam against it, then spend it.

use crate::{state::State, status};

/// The makeCredential permission bit (CTAP 2.1 §6.5.5.7).
pub(crate) const MC: u8 = 0x01;
/// The getAssertion permission bit.
pub(crate) const GA: u8 = 0x02;

pub(crate) struct PinUvAuthToken {
    pub(crate) token: [u8; 32],
    /// Permission bits ([`MC`], [`GA`]); getPinToken grants both.
    pub(crate) permissions: u8,
    pub(crate) rp_id: Option<String>,
    /// Obtained with legacy getPinToken (0x05): never loses its permissions.
    pub(crate) legacy: bool,
}

impl State {
    /// Verifies a request's pinUvAuthParam, if it has one, over `client_data_hash` for
    /// `permission` on `rp_id`, binding an unbound 2.1 token to `rp_id` on first use. Returns
    /// whether the request is user-verified.
    pub(crate) fn verify_param(
        &mut self,
        param: Option<&[u8]>,
        protocol: Option<u32>,
        client_data_hash: &[u8],
        permission: u8,
        rp_id: &str,
    ) -> Result<bool, u8> {
        let Some(param) = param else {
            return Ok(false);
        };
        let protocol = self.protocol(protocol)?;
        if self.pin_hash.is_none() {
            return Err(status::PIN_NOT_SET);
        }
        let token = self.pin_token.as_mut().ok_or(status::PIN_AUTH_INVALID)?;
        if !protocol.verify(&token.token, client_data_hash, param) {
            return Err(status::PIN_AUTH_INVALID);
        }
        if token.permissions & permission == 0 {
            return Err(status::PIN_AUTH_INVALID);
        }
        match &token.rp_id {
            Some(bound) if bound != rp_id => return Err(status::PIN_AUTH_INVALID),
            None if !token.legacy => token.rp_id = Some(rp_id.to_owned()),
            _ => {}
        }
        Ok(true)
    }

    /// After a verified operation a 2.1 token loses its mc/ga permissions (CTAP 2.1 §6.1.2,
    /// §6.2.2, "clearPinUvAuthTokenPermissionsExceptLbw"; spec, not re-read).
    pub(crate) fn spend_token(&mut self) {
        if let Some(token) = self.pin_token.as_mut().filter(|t| !t.legacy) {
            token.permissions = 0;
        }
    }
}
