//! Counts what the directory asks of the LDAP server, so tests can check that an unknown
//! username costs the same connections, searches and binds as a wrong password (the same idea
//! as `slow_hash::HashProbe`, without timing anything).

use std::sync::Mutex;

/// One request to the LDAP server, as the probe records it. Which DN a bind named is left out
/// on purpose: the point is that the sequences cannot be told apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LdapWork {
    /// A new connection for one person's bind (never pooled).
    Connect,
    /// A bind with a password someone typed.
    PersonBind,
    /// A search on a service-account connection.
    Search,
    /// A new service-account connection, with its bind (pool growth or replacement).
    ServiceConnect,
}

#[derive(Debug, Default)]
pub struct LdapProbe {
    log: Mutex<Option<Vec<LdapWork>>>,
}

impl LdapProbe {
    /// Starts recording (again, from nothing).
    pub fn record(&self) {
        if let Ok(mut log) = self.log.lock() {
            *log = Some(Vec::new());
        }
    }

    /// What was recorded since [`LdapProbe::record`], and stops recording.
    pub fn recorded(&self) -> Vec<LdapWork> {
        self.log
            .lock()
            .ok()
            .and_then(|mut log| log.take())
            .unwrap_or_default()
    }

    pub(super) fn note(&self, work: LdapWork) {
        if let Ok(mut log) = self.log.lock() {
            if let Some(log) = log.as_mut() {
                log.push(work);
            }
        }
    }
}
