//! Who is asking: an enrolled kiosk, or a network address. Used for the per-client throttle,
//! the audit log, and "from where" in notifications.

use std::net::{IpAddr, Ipv6Addr};

use crate::kiosk::Kiosk;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// Key of the per-client throttle.
    pub throttle_key: String,
    /// What people read: "Help Desk Kiosk 2", "the device at 192.0.2.7".
    pub label: String,
    /// An enrolled (attended) kiosk: only there may an agent attest seeing a person's ID.
    pub from_kiosk: bool,
}

impl Client {
    pub fn kiosk(kiosk: &Kiosk) -> Self {
        Self {
            throttle_key: format!("kiosk:{}", kiosk.id),
            label: kiosk.name.clone(),
            from_kiosk: true,
        }
    }

    /// An IPv6 client is throttled by its /64: one subscriber or host usually holds a whole
    /// /64, so counting single addresses would give it 2^64 fresh budgets. An IPv4-mapped
    /// address (`::ffff:192.0.2.7`) is the IPv4 client it names.
    pub fn address(address: IpAddr) -> Self {
        let address = address.to_canonical();
        let throttle_key = match address {
            IpAddr::V4(v4) => format!("address:{v4}"),
            IpAddr::V6(v6) => format!("address:{}/64", ipv6_prefix_64(v6)),
        };
        Self {
            throttle_key,
            label: format!("the device at {address}"),
            from_kiosk: false,
        }
    }

    /// The service's own command line, run by the help desk.
    pub fn admin_cli() -> Self {
        Self {
            throttle_key: "admin-cli".to_owned(),
            label: "the help desk".to_owned(),
            from_kiosk: false,
        }
    }
}

/// The address with its interface identifier (the low 64 bits) cleared.
fn ipv6_prefix_64(address: Ipv6Addr) -> Ipv6Addr {
    Ipv6Addr::from(address.to_bits() & !u128::from(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(address: &str) -> String {
        Client::address(address.parse().unwrap()).throttle_key
    }

    #[test]
    fn ipv6_clients_share_their_64() {
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "address:2001:db8:1:2::/64");
        assert_eq!(
            key("2001:db8:1:2:ffff:ffff:ffff:ffff"),
            key("2001:db8:1:2::")
        );
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
    }

    #[test]
    fn ipv4_mapped_addresses_stay_ipv4() {
        assert_eq!(key("::ffff:192.0.2.7"), "address:192.0.2.7");
        assert_eq!(key("::ffff:192.0.2.7"), key("192.0.2.7"));
        assert_ne!(key("::ffff:192.0.2.7"), key("::ffff:192.0.2.8"));
        assert_eq!(
            Client::address("::ffff:192.0.2.7".parse().unwrap()).label,
            "the device at 192.0.2.7"
        );
    }
}
