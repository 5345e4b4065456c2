//! The demo agent key's credential: the security key the demo help-desk agent `hopper` (Grace
//! Hopper) signs in with, held by the app's demo key in agent mode from the start.
//!
//! **This is a public demo secret.** The private key below is committed on purpose so that the
//! demo directory can store its public half (`crates/recovery-server/src/demo/
//! hopper_security_key.json`, rebuilt and compared by a test in `recovery-desk-core`) and anyone
//! can try the help-desk sign-in without hardware. It protects nothing: never register it, or
//! load the demo directory, in a real deployment.
//!
//! The relying party is the embedded demo service's (`security_keys.rp_id = "localhost"`,
//! origin `http://localhost`, the service's defaults). The key was generated once, at random.

use crate::{Config, InvalidPrivateKey, PresetCredential};

/// The relying-party id the credential is bound to: the demo service's.
pub const RP_ID: &str = "localhost";

/// The demo agent key's PIN, as the demo documentation gives it.
pub const HOPPER_PIN: &str = "1906";

/// The credential id (32 random bytes, as the virtual key makes its own).
pub const HOPPER_CREDENTIAL_ID: [u8; 32] = [
    0xcd, 0xea, 0xcf, 0x6e, 0xa8, 0x4e, 0xde, 0x1f, 0x79, 0xf9, 0xbe, 0xba, 0xcb, 0xb4, 0x19, 0x96,
    0x8e, 0xbd, 0xf8, 0x76, 0xd8, 0x72, 0xc0, 0x0b, 0x46, 0xd9, 0x5a, 0xf5, 0xdd, 0x49, 0xa2, 0x8c,
];

/// The P-256 private key (big-endian scalar). Public on purpose, see the module docs.
pub const HOPPER_PRIVATE_KEY: [u8; 32] = [
    0xa3, 0x19, 0x57, 0x28, 0x31, 0xfc, 0x1a, 0x2e, 0x20, 0x9a, 0xbe, 0x91, 0x7e, 0xd1, 0x4f, 0xbe,
    0x2d, 0xf2, 0x39, 0xcf, 0x02, 0xaf, 0x00, 0x85, 0xbd, 0x67, 0xea, 0xe3, 0xd0, 0x95, 0xac, 0x48,
];

/// Hopper's credential, for [`Config::with_credential`].
pub fn hopper() -> Result<PresetCredential, InvalidPrivateKey> {
    PresetCredential::new(&HOPPER_CREDENTIAL_ID, RP_ID, &HOPPER_PRIVATE_KEY)
}

/// `config` with hopper's credential and the PIN [`HOPPER_PIN`] already set.
pub fn hopper_key(config: Config) -> Result<Config, InvalidPrivateKey> {
    Ok(config.with_pin(HOPPER_PIN).with_credential(hopper()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_private_key_is_a_p256_key() {
        let credential = hopper().expect("a valid scalar");
        let (x, y) = credential.public_key_coordinates();
        assert_eq!((x.len(), y.len()), (32, 32));
        assert_eq!(credential.id(), HOPPER_CREDENTIAL_ID);
        assert_eq!(credential.rp_id(), "localhost");
        assert_eq!(
            format!("{credential:?}"),
            r#"PresetCredential { rp_id: "localhost", id_len: 32, .. }"#
        );
    }

    #[test]
    fn a_bad_private_key_is_refused() {
        assert_eq!(
            PresetCredential::new(&[1], RP_ID, &[0; 32]).map(|_| ()),
            Err(InvalidPrivateKey)
        );
        assert_eq!(
            PresetCredential::new(&[1], RP_ID, &[1; 5]).map(|_| ()),
            Err(InvalidPrivateKey)
        );
    }
}
