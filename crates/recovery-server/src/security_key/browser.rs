//! What a browser's WebAuthn client needs beyond what the app's own CTAP client does.
//!
//! webauthn-rs asks security keys for the credProtect policy `userVerificationRequired` (the
//! credential then works only with the key's PIN) while it only *prefers* user verification.
//! Chromium refuses that combination before it talks to any key (`NotSupportedError`:
//! "Requested protection policy is inconsistent or incongruent with other requested
//! parameters"). A page's options therefore require user verification whenever that policy is
//! asked: the key would demand its PIN for this credential anyway. The server's pending state
//! is unchanged (it accepts a verified answer either way).

use serde_json::Value;

use super::{CreationChallengeResponse, SecurityKeyError};

/// `options` as a browser page passes them to `navigator.credentials.create`.
pub fn browser_options(
    options: CreationChallengeResponse,
) -> Result<CreationChallengeResponse, SecurityKeyError> {
    let mut json = serde_json::to_value(&options).map_err(|_| SecurityKeyError::StateCorrupt)?;
    let public_key = &mut json["publicKey"];
    let strict =
        public_key["extensions"]["credentialProtectionPolicy"] == "userVerificationRequired";
    if !strict {
        return Ok(options);
    }
    if let Some(selection) = public_key
        .get_mut("authenticatorSelection")
        .and_then(Value::as_object_mut)
    {
        selection.insert("userVerification".to_owned(), "required".into());
    }
    serde_json::from_value(json).map_err(|_| SecurityKeyError::StateCorrupt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security_key::{test_support::relying_party, SecurityKeyPolicy};

    #[test]
    fn a_uv_required_credential_asks_the_browser_for_user_verification() {
        let rp = relying_party(SecurityKeyPolicy::default());
        let (options, _) = rp
            .start_registration(uuid::Uuid::new_v4(), "ada", "Ada Lovelace", &[])
            .unwrap();
        let before = serde_json::to_value(&options).unwrap();
        assert_eq!(
            before["publicKey"]["extensions"]["credentialProtectionPolicy"],
            "userVerificationRequired"
        );
        assert_eq!(
            before["publicKey"]["authenticatorSelection"]["userVerification"],
            "preferred"
        );
        let after = serde_json::to_value(browser_options(options).unwrap()).unwrap();
        assert_eq!(
            after["publicKey"]["authenticatorSelection"]["userVerification"],
            "required"
        );
        assert_eq!(
            after["publicKey"]["challenge"],
            before["publicKey"]["challenge"]
        );
    }
}
