//! The HTTP side: one axum router for both APIs, wrapped (outermost first) in
//!
//! 1. [`log`]: records every request and stamps `Date` from the emulator's clock;
//! 2. [`faults`]: answers a pending injected fault instead of the request;
//! 3. [`credentials`]: checks `Authorization` and the date like Duo, then reads the
//!    parameters;
//!
//! and, around each Admin API route only, [`credentials::require_grant`] (the integration's
//! read or write permission). An unknown path or method is Duo's 404/40401, after the
//! credential check, as Duo answers it.

pub(crate) mod credentials;
mod faults;
mod log;
pub(crate) mod params;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::http::{Method, Uri};
use axum::middleware::from_fn_with_state;
use axum::Router;

use crate::account::Account;
use crate::envelope::ApiError;
use crate::{admin_api, auth_api};

/// What the server and every handle share.
pub(crate) struct Shared {
    account: Mutex<Account>,
}

impl Shared {
    pub(crate) fn new(account: Account) -> Self {
        Shared {
            account: Mutex::new(account),
        }
    }

    /// Locks the account; a poisoned lock (a panicking test thread) is recovered.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Account> {
        self.account.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The handlers' state.
pub(crate) type Emulator = Arc<Shared>;

pub(crate) fn router(shared: Emulator) -> Router {
    Router::new()
        .merge(admin_api::routes(&shared))
        .merge(auth_api::routes())
        .method_not_allowed_fallback(not_found)
        .fallback(not_found)
        .layer(from_fn_with_state(shared.clone(), credentials::check))
        .layer(from_fn_with_state(shared.clone(), faults::inject))
        .layer(from_fn_with_state(shared.clone(), log::record))
        .with_state(shared)
}

async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found(format!("{} {}", method.as_str(), uri.path()))
}
