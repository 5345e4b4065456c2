//! authenticatorMakeCredential (CTAP 2.1 §6.1): ES256 only, no discoverable credentials, the
//! pinUvAuthParam checked, a touch always, and `packed` self, `none` or SoftToken attestation.

use std::collections::BTreeMap;

use crypto_glue::ecdsa_p256;
use serde_cbor_2::Value;
use webauthn_authenticator_rs::{ctap2::commands::MakeCredentialRequest, ui::UiCallback};

use super::Request;
use crate::{
    cbor::{bool_options, descriptor_ids, encode},
    config::Attestation,
    credential::{self, Credential, AT, ES256},
    pin, pin_token, softtoken,
    state::State,
    status, VirtualAuthenticator,
};

/// What the key decided before the touch.
struct Plan {
    uv: bool,
    /// The excludeList names a credential this key made for the RP.
    excluded: bool,
}

impl VirtualAuthenticator {
    pub(super) async fn make_credential<U: UiCallback>(
        &self,
        params: &[u8],
        ui: &U,
    ) -> Result<Vec<u8>, u8> {
        let request: Request<MakeCredentialRequest> =
            self.read_request(params, (0x08, 0x09), ui).await?;
        let plan = self.state().plan_make_credential(&request)?;
        let presence = self.wait_for_presence(ui).await;
        if plan.excluded {
            // CTAP 2.1 §6.1.2 step 12: "regardless of whether user presence is obtained or the
            // authenticator times out", the answer is CREDENTIAL_EXCLUDED; only a CTAPHID_CANCEL
            // ends the request otherwise.
            return Err(match presence {
                Err(status::KEEPALIVE_CANCEL) => status::KEEPALIVE_CANCEL,
                _ => status::CREDENTIAL_EXCLUDED,
            });
        }
        presence?;
        self.state().create_credential(request.parsed, plan.uv)
    }
}

impl State {
    fn plan_make_credential(
        &mut self,
        request: &Request<MakeCredentialRequest>,
    ) -> Result<Plan, u8> {
        let parsed = &request.parsed;
        if !parsed
            .pub_key_cred_params
            .iter()
            .any(|p| p.type_ == "public-key" && i128::from(p.alg) == ES256)
        {
            return Err(status::UNSUPPORTED_ALGORITHM);
        }
        let options = bool_options(request.map.get(&0x07));
        if options.get("rk") == Some(&true) {
            return Err(status::UNSUPPORTED_OPTION);
        }
        if options.get("uv") == Some(&true) || options.get("up") == Some(&false) {
            return Err(status::INVALID_OPTION);
        }
        let uv = self.verify_param(
            request.param.as_deref(),
            request.protocol,
            &parsed.client_data_hash,
            pin_token::MC,
            &parsed.rp.id,
        )?;
        if !uv && self.pin_hash.is_some() {
            return Err(status::PUAT_REQUIRED);
        }
        // Read from the raw map: the crate's TryFrom parses 0x05 into descriptors whose
        // Base64UrlSafeData ids refuse CBOR byte strings, and then silently drops the list.
        let excluded = descriptor_ids(request.map.get(&0x05)).iter().any(|id| {
            self.credentials
                .iter()
                .any(|c| &c.id == id && c.rp_id == parsed.rp.id)
        });
        Ok(Plan { uv, excluded })
    }

    fn create_credential(
        &mut self,
        request: MakeCredentialRequest,
        uv: bool,
    ) -> Result<Vec<u8>, u8> {
        let response = if let Some((soft, _)) = self.soft.as_mut() {
            let rp_id = request.rp.id.clone();
            let (response, id) = softtoken::register(soft, request, uv)?;
            self.credentials.push(Credential {
                id,
                rp_id,
                key: None,
            });
            response
        } else {
            self.create_own_credential(request, uv)?
        };
        if uv {
            self.spend_token();
        }
        Ok(response)
    }

    /// A P-256 credential made and attested by this key itself.
    fn create_own_credential(
        &mut self,
        request: MakeCredentialRequest,
        uv: bool,
    ) -> Result<Vec<u8>, u8> {
        let rp_id = request.rp.id;
        let key = ecdsa_p256::new_key();
        let id: [u8; 32] = pin::random_array();
        let cose = credential::cose_public_key(&key)?;
        let flags = credential::flags(true, uv) | AT;
        let mut auth_data = credential::auth_data(&rp_id, flags, self.next_sign_count());
        auth_data.extend_from_slice(self.config.aaguid.as_bytes());
        auth_data.extend_from_slice(&(id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&id);
        auth_data.extend_from_slice(&cose);
        let (fmt, statement) = match self.config.attestation {
            Attestation::None => ("none", BTreeMap::new()),
            _ => {
                let sig = credential::sign(&key, &auth_data, &request.client_data_hash)?;
                (
                    "packed",
                    BTreeMap::from([
                        (Value::Text("alg".into()), Value::Integer(ES256)),
                        (Value::Text("sig".into()), Value::Bytes(sig)),
                    ]),
                )
            }
        };
        self.credentials.push(Credential {
            id: id.to_vec(),
            rp_id,
            key: Some(key),
        });
        encode(&BTreeMap::from([
            (0x01u32, Value::Text(fmt.to_owned())),
            (0x02, Value::Bytes(auth_data)),
            (0x03, Value::Map(statement)),
        ]))
    }
}

#[cfg(test)]
mod tests {
    use webauthn_authenticator_rs::ctap2::commands::CBORCommand;
    use webauthn_rs_proto::{PubKeyCredParams, PublicKeyCredentialDescriptor, RelyingParty, User};

    use super::*;
    use crate::cbor::{bytes, parse_map};

    /// Why makeCredential reads 0x05, 0x08 and 0x09 from the raw map: the crate's own parser
    /// loses all three.
    #[test]
    fn the_crates_make_credential_parser_drops_exclude_list_and_pin_params() {
        let request = MakeCredentialRequest {
            client_data_hash: vec![1; 32],
            rp: RelyingParty {
                id: "example.com".into(),
                name: "Example".into(),
            },
            user: User {
                id: vec![2],
                name: "ada".into(),
                display_name: "Ada".into(),
            },
            pub_key_cred_params: vec![PubKeyCredParams {
                type_: "public-key".into(),
                alg: -7,
            }],
            exclude_list: vec![PublicKeyCredentialDescriptor {
                type_: "public-key".into(),
                id: vec![3; 32],
                transports: None,
            }],
            options: None,
            pin_uv_auth_param: Some(vec![4; 32]),
            pin_uv_auth_proto: Some(2),
            enterprise_attest: None,
        };
        let cbor = request.cbor().unwrap();
        let map = parse_map(&cbor[1..]).unwrap();
        assert_eq!(descriptor_ids(map.get(&0x05)), vec![vec![3u8; 32]]);
        assert_eq!(bytes(map.get(&0x08)), Some(vec![4; 32]));
        let parsed = MakeCredentialRequest::try_from(map).unwrap();
        assert!(parsed.exclude_list.is_empty());
        assert_eq!(parsed.pin_uv_auth_param, None);
        assert_eq!(parsed.pin_uv_auth_proto, None);
    }
}
