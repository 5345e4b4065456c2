//! A virtual CTAP 2.0 / 2.1 security key that webauthn-authenticator-rs 0.6.2 drives through its
//! public [`Token`] trait, exactly as it drives a USB key: [`CtapAuthenticator::new`], the
//! crate's PIN/UV protocol code, `set_new_pin`, `perform_register` and `perform_auth` all run
//! unchanged against it.
//!
//! What it models (see `docs/security-keys-design.md` §2.3), and where:
//!
//! - `authenticatorGetInfo` (`commands/get_info.rs`): versions, AAGUID, options (`rk`, `up`,
//!   `plat`, `clientPin`, `pinUvAuthToken` on 2.1), PIN/UV auth protocols, `minPINLength`,
//!   `maxMsgSize`.
//! - `authenticatorClientPIN` (`commands/client_pin.rs`, the protocols' cryptography in
//!   `pin.rs`) for protocols 1 and 2: getPINRetries, getKeyAgreement, setPIN, changePIN,
//!   getPinToken and (2.1) getPinUvAuthTokenUsingPinWithPermissions, with retries, the
//!   three-consecutive-mismatches power-cycle block and the permanent block at 0.
//! - `authenticatorMakeCredential` / `authenticatorGetAssertion` (`commands/make_credential.rs`,
//!   `commands/get_assertion.rs`) with pinUvAuthParam checking (`pin_token.rs`; read from the
//!   raw CBOR, as the crate's request parsers drop it), user presence with keep-alives
//!   (`presence.rs`), excludeList, P-256 credentials (`credential.rs`), and `packed` self,
//!   `none` or SoftToken (x5c-chained `packed`, `softtoken.rs`) attestation.
//! - `authenticatorSelection` (2.1) and `authenticatorReset` (`commands/selection.rs`,
//!   `commands/reset.rs`).
//! - `CTAPHID_CANCEL` (`token.rs`): [`Token::cancel`] on any clone of the key aborts a request
//!   that is waiting for a touch with `CTAP2_ERR_KEEPALIVE_CANCEL`.
//!
//! A key may also start out holding credentials ([`Config::with_credential`]): the app's demo
//! agent key holds [`demo_credential::hopper`] this way.
//!
//! Keep-alives are signalled the way `USBToken` does it: `ui.request_touch()` (UPNEEDED) or
//! `ui.processing()` (PROCESSING), then a pause of [`Config::keepalive_interval`].
//!
//! [`Token`]: webauthn_authenticator_rs::transport::Token
//! [`Token::cancel`]: webauthn_authenticator_rs::transport::Token::cancel
//! [`CtapAuthenticator::new`]: webauthn_authenticator_rs::ctap2::CtapAuthenticator::new

mod authenticator;
mod cbor;
mod commands;
mod config;
mod credential;
pub mod demo_credential;
mod pin;
mod pin_token;
mod presence;
mod request_log;
mod softtoken;
mod state;
pub mod status;
mod token;

pub use authenticator::VirtualAuthenticator;
pub use config::{
    Attestation, Config, Presence, Version, MAX_PIN_RETRIES, MISMATCHES_BEFORE_POWER_CYCLE,
    SOFTTOKEN_AAGUID, TEST_AAGUID, YUBIKEY_5_AAGUID, YUBIKEY_5_NFC_AAGUID,
};
pub use credential::{InvalidPrivateKey, PresetCredential};
pub use request_log::{Exchange, RequestKind};
