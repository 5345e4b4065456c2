//! privacyIDEA's two-step WebAuthn enrolment, in the shapes the app's CTAP2 client speaks.
//!
//! Step 1 (`/token/init type=webauthn`) answers `webAuthnRegisterRequest`; it becomes our
//! creation options: the challenge is its `nonce`, the user id the bytes of `serialNumber`.
//! Step 2 sends the key's `clientDataJSON` and attestation object back (base64url) with an
//! HTTP `Origin` header that must equal the origin inside `clientDataJSON`: privacyIDEA
//! refuses the enrolment without it.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use recovery_api::security_key::{CreationChallengeResponse, RegisterPublicKeyCredential};
use serde_json::{json, Value};

use crate::{mfa::ProviderError, security_key::SecurityKeyError};

/// Our registration id: the pending token's serial and privacyIDEA's transaction.
pub fn registration_id(serial: &str, transaction_id: &str) -> String {
    format!("{serial}.{transaction_id}")
}

/// `(serial, transaction_id)` from a registration id.
pub fn split_registration_id(id: &str) -> Option<(&str, &str)> {
    let (serial, transaction) = id.rsplit_once('.')?;
    let digits = !transaction.is_empty() && transaction.bytes().all(|b| b.is_ascii_digit());
    (super::tokens::is_serial(serial) && digits).then_some((serial, transaction))
}

/// Creation options from privacyIDEA's `webAuthnRegisterRequest`.
pub fn creation_options(request: &Value) -> Result<CreationChallengeResponse, ProviderError> {
    let text = |key: &str| request[key].as_str().unwrap_or_default();
    let (nonce, serial) = (text("nonce"), text("serialNumber"));
    if nonce.is_empty() || serial.is_empty() {
        return Err(ProviderError::Unavailable(
            "privacyIDEA's WebAuthn request lacks its nonce or serial".to_owned(),
        ));
    }
    let algorithms: Vec<Value> = request["pubKeyCredAlgorithms"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| vec![json!({"type": "public-key", "alg": -7})])
        .into_iter()
        .filter_map(|a| Some(json!({"type": "public-key", "alg": a["alg"].as_i64()?})))
        .collect();
    let excluded: Vec<Value> = request["excludeCredentials"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|c| Some(json!({"type": "public-key", "id": c["id"].as_str()?})))
        .collect();
    let verification = request["authenticatorSelection"]["userVerification"]
        .as_str()
        .unwrap_or("preferred");
    let options = json!({
        "publicKey": {
            "rp": {
                "id": request["relyingParty"]["id"],
                "name": request["relyingParty"]["name"],
            },
            "user": {
                "id": URL_SAFE_NO_PAD.encode(serial.as_bytes()),
                "name": request["name"].as_str().unwrap_or(serial),
                "displayName": request["displayName"].as_str().unwrap_or(serial),
            },
            // The nonce is base64url already; decoding it gives the challenge bytes.
            "challenge": nonce.trim_end_matches('='),
            "pubKeyCredParams": algorithms,
            "timeout": request["timeout"].as_u64().unwrap_or(60_000),
            "excludeCredentials": excluded,
            "authenticatorSelection": {
                "requireResidentKey": false,
                "userVerification": verification,
            },
            "attestation": request["attestation"].as_str().unwrap_or("direct"),
        }
    });
    serde_json::from_value(options).map_err(|e| {
        ProviderError::Unavailable(format!("privacyIDEA's WebAuthn request is not usable: {e}"))
    })
}

/// Whether the origin a client wrote equals ours. Clients differ in form (browsers write
/// `https://host`, webauthn-authenticator-rs a URL with a trailing slash), so the scheme, host
/// and port are compared; the client's own text is what goes into the `Origin` header, since
/// privacyIDEA compares that header with `clientDataJSON` exactly.
pub fn same_origin(client: &str, ours: &str) -> bool {
    match (url::Url::parse(client), url::Url::parse(ours)) {
        (Ok(client), Ok(ours)) => client.origin() == ours.origin() && client.path() == "/",
        _ => false,
    }
}

/// What step 2 sends: `clientdata`, `regdata` (base64url) and the origin in `clientDataJSON`.
pub struct Enrolment {
    pub clientdata: String,
    pub regdata: String,
    pub origin: String,
}

pub fn enrolment(credential: &RegisterPublicKeyCredential) -> Result<Enrolment, ProviderError> {
    let client_data: Value = serde_json::from_slice(&credential.response.client_data_json)
        .map_err(|_| SecurityKeyError::InvalidCredential)?;
    if client_data["type"] != "webauthn.create" {
        return Err(SecurityKeyError::InvalidCredential.into());
    }
    let origin = client_data["origin"]
        .as_str()
        .ok_or(SecurityKeyError::InvalidCredential)?
        .to_owned();
    Ok(Enrolment {
        clientdata: URL_SAFE_NO_PAD.encode(&credential.response.client_data_json),
        regdata: URL_SAFE_NO_PAD.encode(&credential.response.attestation_object),
        origin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privacyideas_request_becomes_creation_options() {
        let request = json!({
            "nonce": "MlNyzGGjfbElo9aAbNJVHkKjD0dLCd8yPtEZuGcHPAg",
            "relyingParty": {"id": "recovery.example.org", "name": "Recovery Desk"},
            "serialNumber": "WAN000027EF", "name": "ada", "displayName": "Ada",
            "pubKeyCredAlgorithms": [{"alg": -7, "type": "public-key"}, {"alg": -257, "type": "public-key"}],
            "authenticatorSelection": {"userVerification": "preferred"},
            "attestation": "direct", "timeout": 60000, "transaction_id": "1706"
        });
        let options = creation_options(&request).unwrap().public_key;
        assert_eq!(options.user.id, b"WAN000027EF".to_vec());
        assert_eq!(options.rp.id, "recovery.example.org");
        assert_eq!(options.challenge.len(), 32);
        assert_eq!(options.pub_key_cred_params.len(), 2);
    }

    #[test]
    fn origins_compare_by_scheme_host_and_port() {
        let ours = "https://recovery.example.org";
        assert!(same_origin("https://recovery.example.org/", ours));
        assert!(same_origin("https://recovery.example.org", ours));
        assert!(!same_origin("https://evil.example.org", ours));
        assert!(!same_origin("http://recovery.example.org", ours));
        assert!(!same_origin("https://recovery.example.org:8443", ours));
    }

    #[test]
    fn registration_ids_round_trip() {
        let id = registration_id("WAN000027EF", "17062730107322664897");
        assert_eq!(
            split_registration_id(&id),
            Some(("WAN000027EF", "17062730107322664897"))
        );
        assert_eq!(split_registration_id("WAN*.1"), None);
        assert_eq!(split_registration_id("no-dot"), None);
    }
}
