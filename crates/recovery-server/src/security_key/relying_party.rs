//! The WebAuthn relying party: webauthn-rs's security-key ceremonies, with this service's
//! exclusion and model rules, and state that fits a database column.

use serde_json::json;
use uuid::Uuid;
use webauthn_rs::prelude::{
    AuthenticatorAttachment, CreationChallengeResponse, PublicKeyCredential,
    RegisterPublicKeyCredential, RequestChallengeResponse, SecurityKey, Url, Webauthn,
    WebauthnBuilder,
};

use super::{
    allow_list::{attested_aaguid, ModelPolicy},
    encode_credential_id, Authenticated, AuthenticationRecord, PendingAuthentication,
    PendingRegistration, RegistrationRecord, SecurityKeyError, SecurityKeyPolicy, StoredKey,
};

/// The service as a WebAuthn relying party. Cheap to share (`Arc`); all methods take `&self`.
#[derive(Debug)]
pub struct RelyingParty {
    webauthn: Webauthn,
    origin: Url,
    models: ModelPolicy,
}

impl RelyingParty {
    /// Checks the policy (origin, rp id, CA files) and builds the relying party.
    pub fn new(policy: &SecurityKeyPolicy) -> Result<Self, SecurityKeyError> {
        let origin = Url::parse(&policy.rp_origin).map_err(|error| {
            SecurityKeyError::Config(format!("rp_origin {:?}: {error}", policy.rp_origin))
        })?;
        let secure = origin.scheme() == "https"
            || (origin.scheme() == "http" && origin.host_str() == Some("localhost"));
        if !secure {
            return Err(SecurityKeyError::Config(format!(
                "rp_origin {:?} must be https (plain http only for localhost)",
                policy.rp_origin
            )));
        }
        if policy.rp_id.is_empty() {
            return Err(SecurityKeyError::Config("rp_id is empty".to_owned()));
        }
        let mut builder = WebauthnBuilder::new(&policy.rp_id, &origin).map_err(|_| {
            SecurityKeyError::Config(format!(
                "rp_id {:?} must be the host of rp_origin {:?} or a parent domain of it",
                policy.rp_id, policy.rp_origin
            ))
        })?;
        if !policy.rp_name.is_empty() {
            builder = builder.rp_name(&policy.rp_name);
        }
        let webauthn = builder
            .build()
            .map_err(|error| SecurityKeyError::Config(error.to_string()))?;
        Ok(Self {
            webauthn,
            origin,
            models: ModelPolicy::from_policy(policy)?,
        })
    }

    /// The origin clients must report (what the app passes to its WebAuthn client).
    pub fn origin(&self) -> &Url {
        &self.origin
    }

