//! Which models of key may register: the AAGUID allow-list, the manufacturers' attestation
//! roots, and the display names of a few well-known models.

use std::collections::{BTreeMap, BTreeSet};

use uuid::{uuid, Uuid};
use webauthn_rs::prelude::{
    AttestationCaList, AttestationCaListBuilder, AttestationMetadata, SecurityKey,
};

use super::{SecurityKeyError, SecurityKeyPolicy};

/// The model rules of a [`SecurityKeyPolicy`], ready to apply.
#[derive(Debug, Clone)]
pub(super) struct ModelPolicy {
    allowed: BTreeSet<Uuid>,
    /// Given to webauthn-rs, which then asks for direct attestation and verifies the chain
    /// (and the AAGUID, when `allowed` is not empty).
    cas: Option<AttestationCaList>,
}

impl ModelPolicy {
    pub(super) fn from_policy(policy: &SecurityKeyPolicy) -> Result<Self, SecurityKeyError> {
        let allowed: BTreeSet<Uuid> = policy.allowed_aaguids.iter().copied().collect();
        if allowed.contains(&Uuid::nil()) {
            return Err(SecurityKeyError::Config(
                "allowed_aaguids cannot contain the nil AAGUID (it names no model)".to_owned(),
            ));
        }
        let mut pems = Vec::with_capacity(policy.attestation_ca_pem_files.len());
        for path in &policy.attestation_ca_pem_files {
            let pem = std::fs::read(path).map_err(|error| {
                SecurityKeyError::Config(format!(
                    "cannot read attestation CA {}: {error}",
                    path.display()
                ))
            })?;
            pems.push((path, pem));
        }
        let cas = if pems.is_empty() {
            if !allowed.is_empty() {
                tracing::warn!(
                    "security_keys.allowed_aaguids is set without attestation_ca_pem_files: \
                     a key's model is its own unverified claim"
                );
            }
            None
        } else {
            Some(build_ca_list(&pems, &allowed)?)
        };
        Ok(Self { allowed, cas })
    }

    /// Whether registration must ask the client for direct attestation. webauthn-rs does so by
    /// itself when it has a CA list; with an allow-list alone this module asks, so that clients
    /// which anonymise attestation by default pass the AAGUID through.
    pub(super) fn wants_attestation(&self) -> bool {
        !self.allowed.is_empty() || self.cas.is_some()
    }

    pub(super) fn ca_list(&self) -> Option<AttestationCaList> {
        self.cas.clone()
    }

    /// Applies the allow-list to a key webauthn-rs accepted.
    pub(super) fn check(&self, aaguid: Option<Uuid>) -> Result<(), SecurityKeyError> {
        if self.allowed.is_empty() {
            return Ok(());
        }
        match aaguid {
            Some(aaguid) if self.allowed.contains(&aaguid) => Ok(()),
            _ => Err(SecurityKeyError::ModelNotAllowed),
        }
    }
}

/// Each root trusted for every listed AAGUID, or for any model when none is listed.
fn build_ca_list(
    pems: &[(&std::path::PathBuf, Vec<u8>)],
    allowed: &BTreeSet<Uuid>,
) -> Result<AttestationCaList, SecurityKeyError> {
    let invalid = |path: &std::path::PathBuf, error: &dyn std::fmt::Display| {
        SecurityKeyError::Config(format!(
            "attestation CA {} is not a PEM certificate: {error}",
            path.display()
        ))
    };
    if allowed.is_empty() {
        let mut list = AttestationCaList::default();
        for (path, pem) in pems {
            let one = AttestationCaList::try_from(pem.as_slice())
                .map_err(|error| invalid(path, &error))?;
            list.union(&one);
        }
        return Ok(list);
    }
    let mut builder = AttestationCaListBuilder::new();
    for (path, pem) in pems {
        for aaguid in allowed {
            builder
                .insert_device_pem(pem, *aaguid, model_name(Some(*aaguid)), BTreeMap::new())
                .map_err(|error| invalid(path, &error))?;
        }
    }
    Ok(builder.build())
}

/// The AAGUID a key's attestation states (packed or TPM attestation with a certificate). `None`
/// for self, U2F and `none` attestation, and for the all-zero AAGUID clients substitute when
/// they anonymise.
pub(super) fn attested_aaguid(key: &SecurityKey) -> Option<Uuid> {
    match &key.attestation().metadata {
        AttestationMetadata::Packed { aaguid } | AttestationMetadata::Tpm { aaguid, .. }
            if !aaguid.is_nil() =>
        {
            Some(*aaguid)
        }
        _ => None,
    }
}

