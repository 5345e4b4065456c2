//! The demo security key: a software CTAP 2.1 authenticator (crate `virtual-ctap`) that the app
//! offers in demo mode only, so the whole flow (first-time PIN, PIN, touch) can be tried
//! without hardware. It speaks the same CTAP2 bytes a USB key does, through the same crate
//! code; only the transport is in-process.
//!
//! In agent mode it is the *demo agent key*: it holds the demo agent hopper's credential from
//! the start, with the PIN 1906 ([`virtual_ctap::demo_credential`]), and the demo directory
//! stores its public half, so the help-desk sign-in can be tried without hardware.
//!
//! It lives as long as the app, like a key left plugged in: a PIN set once is asked for the
//! next time, and registering it twice for one person is refused as "already registered".

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use uuid::{uuid, Uuid};
use virtual_ctap::{demo_credential, Config, InvalidPrivateKey, Presence, VirtualAuthenticator};

/// The demo key's model id. Not a real model: the service names it "Demo security key".
pub const DEMO_KEY_AAGUID: Uuid = uuid!("6d6f6465-7265-636f-7665-72796465736b");

/// The software key and the person's "touch" on it (a button on the touch screen).
#[derive(Debug, Clone)]
pub struct DemoKey {
    key: VirtualAuthenticator,
}

impl Default for DemoKey {
    fn default() -> Self {
        Self::new()
    }
}

impl DemoKey {
    /// A new key without a PIN, waiting for the person's touch like a real one.
    pub fn new() -> Self {
        Self {
            key: VirtualAuthenticator::new(Self::config()),
        }
    }

    /// The demo agent key: hopper's credential and the PIN 1906 from the start. Its signature
    /// counter starts at the current Unix time, so that a demo database kept from an earlier
    /// run (which remembers the counter) never sees it go backwards.
    pub fn agent() -> Result<Self, InvalidPrivateKey> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_secs())
            .unwrap_or_default();
        let config = Config {
            sign_count: u32::try_from(now).unwrap_or(u32::MAX / 2),
            ..demo_credential::hopper_key(Self::config())?
        };
        Ok(Self {
            key: VirtualAuthenticator::new(config),
        })
    }

    fn config() -> Config {
        Config {
            aaguid: DEMO_KEY_AAGUID,
            presence: Presence::Manual,
            // The ceremony's own deadline (60 s) comes first; this only backs it up.
            up_timeout: Duration::from_secs(90),
            ..Config::ctap21()
        }
    }

    /// What the ceremony talks to. Clones share the one key.
    pub fn token(&self) -> VirtualAuthenticator {
        self.key.clone()
    }

    /// Presses the key's button; `false` when it was not waiting for a touch.
    pub fn touch(&self) -> bool {
        self.key.touch()
    }

    /// As if unplugged and plugged in again (clears a "blocked until re-inserted" state).
    pub fn reinsert(&self) {
        self.key.reinsert();
    }
}
