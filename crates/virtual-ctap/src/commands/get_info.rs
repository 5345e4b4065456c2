//! authenticatorGetInfo (CTAP 2.1 §6.4): what the crate reads to pick the PIN protocol and
//! between legacy getPinToken and getPinUvAuthTokenUsingPinWithPermissions.

use std::collections::{BTreeMap, BTreeSet};

use webauthn_authenticator_rs::ctap2::commands::GetInfoResponse;

use crate::{config::Version, state::State, status};

impl State {
    pub(super) fn get_info(&self) -> Result<Vec<u8>, u8> {
        let c = &self.config;
        let fido21 = c.version == Version::Fido21;
        let mut versions = BTreeSet::from(["FIDO_2_0".to_owned()]);
        let mut options = BTreeMap::from([
            ("rk".to_owned(), false),
            ("up".to_owned(), true),
            ("plat".to_owned(), false),
            ("clientPin".to_owned(), self.pin_hash.is_some()),
        ]);
        if fido21 {
            versions.insert("FIDO_2_1".to_owned());
            options.insert("pinUvAuthToken".to_owned(), true);
        }
        let info = GetInfoResponse {
            versions,
            aaguid: Some(c.aaguid),
            options: Some(options),
            max_msg_size: Some(c.max_msg_size),
            pin_protocols: Some(c.pin_protocols.clone()),
            transports: Some(vec!["usb".to_owned()]),
            min_pin_length: fido21.then_some(c.min_pin_length),
            ..Default::default()
        };
        serde_cbor_2::to_vec(&info).map_err(|_| status::OTHER)
    }
}
