//! A stand-in for Duo's Admin API and Auth API, for tests.
//!
//! [`DuoEmulator::start`] serves on `127.0.0.1:0`. Clients connect to
//! [`DuoEmulator::base_url`] but sign requests with [`DuoEmulator::api_host`], exactly as they
//! would sign for `api-XXXXXXXX.duosecurity.com`. The emulator:
//!
//! - checks `Authorization: Basic ikey:hex(hmac)` like Duo: v2 canonical strings with
//!   HMAC-SHA1 or HMAC-SHA512, v4, and v5 (body hash and `X-Duo-*` header hash), the date
//!   from `X-Duo-Date` or `Date` within ±300 s of its own clock, Admin keys only on
//!   `/admin/…` paths and Auth keys only on `/auth/…`;
//! - answers with Duo's envelope and error codes, pages lists with `metadata`;
//! - keeps users, phones, hardware tokens (real HOTP), WebAuthn credentials, bypass codes,
//!   activation links, SMS activations and Auth API transactions in memory, inspectable
//!   through methods on the handle;
//! - injects faults ([`Fault`]), skews its clock, revokes permissions, and logs every request.
//!
//! It is test support: no TLS, and the state lives only as long as the handle's server.

mod date;
mod envelope;
mod hotp;
mod model;
mod server;
mod signing;
mod state;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use envelope::ApiError;
pub use hotp::hotp;
pub use model::{
    ActivationInfo, AuthTransaction, BypassCodeInfo, CallPolicy, EmulatorConfig, EmulatorKeys,
    Fault, IntegrationKind, Permission, PhoneInfo, RequestRecord, SmsActivation, TokenInfo,
    TransactionState, UserInfo, WebAuthnInfo, DEFAULT_API_HOST,
};
pub use signing::SignatureVersion;

use server::Shared;
use state::{
    normalize_number, normalize_platform, normalize_type, PendingFault, PhoneFields, State,
};

/// How far a request's date may be from the emulator's clock, in seconds.
pub const DATE_WINDOW_SECS: i64 = server::DATE_WINDOW_SECS;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running emulator. Cloning gives another handle on the same server and state.
#[derive(Clone)]
pub struct DuoEmulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    api_host: String,
    keys: EmulatorKeys,
    shutdown: Arc<Mutex<Option<oneshot::Sender<()>>>>,
    task: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl std::fmt::Debug for DuoEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DuoEmulator")
            .field("addr", &self.addr)
            .field("api_host", &self.api_host)
            .finish_non_exhaustive()
    }
}

impl DuoEmulator {
    /// Starts an emulator for these keys, signing host [`DEFAULT_API_HOST`].
    ///
    /// Should binding `127.0.0.1:0` fail, the error goes to stderr and the handle's base
    /// URL points at port 0, so every request fails to connect; use
    /// [`DuoEmulator::try_start_with`] to get the error instead.
    pub async fn start(keys: EmulatorKeys) -> DuoEmulator {
        Self::start_with(EmulatorConfig::new(keys)).await
    }

    /// Starts an emulator with a chosen API host.
    pub async fn start_with(config: EmulatorConfig) -> DuoEmulator {
        match Self::try_start_with(config.clone()).await {
            Ok(emulator) => emulator,
            Err(error) => {
                eprintln!("duo-emulator: cannot listen on 127.0.0.1: {error}");
                Self::build(config, SocketAddr::from(([127, 0, 0, 1], 0)), None, None)
            }
        }
    }