    /// Starts registering a key for a person; `exclude` are the person's registered keys.
    pub fn start_registration(
        &self,
        user_id: Uuid,
        username: &str,
        display_name: &str,
        exclude: &[StoredKey],
    ) -> Result<(CreationChallengeResponse, PendingRegistration), SecurityKeyError> {
        let excluded = exclude
            .iter()
            .map(|key| {
                key.to_security_key()
                    .map(|key| encode_credential_id(key.cred_id()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        // webauthn-rs refuses empty names; they are only hints shown by some keys' managers.
        let user_id_text = user_id.to_string();
        let username = non_empty(username).unwrap_or(&user_id_text);
        let display_name = non_empty(display_name).unwrap_or(username);
        // The exclusion list goes to the client but not to webauthn-rs, whose own re-check
        // cannot be told apart from a wrong algorithm; finish_registration checks it instead.
        let (mut options, state) = self
            .webauthn
            .start_securitykey_registration(
                user_id,
                username,
                display_name,
                None,
                self.models.ca_list(),
                Some(AuthenticatorAttachment::CrossPlatform),
            )
            .map_err(SecurityKeyError::from_webauthn)?;
        // webauthn-rs does not re-export these option types, so they are filled in from their
        // WebAuthn JSON form, which is what the client receives anyway.
        if !excluded.is_empty() {
            let descriptors: Vec<_> = excluded
                .iter()
                .map(|id| json!({ "type": "public-key", "id": id }))
                .collect();
            options.public_key.exclude_credentials =
                serde_json::from_value(json!(descriptors)).map_err(options_error)?;
        }
        if self.models.wants_attestation() {
            options.public_key.attestation =
                serde_json::from_value(json!("direct")).map_err(options_error)?;
        }
        let record = RegistrationRecord {
            state,
            exclude: excluded,
        };
        let json = serde_json::to_string(&record).map_err(|_| SecurityKeyError::StateCorrupt)?;
        Ok((options, PendingRegistration(json)))
    }

    /// Checks the client's answer against its pending registration and returns the key to
    /// store. The caller must make sure `pending` is used only once and should still check
    /// that no other person holds the same credential id.
    pub fn finish_registration(
        &self,
        pending: &PendingRegistration,
        credential: &RegisterPublicKeyCredential,
    ) -> Result<StoredKey, SecurityKeyError> {
        let record: RegistrationRecord =
            serde_json::from_str(&pending.0).map_err(|_| SecurityKeyError::StateCorrupt)?;
        let key = self
            .webauthn
            .finish_securitykey_registration(credential, &record.state)
            .map_err(SecurityKeyError::from_webauthn)?;
        let credential_id = encode_credential_id(key.cred_id());
        if record.exclude.contains(&credential_id) {
            return Err(SecurityKeyError::AlreadyRegistered);
        }
        let aaguid = attested_aaguid(&key);
        self.models.check(aaguid)?;
        StoredKey::from_security_key(&key, aaguid)
    }

    /// Starts an authentication with any of the person's keys.
    pub fn start_authentication(
        &self,
        keys: &[StoredKey],
    ) -> Result<(RequestChallengeResponse, PendingAuthentication), SecurityKeyError> {
        if keys.is_empty() {
            // webauthn-rs would start a discoverable (username-less) ceremony instead.
            return Err(SecurityKeyError::UnknownCredential);
        }
        let keys = keys
            .iter()
            .map(StoredKey::to_security_key)
            .collect::<Result<Vec<_>, _>>()?;
        let (options, state) = self
            .webauthn
            .start_securitykey_authentication(&keys)
            .map_err(SecurityKeyError::from_webauthn)?;
        let json = serde_json::to_string(&AuthenticationRecord { state })
            .map_err(|_| SecurityKeyError::StateCorrupt)?;
        Ok((options, PendingAuthentication(json)))
    }

    /// Checks the client's answer; `keys` are the person's keys now, so a key removed since
    /// the start no longer authenticates. The answering key comes back with its counter
    /// updated.
    pub fn finish_authentication(
        &self,
        pending: &PendingAuthentication,
        credential: &PublicKeyCredential,
        keys: &[StoredKey],
    ) -> Result<Authenticated, SecurityKeyError> {
        let record: AuthenticationRecord =
            serde_json::from_str(&pending.0).map_err(|_| SecurityKeyError::StateCorrupt)?;
        let result = self
            .webauthn
            .finish_securitykey_authentication(credential, &record.state)
            .map_err(SecurityKeyError::from_webauthn)?;
        let credential_id = encode_credential_id(result.cred_id());
        let stored = keys
            .iter()
            .find(|key| {
                key.to_security_key()
                    .is_ok_and(|key| key.cred_id() == result.cred_id())
            })
            .ok_or(SecurityKeyError::UnknownCredential)?;
        let mut key: SecurityKey = stored.to_security_key()?;
        let key_changed = key
            .update_credential(&result)
            .ok_or(SecurityKeyError::UnknownCredential)?;
        let key = if key_changed {
            StoredKey::from_security_key(&key, stored.aaguid)?
        } else {
            stored.clone()
        };
        Ok(Authenticated {
            credential_id,
            key,
            key_changed,
            user_verified: result.user_verified(),
        })
    }
}

fn non_empty(text: &str) -> Option<&str> {
    let text = text.trim();
    (!text.is_empty()).then_some(text)
}

fn options_error(error: serde_json::Error) -> SecurityKeyError {
    SecurityKeyError::Config(format!("cannot build WebAuthn options: {error}"))
}

#[cfg(test)]
mod tests {
    use serde_json::Value;
    use sha2::Digest;
    use webauthn_authenticator_rs::WebauthnAuthenticator;

    use super::*;
    use crate::security_key::{
        model_name,
        test_support::{relying_party, TestKey, SOFTTOKEN_AAGUID, USER_ID},
    };

    fn json(value: &impl serde::Serialize) -> Value {
        serde_json::to_value(value).unwrap()
    }

    #[test]
    fn a_registered_key_authenticates_and_its_counter_advances() {
        let rp = relying_party(SecurityKeyPolicy::default());
        let mut key = TestKey::new();

        let (options, pending) = rp.start_registration(USER_ID, "ada", "", &[]).unwrap();
        let sent = json(&options)["publicKey"].clone();
        assert_eq!(sent["rp"]["id"], "localhost");
        assert_eq!(sent["rp"]["name"], "Recovery Desk");
        assert_eq!(sent["user"]["displayName"], "ada");
        assert_eq!(
            sent["authenticatorSelection"]["userVerification"],
            "preferred"
        );
        assert_eq!(sent["attestation"], "none");
        assert!(sent.get("excludeCredentials").is_none());
        let credential = key
            .token
            .do_registration(rp.origin().clone(), options)
            .unwrap();
        let stored = rp.finish_registration(&pending, &credential).unwrap();

        // SoftToken's packed attestation names its model even when none was asked for.
        assert_eq!(stored.aaguid, Some(SOFTTOKEN_AAGUID));
        assert_eq!(model_name(stored.aaguid), "Security key");
        assert_eq!(
            stored.credential_id,
            encode_credential_id(&credential.raw_id)
        );
        assert_eq!(
            stored.to_security_key().unwrap().cred_id(),
            &credential.raw_id
        );

        let (pending, answer) = key.answer_authentication(&rp, std::slice::from_ref(&stored));
        let first = rp
            .finish_authentication(&pending, &answer, std::slice::from_ref(&stored))
            .unwrap();
        assert_eq!(first.credential_id, stored.credential_id);
        assert!(first.key_changed, "the counter went from 0 to 1");
        assert_ne!(first.key.key_json, stored.key_json);
        assert_eq!(first.key.aaguid, stored.aaguid);
        // SoftToken does no user verification under `preferred`, and was registered without.
        assert!(!first.user_verified);

        let (pending, answer) = key.answer_authentication(&rp, std::slice::from_ref(&first.key));
        let second = rp
            .finish_authentication(&pending, &answer, std::slice::from_ref(&first.key))
            .unwrap();
        assert_eq!(second.credential_id, stored.credential_id);
        assert!(second.key_changed);
    }

    #[test]
    fn the_right_key_among_several_authenticates() {
        let rp = relying_party(SecurityKeyPolicy::default());
        let mut first = TestKey::new();
        let mut second = TestKey::new();
        let a = first.register(&rp, &[]).unwrap();
        let b = second.register(&rp, std::slice::from_ref(&a)).unwrap();
        let keys = [a, b.clone()];
        let (pending, answer) = second.answer_authentication(&rp, &keys);
        let done = rp.finish_authentication(&pending, &answer, &keys).unwrap();
        assert_eq!(done.credential_id, b.credential_id);
    }

    #[test]
    fn exclusion_reaches_the_client_and_an_excluded_credential_is_refused() {
        let rp = relying_party(SecurityKeyPolicy::default());
        let mut key = TestKey::new();
        let first = key.register(&rp, &[]).unwrap();

        let (options, _) = rp
            .start_registration(USER_ID, "ada", "Ada", std::slice::from_ref(&first))
            .unwrap();
        assert_eq!(
            json(&options)["publicKey"]["excludeCredentials"],
            serde_json::json!([{ "type": "public-key", "id": first.credential_id }])
        );

        // A real key holding `first` answers CTAP2_ERR_CREDENTIAL_EXCLUDED and the client
        // produces no credential. SoftToken ignores excludeCredentials and mints a new
        // credential, which is a different key as far as WebAuthn can tell: accepted.
        let (pending, credential) = key.answer_registration(&rp, std::slice::from_ref(&first));
        let second = rp.finish_registration(&pending, &credential).unwrap();
        assert_ne!(second.credential_id, first.credential_id);

        // The server-side re-check: the same answer, against a registration that excluded the
        // credential it carries (what a replaying client or a non-conforming key produces).
        let mut record: RegistrationRecord = serde_json::from_str(pending.as_json()).unwrap();
        record.exclude.push(second.credential_id.clone());
        let excluding = PendingRegistration(serde_json::to_string(&record).unwrap());
        assert_eq!(
            rp.finish_registration(&excluding, &credential),
            Err(SecurityKeyError::AlreadyRegistered)
        );
    }

    #[test]
    fn an_allow_list_asks_for_attestation_and_refuses_other_models() {
        let elsewhere = relying_party(SecurityKeyPolicy {
            allowed_aaguids: vec![uuid::uuid!("ee882879-721c-4913-9775-3dfcce97072a")],
            ..SecurityKeyPolicy::default()
        });
        let (options, _) = elsewhere
            .start_registration(USER_ID, "ada", "Ada", &[])
            .unwrap();
        assert_eq!(json(&options)["publicKey"]["attestation"], "direct");
        assert_eq!(
            TestKey::new().register(&elsewhere, &[]),
            Err(SecurityKeyError::ModelNotAllowed)
        );

        let listed = relying_party(SecurityKeyPolicy {
            allowed_aaguids: vec![SOFTTOKEN_AAGUID],
            ..SecurityKeyPolicy::default()
        });
        let stored = TestKey::new().register(&listed, &[]).unwrap();
        assert_eq!(stored.aaguid, Some(SOFTTOKEN_AAGUID));
    }

    #[test]
    fn attestation_roots_decide_which_keys_are_trusted() {
        let mut key = TestKey::new();
        let own_root = key.ca_file();
        let other_root = TestKey::new().ca_file();
        let policy = |files: Vec<std::path::PathBuf>, allowed_aaguids: Vec<Uuid>| {
            relying_party(SecurityKeyPolicy {
                attestation_ca_pem_files: files,
                allowed_aaguids,
                ..SecurityKeyPolicy::default()
            })
        };

        let any_model_of_own_maker = policy(vec![own_root.path().to_owned()], vec![]);
        let (options, _) = any_model_of_own_maker
            .start_registration(USER_ID, "ada", "Ada", &[])
            .unwrap();
        assert_eq!(json(&options)["publicKey"]["attestation"], "direct");
        assert!(key.register(&any_model_of_own_maker, &[]).is_ok());

        let both_roots = policy(
            vec![other_root.path().to_owned(), own_root.path().to_owned()],
            vec![SOFTTOKEN_AAGUID],
        );
        assert!(key.register(&both_roots, &[]).is_ok());

        // Signed by a root nobody configured (webauthn-rs: AttestationChainNotTrusted).
        let other_maker = policy(vec![other_root.path().to_owned()], vec![]);
        assert_eq!(
            key.register(&other_maker, &[]),
            Err(SecurityKeyError::ModelNotAllowed)
        );

        // The right root, but a model it was not trusted for (AttestationUntrustedAaguid).
        let other_model = policy(vec![own_root.path().to_owned()], vec![Uuid::new_v4()]);
        assert_eq!(
            key.register(&other_model, &[]),
            Err(SecurityKeyError::ModelNotAllowed)
        );
    }

    #[test]
    fn an_answer_to_another_registration_is_refused() {
        let rp = relying_party(SecurityKeyPolicy::default());
        let mut key = TestKey::new();
        let (_, answer_to_first) = key.answer_registration(&rp, &[]);
        let (second, _) = key.answer_registration(&rp, &[]);
        assert_eq!(
            rp.finish_registration(&second, &answer_to_first),
            Err(SecurityKeyError::ChallengeMismatch)
        );
    }

    #[test]
    fn an_answer_to_another_authentication_is_refused() {
        let rp = relying_party(SecurityKeyPolicy::default());
        let mut key = TestKey::new();
        let stored = key.register(&rp, &[]).unwrap();
        let keys = std::slice::from_ref(&stored);
        let (_, answer_to_first) = key.answer_authentication(&rp, keys);
        let (second, _) = key.answer_authentication(&rp, keys);
        assert_eq!(
            rp.finish_authentication(&second, &answer_to_first, keys),
            Err(SecurityKeyError::ChallengeMismatch)
        );
    }

    #[test]
    fn an_answer_from_another_origin_is_refused() {
        let rp = relying_party(SecurityKeyPolicy {
            rp_origin: "http://localhost:8750".to_owned(),
            ..SecurityKeyPolicy::default()
        });
        let mut key = TestKey::new();
        let (options, pending) = rp.start_registration(USER_ID, "ada", "Ada", &[]).unwrap();
        // The client accepts any port for the rp id; the relying party does not.
        let elsewhere = Url::parse("http://localhost:9999").unwrap();
        let credential = key.token.do_registration(elsewhere, options).unwrap();
        assert_eq!(
            rp.finish_registration(&pending, &credential),
            Err(SecurityKeyError::WrongOrigin)
        );
    }

    #[test]
    fn forged_answers_are_invalid() {
        let rp = relying_party(SecurityKeyPolicy::default());
        let mut key = TestKey::new();

        // Registration: change the signature counter inside authData, which the attestation
        // signature covers (authData = rpIdHash ‖ flags ‖ counter ‖ …).
        let (pending, mut credential) = key.answer_registration(&rp, &[]);
        let rp_id_hash = sha2::Sha256::digest(b"localhost");
        let object = &mut credential.response.attestation_object;
        let auth_data = object
            .windows(rp_id_hash.len())
            .position(|window| window == rp_id_hash.as_slice())
            .unwrap();
        object[auth_data + 32 + 1 + 3] ^= 0x01;
        assert_eq!(
            rp.finish_registration(&pending, &credential),
            Err(SecurityKeyError::InvalidCredential)
        );

        // Authentication: a signature that no longer matches.
        let stored = key.register(&rp, &[]).unwrap();
        let keys = std::slice::from_ref(&stored);
        let (pending, mut answer) = key.answer_authentication(&rp, keys);
        let last = answer.response.signature.len() - 1;
        answer.response.signature[last] ^= 0x55;
        assert_eq!(
            rp.finish_authentication(&pending, &answer, keys),
            Err(SecurityKeyError::InvalidCredential)
        );
    }

    #[test]
    fn unknown_and_removed_keys_do_not_authenticate() {
        let rp = relying_party(SecurityKeyPolicy::default());
        let mut key = TestKey::new();
        let stored = key.register(&rp, &[]).unwrap();
        assert_eq!(
            rp.start_authentication(&[]).map(|_| ()),
            Err(SecurityKeyError::UnknownCredential)
        );

        // Removed between start and finish.
        let (pending, answer) = key.answer_authentication(&rp, std::slice::from_ref(&stored));
        assert_eq!(
            rp.finish_authentication(&pending, &answer, &[]),
            Err(SecurityKeyError::UnknownCredential)
        );

        // Answered by a credential the ceremony did not allow.
        let mut other = TestKey::new();
        let other_key = other.register(&rp, &[]).unwrap();
        let (_, other_answer) = other.answer_authentication(&rp, std::slice::from_ref(&other_key));
        let (pending, _) = key.answer_authentication(&rp, std::slice::from_ref(&stored));
        assert_eq!(
            rp.finish_authentication(&pending, &other_answer, &[stored, other_key]),
            Err(SecurityKeyError::UnknownCredential)
        );
    }

    #[test]
    fn a_cloned_key_is_caught_by_its_counter() {
        let rp = relying_party(SecurityKeyPolicy::default());
        let mut original = TestKey::new();
        let stored = original.register(&rp, &[]).unwrap();
        let mut clone = TestKey {
            token: webauthn_authenticator_rs::softtoken::SoftToken::from_cbor(
                &original.token.to_cbor().unwrap(),
            )
            .unwrap(),
            ca_pem: original.ca_pem.clone(),
        };

        let (pending, answer) = original.answer_authentication(&rp, std::slice::from_ref(&stored));
        let updated = rp
            .finish_authentication(&pending, &answer, std::slice::from_ref(&stored))
            .unwrap()
            .key;
        let (pending, answer) = clone.answer_authentication(&rp, std::slice::from_ref(&updated));
        assert_eq!(
            rp.finish_authentication(&pending, &answer, std::slice::from_ref(&updated)),
            Err(SecurityKeyError::PossiblyCloned)
        );
    }

    /// Single use is the storage's job: this module would accept the same answer again.
    #[test]
    fn pending_states_are_not_single_use_by_themselves() {
        let rp = relying_party(SecurityKeyPolicy::default());
        let mut key = TestKey::new();
        let (pending, credential) = key.answer_registration(&rp, &[]);
        let stored = rp.finish_registration(&pending, &credential).unwrap();
        assert_eq!(
            rp.finish_registration(&pending, &credential),
            Ok(stored.clone())
        );

        let keys = std::slice::from_ref(&stored);
        let (pending, answer) = key.answer_authentication(&rp, keys);
        assert!(rp.finish_authentication(&pending, &answer, keys).is_ok());
        assert!(rp.finish_authentication(&pending, &answer, keys).is_ok());
    }

    #[test]
    fn corrupt_stored_state_is_reported_as_such() {
        let rp = relying_party(SecurityKeyPolicy::default());
        let mut key = TestKey::new();
        let (_, credential) = key.answer_registration(&rp, &[]);
        assert_eq!(
            rp.finish_registration(
                &PendingRegistration::from_json("{\"state\":1}".to_owned()),
                &credential
            ),
            Err(SecurityKeyError::StateCorrupt)
        );

        let stored = key.register(&rp, &[]).unwrap();
        let keys = std::slice::from_ref(&stored);
        let (_, answer) = key.answer_authentication(&rp, keys);
        assert_eq!(
            rp.finish_authentication(
                &PendingAuthentication::from_json("not json".to_owned()),
                &answer,
                keys
            ),
            Err(SecurityKeyError::StateCorrupt)
        );

        let garbled = StoredKey {
            key_json: "{}".to_owned(),
            ..stored.clone()
        };
        assert_eq!(
            rp.start_authentication(std::slice::from_ref(&garbled))
                .map(|_| ()),
            Err(SecurityKeyError::StateCorrupt)
        );
        assert_eq!(
            rp.start_registration(USER_ID, "ada", "Ada", &[garbled])
                .map(|_| ()),
            Err(SecurityKeyError::StateCorrupt)
        );
        let mismatched = StoredKey {
            credential_id: "AAAA".to_owned(),
            ..stored
        };
        assert_eq!(
            mismatched.to_security_key().map(|_| ()),
            Err(SecurityKeyError::StateCorrupt)
        );
    }

    #[test]
    fn pending_state_round_trips_through_storage() {
        let rp = relying_party(SecurityKeyPolicy::default());
        let mut key = TestKey::new();
        let (pending, credential) = key.answer_registration(&rp, &[]);
        let stored_text = pending.as_json().to_owned();
        let reloaded = PendingRegistration::from_json(stored_text);
        let stored = rp.finish_registration(&reloaded, &credential).unwrap();

        let reloaded_key = StoredKey {
            aaguid: None,
            ..stored
        };
        let keys = std::slice::from_ref(&reloaded_key);
        let (pending, answer) = key.answer_authentication(&rp, keys);
        let reloaded = PendingAuthentication::from_json(pending.as_json().to_owned());
        assert!(rp.finish_authentication(&reloaded, &answer, keys).is_ok());
        assert_eq!(format!("{reloaded:?}"), "PendingAuthentication(..)");
    }

    #[test]
    fn misconfigured_relying_parties_are_refused() {
        let config = |rp_id: &str, rp_origin: &str| {
            RelyingParty::new(&SecurityKeyPolicy {
                rp_id: rp_id.to_owned(),
                rp_origin: rp_origin.to_owned(),
                ..SecurityKeyPolicy::default()
            })
        };
        assert!(config("example.com", "https://recovery.example.com").is_ok());
        assert!(config("recovery.example.com", "https://recovery.example.com:8443").is_ok());
        for (rp_id, rp_origin) in [
            ("example.com", "https://recovery.example.org"),
            ("example.com", "https://notexample.com"),
            ("example.com", "http://recovery.example.com"),
            ("localhost", "http://127.0.0.1"),
            ("", "http://localhost"),
            ("localhost", "localhost"),
        ] {
            assert!(
                matches!(config(rp_id, rp_origin), Err(SecurityKeyError::Config(_))),
                "{rp_id} {rp_origin}"
            );
        }
    }
}
