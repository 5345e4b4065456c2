//! Where a key comes from.
//!
//! SEAM — not built yet (design §1.1, §1.2, §1.12, §3):
//! - **USB (Linux, macOS)**: enable webauthn-authenticator-rs' `usb` feature (needs libudev-dev,
//!   pkg-config and libclang to build; see Cargo.toml), then `USBTransport::new().await`,
//!   consume `watch()` until `EnumerationComplete`, apply the one-key rule (`TooManyKeys`),
//!   and on Linux scan `/sys/class/hidraw` for FIDO nodes that cannot be opened
//!   (`NoPermission` / `KeyNotAccessible`). The chosen `USBToken` then goes to
//!   [`super::register`] like any other [`super::Token`]. Never reuse a token after a cancel
//!   or timeout: re-enumerate.
//! - **Windows**: the `win10` feature's `Win10` backend is an `AuthenticatorBackend`, not a
//!   `Token`: it needs its own entry point beside `register` (Windows shows its own PIN and
//!   touch UI; it cannot be cancelled from the app).
//! - **Demo**: the virtual key (crate `virtual-ctap`, no PIN, delayed touch) once it is a
//!   normal dependency.
//!
//! Until then [`os_key`] reports that no key can be reached, so callers can already be
//! written against it.

use super::KeyError;

/// The platform's security key. Not built yet: always `KeyError::NoKey`.
pub async fn os_key() -> Result<std::convert::Infallible, KeyError> {
    // SEAM(usb, win10): discovery goes here.
    Err(KeyError::NoKey)
}
