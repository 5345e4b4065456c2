//! The CTAP commands the key understands, one module each. This one routes a request by its
//! command byte, and reads what makeCredential and getAssertion have in common.

mod client_pin;
mod get_assertion;
mod get_info;
mod make_credential;
mod reset;
mod selection;

use std::collections::BTreeMap;

use serde_cbor_2::Value;
use webauthn_authenticator_rs::ui::UiCallback;

use crate::{
    cbor::{bytes, parse_map, uint},
    request_log::RequestKind,
    status, VirtualAuthenticator,
};

impl VirtualAuthenticator {
    /// Runs one CTAP request (command byte, then CBOR parameters); returns what to log it as
    /// and the response body or status.
    pub(crate) async fn dispatch<U: UiCallback>(
        &self,
        cbor: &[u8],
        ui: &U,
    ) -> (RequestKind, Result<Vec<u8>, u8>) {
        let Some((&command, params)) = cbor.split_first() else {
            return (RequestKind::Other(0), Err(status::INVALID_LENGTH));
        };
        match command {
            0x01 => (
                RequestKind::MakeCredential,
                self.make_credential(params, ui).await,
            ),
            0x02 => (
                RequestKind::GetAssertion,
                self.get_assertion(params, ui).await,
            ),
            0x04 => (RequestKind::GetInfo, self.state().get_info()),
            0x06 => {
                let (subcommand, result) = self.client_pin(params);
                (RequestKind::ClientPin(subcommand), result)
            }
            0x07 => (RequestKind::Reset, self.reset(ui).await),
            0x0B => (RequestKind::Selection, self.selection(ui).await),
            other => (RequestKind::Other(other), Err(status::INVALID_COMMAND)),
        }
    }

    /// Reads a makeCredential or getAssertion request: the raw map, the crate's parse of it,
    /// and the pinUvAuthParam and pinUvAuthProtocol at `param_key` and `protocol_key`, which
    /// the crate's parsers drop (make_credential.rs:230-232). A zero-length pinUvAuthParam is
    /// a selection probe, answered here; a pinUvAuthParam under a protocol this key does not
    /// speak is refused here too.
    async fn read_request<R, U>(
        &self,
        params: &[u8],
        (param_key, protocol_key): (u32, u32),
        ui: &U,
    ) -> Result<Request<R>, u8>
    where
        R: TryFrom<BTreeMap<u32, Value>>,
        U: UiCallback,
    {
        let map = parse_map(params)?;
        let param = bytes(map.get(&param_key));
        let protocol = uint(map.get(&protocol_key));
        let parsed = R::try_from(map.clone()).map_err(|_| status::MISSING_PARAMETER)?;
        if param.as_ref().is_some_and(Vec::is_empty) {
            return Err(self.selection_probe(ui).await);
        }
        // Step 2 of both commands, before any other check: the protocol must be one we speak.
        if param.is_some() {
            self.state().protocol(protocol)?;
        }
        Ok(Request {
            map,
            parsed,
            param,
            protocol,
        })
    }
}

/// A makeCredential or getAssertion request, as [`VirtualAuthenticator::read_request`] reads it.
struct Request<R> {
    map: BTreeMap<u32, Value>,
    parsed: R,
    param: Option<Vec<u8>>,
    protocol: Option<u32>,
}
