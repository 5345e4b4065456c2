//! The knobs a test turns on a running emulator: injected faults, the clocks, permission
//! grants, integrations, the request log and what unanswered calls do. Seeding and
//! inspecting a resource is with that resource (`admin_api/…`, `auth_api/…`).

use crate::account::PendingFault;
use crate::model::{CallPolicy, Fault, IntegrationKind, Permission, RequestRecord};
use crate::DuoEmulator;

impl DuoEmulator {
    /// The next `n` requests (any path, the unsigned ping included) run into `fault`.
    pub fn fail_next(&self, n: usize, fault: Fault) {
        let mut account = self.account();
        for _ in 0..n {
            account.faults.push_back(PendingFault {
                path_prefix: None,
                fault: fault.clone(),
            });
        }
    }

    /// The next `n` requests whose path starts with `path_prefix` run into `fault`; other
    /// requests pass untouched.
    pub fn fail_next_on(&self, path_prefix: &str, n: usize, fault: Fault) {
        let mut account = self.account();
        for _ in 0..n {
            account.faults.push_back(PendingFault {
                path_prefix: Some(path_prefix.to_owned()),
                fault: fault.clone(),
            });
        }
    }

    /// Drops the faults not yet used.
    pub fn clear_faults(&self) {
        self.account().faults.clear();
    }

    /// How many injected faults are still pending.
    pub fn pending_faults(&self) -> usize {
        self.account().faults.len()
    }

    /// Makes the emulator's clock run `seconds` ahead (positive) or behind (negative) the
    /// machine's: `ping`/`check` answer the skewed time and the ±300 s date check uses it.
    pub fn set_clock_skew(&self, seconds: i64) {
        self.account().clock_skew = seconds;
    }

    /// The emulator's current time (Unix seconds), skew included.
    pub fn now(&self) -> i64 {
        self.account().now()
    }

    /// Moves the clock that expiries are measured with (bypass codes, activation links)
    /// `seconds` further ahead, without touching the clock the date check and `ping` use.
    pub fn advance_time(&self, seconds: i64) {
        let mut account = self.account();
        account.time_offset = account.time_offset.saturating_add(seconds);
    }

    /// Grants a permission to an Admin integration. `false` for an unknown ikey.
    pub fn grant_permission(&self, ikey: &str, permission: Permission) -> bool {
        match self.account().integration_mut(ikey) {
            Some(integration) => {
                integration.permissions.insert(permission);
                true
            }
            None => false,
        }
    }

    /// Revokes a permission from an Admin integration, so endpoints needing it answer
    /// 403/40301. `false` for an unknown ikey.
    pub fn revoke_permission(&self, ikey: &str, permission: Permission) -> bool {
        match self.account().integration_mut(ikey) {
            Some(integration) => {
                integration.permissions.remove(&permission);
                true
            }
            None => false,
        }
    }

    /// The permissions an integration holds (empty for Auth integrations and unknown keys).
    pub fn permissions(&self, ikey: &str) -> Vec<Permission> {
        self.account()
            .integration(ikey)
            .map(|i| i.permissions.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Adds (or replaces) an integration, e.g. to test a rotated secret key.
    pub fn add_integration(&self, kind: IntegrationKind, ikey: &str, skey: &str) {
        self.account().add_integration(kind, ikey, skey);
    }

    /// Removes an integration; its requests then answer 40102.
    pub fn remove_integration(&self, ikey: &str) {
        self.account().integrations.retain(|i| i.ikey != ikey);
    }

    /// Every request so far, oldest first.
    pub fn request_log(&self) -> Vec<RequestRecord> {
        self.account().log.clone()
    }

    /// Forgets the request log.
    pub fn clear_request_log(&self) {
        self.account().log.clear();
    }

    /// Sets what happens to phone calls and pushes the test does not answer itself.
    pub fn set_call_policy(&self, policy: CallPolicy) {
        self.account().call_policy = policy;
    }
}
