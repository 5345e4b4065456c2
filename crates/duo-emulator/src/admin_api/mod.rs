//! Duo's Admin API, one module per resource. Each module holds the resource's routes and
//! handlers, the part of the [`Account`](crate::account::Account) it owns, and the handle
//! methods that seed and inspect it. Every route here needs the integration's read (GET)
//! or write (POST, DELETE) grant.

mod activation;
mod bypass_codes;
pub(crate) mod phones;
pub(crate) mod tokens;
pub(crate) mod users;
pub(crate) mod webauthn_credentials;

use axum::middleware::from_fn_with_state;
use axum::Router;

use crate::http::credentials::require_grant;
use crate::http::Emulator;

pub(crate) fn routes(shared: &Emulator) -> Router<Emulator> {
    Router::new()
        .merge(users::routes())
        .merge(phones::routes())
        .merge(activation::routes())
        .merge(tokens::routes())
        .merge(bypass_codes::routes())
        .merge(webauthn_credentials::routes())
        .route_layer(from_fn_with_state(shared.clone(), require_grant))
}
