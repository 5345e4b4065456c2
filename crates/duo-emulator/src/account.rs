//! The emulator's in-memory Duo account: the lists every resource module reads and writes,
//! the two clocks, Duo-shaped ids, the integrations (keys and permission grants) and the
//! queue of injected faults. Each resource's own methods live with its handlers
//! (`admin_api/…`, `auth_api/…`).

use std::collections::{BTreeSet, HashSet, VecDeque};
use std::time::{SystemTime, UNIX_EPOCH};

use rand::Rng;

use crate::admin_api::phones::Phone;
use crate::admin_api::tokens::Token;
use crate::admin_api::users::User;
use crate::model::{
    ActivationInfo, AuthTransaction, BypassCodeInfo, CallPolicy, Fault, IntegrationKind,
    Permission, RequestRecord, SmsActivation, WebAuthnInfo,
};

/// How many users one phone or token may be shared by (reference section 1.5).
pub(crate) const MAX_USERS_PER_DEVICE: usize = 100;

/// An Admin API or Auth API application: its keys and, for Admin, its grants.
pub(crate) struct Integration {
    pub ikey: String,
    pub skey: String,
    pub kind: IntegrationKind,
    pub permissions: BTreeSet<Permission>,
}

/// A fault waiting for the next request (whose path starts with `path_prefix`, if set).
pub(crate) struct PendingFault {
    pub path_prefix: Option<String>,
    pub fault: Fault,
}

pub(crate) struct Account {
    pub api_host: String,
    pub integrations: Vec<Integration>,
    pub users: Vec<User>,
    pub phones: Vec<Phone>,
    pub tokens: Vec<Token>,
    pub webauthn: Vec<WebAuthnInfo>,
    pub bypass: Vec<BypassCodeInfo>,
    /// Ids of deleted phones, tokens, WebAuthn credentials and bypass codes: deleting them
    /// again is a no-op (reference sections 3, 4, 6), while an id never seen is a 404.
    pub deleted: HashSet<String>,
    pub activations: Vec<ActivationInfo>,
    pub sms: Vec<SmsActivation>,
    pub transactions: Vec<AuthTransaction>,
    pub call_policy: CallPolicy,
    pub log: Vec<RequestRecord>,
    pub faults: VecDeque<PendingFault>,
    /// Seconds the emulator's clock runs ahead (positive) or behind (negative).
    pub clock_skew: i64,
    /// Extra seconds for expiries only (bypass codes, activation links).
    pub time_offset: i64,
}

fn system_now() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// `len` characters drawn from `alphabet`.
pub(crate) fn random_string(len: usize, alphabet: &[u8]) -> String {
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| {
            let i = rng.gen_range(0..alphabet.len());
            char::from(alphabet.get(i).copied().unwrap_or(b'X'))
        })
        .collect()
}

const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

impl Account {
    pub(crate) fn new(api_host: String) -> Self {
        Account {
            api_host,
            integrations: Vec::new(),
            users: Vec::new(),
            phones: Vec::new(),
            tokens: Vec::new(),
            webauthn: Vec::new(),
            bypass: Vec::new(),
            deleted: HashSet::new(),
            activations: Vec::new(),
            sms: Vec::new(),
            transactions: Vec::new(),
            call_policy: CallPolicy::Manual,
            log: Vec::new(),
            faults: VecDeque::new(),
            clock_skew: 0,
            time_offset: 0,
        }
    }

    /// The emulator's clock (Unix seconds), skew included: what `ping` answers and what the
    /// ±300 s Date check compares with.
    pub(crate) fn now(&self) -> i64 {
        system_now().saturating_add(self.clock_skew)
    }

    /// The clock expiries are measured with.
    pub(crate) fn state_now(&self) -> i64 {
        self.now().saturating_add(self.time_offset)
    }

    fn id_taken(&self, id: &str) -> bool {
        self.deleted.contains(id)
            || self.users.iter().any(|u| u.user_id == id)
            || self.phones.iter().any(|p| p.phone_id == id)
            || self.tokens.iter().any(|t| t.token_id == id)
            || self.webauthn.iter().any(|w| w.webauthnkey == id)
            || self.bypass.iter().any(|b| b.bypass_code_id == id)
    }

    /// A Duo-shaped id: two-letter prefix plus 18 upper-case letters and digits.
    pub(crate) fn new_id(&self, prefix: &str) -> String {
        loop {
            let id = format!("{prefix}{}", random_string(18, ID_ALPHABET));
            if !self.id_taken(&id) {
                return id;
            }
        }
    }

    // ----- integrations --------------------------------------------------------------

    pub(crate) fn integration(&self, ikey: &str) -> Option<&Integration> {
        self.integrations.iter().find(|i| i.ikey == ikey)
    }

    pub(crate) fn integration_mut(&mut self, ikey: &str) -> Option<&mut Integration> {
        self.integrations.iter_mut().find(|i| i.ikey == ikey)
    }

    /// Adds (or replaces) an integration. A new Admin integration holds every grant.
    pub(crate) fn add_integration(&mut self, kind: IntegrationKind, ikey: &str, skey: &str) {
        self.integrations.retain(|i| i.ikey != ikey);
        let permissions = match kind {
            IntegrationKind::Admin => Permission::ALL.into_iter().collect(),
            IntegrationKind::Auth => BTreeSet::new(),
        };
        self.integrations.push(Integration {
            ikey: ikey.to_owned(),
            skey: skey.to_owned(),
            kind,
            permissions,
        });
    }

    // ----- faults ----------------------------------------------------------------------

    /// Takes the first pending fault that applies to `path`.
    pub(crate) fn take_fault(&mut self, path: &str) -> Option<Fault> {
        let index = self.faults.iter().position(|f| match &f.path_prefix {
            Some(prefix) => path.starts_with(prefix.as_str()),
            None => true,
        })?;
        self.faults.remove(index).map(|f| f.fault)
    }
}
