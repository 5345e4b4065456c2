//! Who is asking: an enrolled kiosk, or a network address. Used for the per-client throttle,
//! the audit log, and "from where" in notifications.

use std::net::IpAddr;

use crate::kiosk::Kiosk;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// Key of the per-client throttle.
    pub throttle_key: String,
    /// What people read: "Help Desk Kiosk 2", "the device at 192.0.2.7".
    pub label: String,
}

impl Client {
    pub fn kiosk(kiosk: &Kiosk) -> Self {
        Self {
            throttle_key: format!("kiosk:{}", kiosk.id),
            label: kiosk.name.clone(),
        }
    }

    pub fn address(address: IpAddr) -> Self {
        Self {
            throttle_key: format!("address:{address}"),
            label: format!("the device at {address}"),
        }
    }

    /// The service's own command line, run by the help desk.
    pub fn admin_cli() -> Self {
        Self {
            throttle_key: "admin-cli".to_owned(),
            label: "the help desk".to_owned(),
        }
    }
}