    /// Starts an emulator, reporting a failure to listen.
    pub async fn try_start_with(config: EmulatorConfig) -> std::io::Result<DuoEmulator> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        let emulator = Self::build(config, addr, Some(tx), None);
        let app = server::router(emulator.shared.clone());
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await;
            if let Err(error) = served {
                eprintln!("duo-emulator: server stopped: {error}");
            }
        });
        *lock(&emulator.task) = Some(task);
        Ok(emulator)
    }

    fn build(
        config: EmulatorConfig,
        addr: SocketAddr,
        shutdown: Option<oneshot::Sender<()>>,
        task: Option<JoinHandle<()>>,
    ) -> DuoEmulator {
        let mut state = State::new(config.api_host.clone());
        state.add_integration(
            IntegrationKind::Admin,
            &config.keys.admin_ikey,
            &config.keys.admin_skey,
        );
        state.add_integration(
            IntegrationKind::Auth,
            &config.keys.auth_ikey,
            &config.keys.auth_skey,
        );
        DuoEmulator {
            shared: Arc::new(Shared::new(state)),
            addr,
            api_host: config.api_host,
            keys: config.keys,
            shutdown: Arc::new(Mutex::new(shutdown)),
            task: Arc::new(Mutex::new(task)),
        }
    }

    /// `http://127.0.0.1:<port>`, with no trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The socket the emulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The host name requests must be signed with.
    pub fn api_host(&self) -> &str {
        &self.api_host
    }

    /// The keys the emulator was started with.
    pub fn keys(&self) -> &EmulatorKeys {
        &self.keys
    }

    /// Stops serving and waits for the server task to end. Later calls do nothing.
    pub async fn shutdown(&self) {
        if let Some(tx) = lock(&self.shutdown).take() {
            let _ = tx.send(());
        }
        let task = lock(&self.task).take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.shared.lock()
    }

    // ----- faults, clock, permissions, log -------------------------------------------

    /// The next `n` requests (any path, the unsigned ping included) run into `fault`.
    pub fn fail_next(&self, n: usize, fault: Fault) {
        let mut state = self.state();
        for _ in 0..n {
            state.faults.push_back(PendingFault {
                path_prefix: None,
                fault: fault.clone(),
            });
        }
    }

    /// The next `n` requests whose path starts with `path_prefix` run into `fault`; other
    /// requests pass untouched.
    pub fn fail_next_on(&self, path_prefix: &str, n: usize, fault: Fault) {
        let mut state = self.state();
        for _ in 0..n {
            state.faults.push_back(PendingFault {
                path_prefix: Some(path_prefix.to_owned()),
                fault: fault.clone(),
            });
        }
    }

    /// Drops the faults not yet used.
    pub fn clear_faults(&self) {
        self.state().faults.clear();
    }

    /// How many injected faults are still pending.
    pub fn pending_faults(&self) -> usize {
        self.state().faults.len()
    }

    /// Makes the emulator's clock run `seconds` ahead (positive) or behind (negative) the
    /// machine's: `ping`/`check` answer the skewed time and the ±300 s date check uses it.
    pub fn set_clock_skew(&self, seconds: i64) {
        self.state().clock_skew = seconds;
    }

    /// The emulator's current time (Unix seconds), skew included.
    pub fn now(&self) -> i64 {
        self.state().now()
    }

    /// Moves the clock that expiries are measured with (bypass codes, activation links)
    /// `seconds` further ahead, without touching the clock the date check and `ping` use.
    pub fn advance_time(&self, seconds: i64) {
        let mut state = self.state();
        state.time_offset = state.time_offset.saturating_add(seconds);
    }

    /// Grants a permission to an Admin integration. `false` for an unknown ikey.
    pub fn grant_permission(&self, ikey: &str, permission: Permission) -> bool {
        match self.state().integration_mut(ikey) {
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
        match self.state().integration_mut(ikey) {
            Some(integration) => {
                integration.permissions.remove(&permission);
                true
            }
            None => false,
        }
    }

    /// The permissions an integration holds (empty for Auth integrations and unknown keys).
    pub fn permissions(&self, ikey: &str) -> Vec<Permission> {
        self.state()
            .integration(ikey)
            .map(|i| i.permissions.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Adds (or replaces) an integration, e.g. to test a rotated secret key.
    pub fn add_integration(&self, kind: IntegrationKind, ikey: &str, skey: &str) {
        self.state().add_integration(kind, ikey, skey);
    }

    /// Removes an integration; its requests then answer 40102.
    pub fn remove_integration(&self, ikey: &str) {
        self.state().integrations.retain(|i| i.ikey != ikey);
    }

    /// Every request so far, oldest first.
    pub fn request_log(&self) -> Vec<RequestRecord> {
        self.state().log.clone()
    }

    /// Forgets the request log.
    pub fn clear_request_log(&self) {
        self.state().log.clear();
    }

    /// Sets what happens to phone calls and pushes the test does not answer itself.
    pub fn set_call_policy(&self, policy: CallPolicy) {
        self.state().call_policy = policy;
    }

    // ----- seeding ---------------------------------------------------------------------

    /// Adds an active user (or returns the id of the user who already has this name).
    pub fn add_user(&self, username: &str) -> String {
        self.state().add_user(username)
    }

    /// Sets a user's status (`active`, `bypass`, `disabled`, `locked out`). `false` for an
    /// unknown user.
    pub fn set_user_status(&self, user_id: &str, status: &str) -> bool {
        match self.state().user_mut(user_id) {
            Some(user) => {
                user.status = status.to_owned();
                true
            }
            None => false,
        }
    }

    /// Adds a phone and associates it with `user_id` (left unattached when the user is
    /// unknown or `user_id` is empty). `phone_type` and `platform` take Duo's parameter
    /// values (`mobile`, `landline`, `unknown`; `apple ios`, `google android`,
    /// `generic smartphone`…); unrecognised values are stored as `unknown`. An unparsable
    /// number is stored as given. A number that another phone already has gets a phone of
    /// its own anyway (the API would answer 40003).
    pub fn add_phone(
        &self,
        user_id: &str,
        number: &str,
        phone_type: &str,
        platform: &str,
        activated: bool,
    ) -> String {
        let mut state = self.state();
        let phone_id = state.new_id("DP");
        state.phones.push(state::Phone {
            phone_id: phone_id.clone(),
            number: normalize_number(number).unwrap_or_else(|| number.to_owned()),
            extension: String::new(),
            name: String::new(),
            phone_type: normalize_type(phone_type).unwrap_or_else(|| "unknown".to_owned()),
            platform: normalize_platform(platform).unwrap_or_else(|| "unknown".to_owned()),
            activated,
            predelay: None,
            postdelay: None,
        });
        if let Some(user) = state.user_mut(user_id) {
            user.phone_ids.push(phone_id.clone());
        }
        phone_id
    }

    /// Adds an HOTP-6 (`h6`) hardware token with this secret and next counter, associated
    /// with `user_id` (unattached when the user is unknown).
    pub fn add_token(&self, user_id: &str, serial: &str, secret: &[u8], counter: u64) -> String {
        let mut state = self.state();
        let token_id = state.new_id("DH");
        state.tokens.push(state::Token {
            token_id: token_id.clone(),
            token_type: "h6".to_owned(),
            serial: serial.to_owned(),
            secret: secret.to_vec(),
            counter,
            totp_step: None,
        });
        if let Some(user) = state.user_mut(user_id) {
            user.token_ids.push(token_id.clone());
        }
        token_id
    }

    /// Adds a WebAuthn credential named `name` (label "Security Key") for `user_id` and
    /// returns its `webauthnkey`.
    pub fn add_webauthn(&self, user_id: &str, name: &str) -> String {
        let mut state = self.state();
        match state.add_webauthn(user_id, name) {
            Ok(key) => key,
            Err(_) => {
                // Past the per-user limit: keep the credential unattached rather than fail.
                let key = state.new_id("WA");
                let date_added = state.state_now();
                state.webauthn.push(WebAuthnInfo {
                    webauthnkey: key.clone(),
                    credential_name: name.to_owned(),
                    label: "Security Key".to_owned(),
                    date_added,
                    user_id: None,
                });
                key
            }
        }
    }

    /// Stores a bypass code for a user as if an admin had issued it (existing codes are
    /// kept). `reuse_count` 0 = unlimited, `valid_secs` 0 = never expires. `false` for an
    /// unknown user or past the 100-code limit.
    pub fn add_bypass_code(
        &self,
        user_id: &str,
        code: &str,
        reuse_count: u32,
        valid_secs: u64,
    ) -> bool {
        self.state()
            .store_bypass_codes(user_id, &[code.to_owned()], reuse_count, valid_secs, true)
            .is_ok()
    }

    /// Marks a phone activated or not. `false` for an unknown phone.
    pub fn set_phone_activated(&self, phone_id: &str, activated: bool) -> bool {
        match self.state().phone_mut(phone_id) {
            Some(phone) => {
                phone.activated = activated;
                true
            }
            None => false,
        }
    }

    /// Simulates the user opening the newest unexpired activation link for the phone in
    /// Duo Mobile: the phone becomes activated. `false` when there is no such link.
    pub fn complete_activation(&self, phone_id: &str) -> bool {
        let mut state = self.state();
        let now = state.state_now();
        let valid = state
            .activations
            .iter()
            .rev()
            .find(|a| a.phone_id == phone_id)
            .is_some_and(|a| a.expires.is_none_or(|e| e > now));
        if !valid {
            return false;
        }
        match state.phone_mut(phone_id) {
            Some(phone) => {
                phone.activated = true;
                true
            }
            None => false,
        }
    }

    // ----- inspection ------------------------------------------------------------------

    /// A user by id.
    pub fn user(&self, user_id: &str) -> Option<UserInfo> {
        let state = self.state();
        state.user(user_id).map(|u| state.user_info(u))
    }

    /// The id of the user with this username.
    pub fn user_id_of(&self, username: &str) -> Option<String> {
        self.state()
            .user_by_name(username)
            .map(|u| u.user_id.clone())
    }

    /// All users, in creation order.
    pub fn users(&self) -> Vec<UserInfo> {
        let state = self.state();
        state.users.iter().map(|u| state.user_info(u)).collect()
    }

    /// A phone by id.
    pub fn phone(&self, phone_id: &str) -> Option<PhoneInfo> {
        let state = self.state();
        state.phone(phone_id).map(|p| state.phone_info(p))
    }

    /// All phones, in creation order.
    pub fn phones(&self) -> Vec<PhoneInfo> {
        let state = self.state();
        state.phones.iter().map(|p| state.phone_info(p)).collect()
    }

    /// The phones associated with a user.
    pub fn phones_of(&self, user_id: &str) -> Vec<PhoneInfo> {
        let state = self.state();
        match state.user(user_id) {
            Some(user) => state
                .user_phones(user)
                .iter()
                .map(|p| state.phone_info(p))
                .collect(),
            None => Vec::new(),
        }
    }

    /// A token by id.
    pub fn token(&self, token_id: &str) -> Option<TokenInfo> {
        let state = self.state();
        state.token(token_id).map(|t| state.token_info(t))
    }

    /// The tokens associated with a user.
    pub fn tokens_of(&self, user_id: &str) -> Vec<TokenInfo> {
        let state = self.state();
        match state.user(user_id) {
            Some(user) => state
                .user_tokens(user)
                .iter()
                .map(|t| state.token_info(t))
                .collect(),
            None => Vec::new(),
        }
    }

    /// The next HOTP counter value the emulator expects from a token.
    pub fn token_counter(&self, token_id: &str) -> Option<u64> {
        self.state().token(token_id).map(|t| t.counter)
    }

    /// The WebAuthn credentials of a user.
    pub fn webauthn_of(&self, user_id: &str) -> Vec<WebAuthnInfo> {
        self.state()
            .user_webauthn(user_id)
            .into_iter()
            .cloned()
            .collect()
    }

    /// All WebAuthn credentials.
    pub fn webauthn_credentials(&self) -> Vec<WebAuthnInfo> {
        self.state().webauthn.clone()
    }

    /// The user's live (unexpired, not used up) bypass codes, codes included.
    pub fn bypass_codes(&self, user_id: &str) -> Vec<BypassCodeInfo> {
        let mut state = self.state();
        state.purge_expired_codes();
        state
            .bypass
            .iter()
            .filter(|b| b.user_id == user_id)
            .cloned()
            .collect()
    }

    /// Every activation link issued, oldest first.
    pub fn activations(&self) -> Vec<ActivationInfo> {
        self.state().activations.clone()
    }

    /// Every activation SMS sent, oldest first.
    pub fn sms_activations(&self) -> Vec<SmsActivation> {
        self.state().sms.clone()
    }

    /// Every Auth API transaction (calls, pushes, async passcodes), oldest first.
    pub fn transactions(&self) -> Vec<AuthTransaction> {
        self.state().transactions.clone()
    }

    /// The phone calls placed through `factor=phone` (or `auto` falling back to a call).
    pub fn calls(&self) -> Vec<AuthTransaction> {
        self.state()
            .transactions
            .iter()
            .filter(|t| t.factor == "phone")
            .cloned()
            .collect()
    }

    /// One transaction by txid.
    pub fn transaction(&self, txid: &str) -> Option<AuthTransaction> {
        self.state().transaction(txid).cloned()
    }

    /// Settles a waiting phone call or push: the user pressed a key / approved (`true`)
    /// or did not (`false`). `false` when the txid is unknown or no longer waiting.
    pub fn answer_call(&self, txid: &str, allow: bool) -> bool {
        let mut state = self.state();
        match state.transaction_mut(txid) {
            Some(tx) if tx.state == TransactionState::Waiting => {
                tx.state = if allow {
                    TransactionState::Allowed
                } else {
                    TransactionState::Denied
                };
                true
            }
            _ => false,
        }
    }

    /// Creates a phone through the same validation as `POST /admin/v1/phones` (40003 on a
    /// duplicate number, 40002 on a bad type or platform), without associating it.
    pub fn create_phone(
        &self,
        number: &str,
        phone_type: &str,
        platform: &str,
    ) -> Result<String, ApiError> {
        let fields = PhoneFields {
            number: Some(normalize_number(number).ok_or_else(|| ApiError::invalid("number"))?),
            phone_type: Some(normalize_type(phone_type).ok_or_else(|| ApiError::invalid("type"))?),
            platform: Some(
                normalize_platform(platform).ok_or_else(|| ApiError::invalid("platform"))?,
            ),
            ..PhoneFields::default()
        };
        self.state().create_phone(fields)
    }
}