/// Well-known models. Names and AAGUIDs from Yubico's "YubiKey Hardware FIDO2 AAGUIDs" table
/// and the FIDO Metadata Service descriptions (as mirrored by passkeydeveloper's
/// passkey-authenticator-aaguids list). One AAGUID covers a product series, not one SKU.
const MODELS: &[(Uuid, &str)] = &[
    // YubiKey 5, 5 Nano, 5C, 5C Nano on firmware 5.1; the same keys on 5.2 and 5.4.
    (
        uuid!("cb69481e-8ff7-4039-93ec-0a2729a154a8"),
        "YubiKey 5 Series",
    ),
    (
        uuid!("ee882879-721c-4913-9775-3dfcce97072a"),
        "YubiKey 5 Series",
    ),
    // YubiKey 5 NFC on firmware 5.1; 5 NFC and 5C NFC on 5.2 and 5.4.
    (
        uuid!("fa2b99dc-9e39-4257-8f92-4a30d23c4118"),
        "YubiKey 5 Series with NFC",
    ),
    (
        uuid!("2fc0579f-8113-47ea-b116-bb5a8db9202a"),
        "YubiKey 5 Series with NFC",
    ),
    (uuid!("c5ef55ff-ad9a-4b9f-b580-adebafe026d0"), "YubiKey 5Ci"),
    (
        uuid!("73bb0cd4-e502-49b8-9c6f-b59445bf720b"),
        "YubiKey 5 FIPS Series",
    ),
    (
        uuid!("d8522d9f-575b-4866-88a9-ba99fa02f35b"),
        "YubiKey Bio Series",
    ),
    (
        uuid!("42b4fb4a-2866-43b2-9bf7-6c6669c2e5d3"),
        "Google Titan Security Key v2",
    ),
    (
        uuid!("8876631b-d4a0-427f-5773-0ec71c9e0279"),
        "SoloKeys Solo",
    ),
    (
        uuid!("833b721a-ff5f-4d00-bb2e-bdda3ec01e29"),
        "Feitian ePass FIDO2",
    ),
    (
        uuid!("ee041bce-25e5-4cdb-8f86-897fd6418464"),
        "Feitian ePass FIDO2-NFC",
    ),
    // The desktop app's software key in demo mode (recovery-desk-core `DEMO_KEY_AAGUID`).
    (
        uuid!("6d6f6465-7265-636f-7665-72796465736b"),
        "Demo security key",
    ),
];

/// What to call a key nobody named: its model when it is a well-known one, else "Security key".
pub fn model_name(aaguid: Option<Uuid>) -> String {
    aaguid
        .and_then(|aaguid| MODELS.iter().find(|(id, _)| *id == aaguid))
        .map_or("Security key", |(_, name)| name)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_models_have_names_and_others_do_not() {
        assert_eq!(
            model_name(Some(uuid!("2fc0579f-8113-47ea-b116-bb5a8db9202a"))),
            "YubiKey 5 Series with NFC"
        );
        assert_eq!(
            model_name(Some(uuid!("42b4fb4a-2866-43b2-9bf7-6c6669c2e5d3"))),
            "Google Titan Security Key v2"
        );
        assert_eq!(model_name(None), "Security key");
        assert_eq!(model_name(Some(Uuid::nil())), "Security key");
        assert_eq!(
            model_name(Some(webauthn_authenticator_rs::softtoken::AAGUID)),
            "Security key"
        );
    }

    #[test]
    fn model_table_has_no_duplicate_aaguids() {
        let ids: BTreeSet<Uuid> = MODELS.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids.len(), MODELS.len());
    }

    #[test]
    fn empty_allow_list_accepts_any_model_and_a_list_only_its_own() {
        let any = ModelPolicy::from_policy(&SecurityKeyPolicy::default()).unwrap();
        assert!(!any.wants_attestation());
        assert_eq!(any.check(None), Ok(()));

        let listed = uuid!("ee882879-721c-4913-9775-3dfcce97072a");
        let only = ModelPolicy::from_policy(&SecurityKeyPolicy {
            allowed_aaguids: vec![listed],
            ..SecurityKeyPolicy::default()
        })
        .unwrap();
        assert!(only.wants_attestation());
        assert_eq!(only.check(Some(listed)), Ok(()));
        assert_eq!(
            only.check(Some(Uuid::new_v4())),
            Err(SecurityKeyError::ModelNotAllowed)
        );
        assert_eq!(only.check(None), Err(SecurityKeyError::ModelNotAllowed));
    }

    #[test]
    fn unreadable_or_invalid_ca_files_and_nil_aaguids_are_config_errors() {
        let missing = SecurityKeyPolicy {
            attestation_ca_pem_files: vec!["/nonexistent/ca.pem".into()],
            ..SecurityKeyPolicy::default()
        };
        assert!(matches!(
            ModelPolicy::from_policy(&missing),
            Err(SecurityKeyError::Config(message)) if message.contains("/nonexistent/ca.pem")
        ));

        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), "not a certificate").unwrap();
        for allowed_aaguids in [vec![], vec![Uuid::new_v4()]] {
            let garbage = SecurityKeyPolicy {
                attestation_ca_pem_files: vec![file.path().to_owned()],
                allowed_aaguids,
                ..SecurityKeyPolicy::default()
            };
            assert!(matches!(
                ModelPolicy::from_policy(&garbage),
                Err(SecurityKeyError::Config(_))
            ));
        }

        let nil = SecurityKeyPolicy {
            allowed_aaguids: vec![Uuid::nil()],
            ..SecurityKeyPolicy::default()
        };
        assert!(matches!(
            ModelPolicy::from_policy(&nil),
            Err(SecurityKeyError::Config(_))
        ));
    }
}
