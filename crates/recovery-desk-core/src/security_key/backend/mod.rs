//! Where a key comes from (design §1.2, §1.12, §3).
//!
//! - **Linux, macOS**: `os_key` finds the one key plugged in over USB HID (fido-hid-rs
//!   underneath) and returns it as an `OsKey`, a [`super::Token`] for
//!   [`super::register_with_info`]. On Linux it also tells "no permission" from "no key".
//! - **Windows**: raw HID sees no key there without admin rights; `register_windows` goes
//!   through Windows' own WebAuthn API instead, which finds the key and asks for the PIN and
//!   touch itself.
//! - **Tests and demo mode**: the virtual key, given to [`super::register_with_info`] directly.

#[cfg(any(target_os = "linux", target_os = "macos"))]
mod discovery;
#[cfg(target_os = "linux")]
mod hidraw_permissions;
#[cfg(any(target_os = "linux", target_os = "macos"))]
mod usb;
#[cfg(any(windows, test))]
mod windows;

#[cfg(any(target_os = "linux", target_os = "macos"))]
pub use self::usb::{os_key, OsKey};
#[cfg(windows)]
pub use self::windows::register_windows;
