//! authenticatorGetAssertion (CTAP 2.1 §6.2): allowList only (no discoverable credentials),
//! the pinUvAuthParam checked, and a touch unless the platform asks for `up: false`.

use std::collections::BTreeMap;

use serde_cbor_2::Value;
use webauthn_authenticator_rs::{ctap2::commands::GetAssertionRequest, ui::UiCallback};

use super::Request;
use crate::{
    cbor::{bool_options, encode},
    credential, pin_token, softtoken,
    state::State,
    status, VirtualAuthenticator,
};

/// What the key decided before the touch.
struct Plan {
    uv: bool,
    up: bool,
    /// The index in [`State::credentials`] of the credential to assert with.
    credential: usize,
}

impl VirtualAuthenticator {
    pub(super) async fn get_assertion<U: UiCallback>(
        &self,
        params: &[u8],
        ui: &U,
    ) -> Result<Vec<u8>, u8> {
        // As for makeCredential, the crate's TryFrom drops 0x05 options, 0x06 and 0x07.
        let request: Request<GetAssertionRequest> =
            self.read_request(params, (0x06, 0x07), ui).await?;
        let plan = self.state().plan_get_assertion(&request)?;
        if plan.up {
            self.wait_for_presence(ui).await?;
        }
        self.state().assert(request.parsed, &plan)
    }
}

impl State {
    fn plan_get_assertion(&mut self, request: &Request<GetAssertionRequest>) -> Result<Plan, u8> {
        let parsed = &request.parsed;
        let options = bool_options(request.map.get(&0x05));
        if options.contains_key("rk") {
            return Err(status::UNSUPPORTED_OPTION);
        }
        if options.get("uv") == Some(&true) {
            return Err(status::INVALID_OPTION);
        }
        let up = options.get("up").copied().unwrap_or(true);
        let uv = self.verify_param(
            request.param.as_deref(),
            request.protocol,
            &parsed.client_data_hash,
            pin_token::GA,
            &parsed.rp_id,
        )?;
        // No discoverable credentials: an empty allowList finds nothing.
        let credential = parsed.allow_list.iter().find_map(|d| {
            self.credentials
                .iter()
                .position(|c| c.id == d.id && c.rp_id == parsed.rp_id)
        });
        let credential = credential.ok_or(status::NO_CREDENTIALS)?;
        Ok(Plan { uv, up, credential })
    }

    fn assert(&mut self, request: GetAssertionRequest, plan: &Plan) -> Result<Vec<u8>, u8> {
        let credential = self
            .credentials
            .get(plan.credential)
            .ok_or(status::NO_CREDENTIALS)?;
        let id = credential.id.clone();
        let (auth_data, signature) = if let Some(key) = credential.key.clone() {
            let flags = credential::flags(plan.up, plan.uv);
            let auth_data = credential::auth_data(&request.rp_id, flags, self.next_sign_count());
            let signature = credential::sign(&key, &auth_data, &request.client_data_hash)?;
            (auth_data, signature)
        } else if let Some((soft, _)) = self.soft.as_mut() {
            softtoken::assert(soft, &request, &id, plan.uv)?
        } else {
            return Err(status::OTHER);
        };
        if plan.uv {
            self.spend_token();
        }
        encode(&BTreeMap::from([
            (0x01u32, credential::descriptor(id)),
            (0x02, Value::Bytes(auth_data)),
            (0x03, Value::Bytes(signature)),
        ]))
    }
}
