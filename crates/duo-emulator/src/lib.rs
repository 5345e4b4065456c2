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
//!
//! Where things live:
//! - `http/`: the axum router and its middleware (request log, injected faults, signature
//!   and permission checks), parameters and paging;
//! - `admin_api/`: one module per Admin API resource (users, phones, tokens, bypass codes,
//!   WebAuthn credentials, activation), each with its handlers, the state it owns and the
//!   handle methods that seed and inspect it;
//! - `auth_api/`: ping, check, preauth, auth and its transactions;
//! - `account`: the in-memory account those modules share; `control`: the test's knobs;
//! - [`vectors`]: Duo's signing test vectors, shared with duo-client's tests.

mod account;
mod admin_api;
mod auth_api;
mod control;
mod date;
mod envelope;
mod hotp;
mod http;
mod model;
mod signing;
pub mod vectors;

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

use account::Account;
use http::Shared;

/// How far a request's date may be from the emulator's clock, in seconds.
pub const DATE_WINDOW_SECS: i64 = http::credentials::DATE_WINDOW_SECS;

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
        let app = http::router(emulator.shared.clone());
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
        let mut account = Account::new(config.api_host.clone());
        account.add_integration(
            IntegrationKind::Admin,
            &config.keys.admin_ikey,
            &config.keys.admin_skey,
        );
        account.add_integration(
            IntegrationKind::Auth,
            &config.keys.auth_ikey,
            &config.keys.auth_skey,
        );
        DuoEmulator {
            shared: Arc::new(Shared::new(account)),
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

    /// Locks the account for one seeding or inspection call.
    fn account(&self) -> MutexGuard<'_, Account> {
        self.shared.lock()
    }
}
