//! The HTTP API under `/v1`: routing, extractors, the problem mapping. Handlers are thin:
//! parse, call a flow, map the result.

mod extract;
mod metrics_layer;
pub mod openapi;
mod pages;
mod problem;
mod routes;
mod server;

use std::future::Future;

use axum::{
    extract::DefaultBodyLimit,
    middleware,
    routing::{delete, get, patch, post},
    Router,
};
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

pub use problem::ApiError;

use crate::app::App;

/// Request bodies above this are refused with `payload_too_large`.
pub const BODY_LIMIT_BYTES: usize = 16 * 1024;

/// The whole API, for `serve`, the embedded demo service and the tests.
pub fn router(app: App) -> Router {
    let mut v1 = Router::new()
        .route("/recovery/sessions", post(routes::sessions::create))
        .route(
            "/recovery/sessions/current",
            delete(routes::sessions::end_current),
        )
        .route("/me/authenticators", get(routes::authenticators::list))
        .route(
            "/me/authenticators/{id}",
            patch(routes::authenticators::rename).delete(routes::authenticators::remove),
        )
        .route("/me/bypass-codes", post(routes::me::issue_bypass_code))
        .route(
            "/me/recovery-pin",
            get(routes::recovery_pin::status).put(routes::recovery_pin::set),
        )
        .route("/me/phones", post(routes::phones::add))
        .route("/me/phones/{id}/verify", post(routes::phones::verify))
        .route(
            "/me/phones/{id}/activation",
            post(routes::phones::create_activation),
        )
        .route(
            "/me/phones/{id}/activation/sms",
            post(routes::phones::text_activation),
        )
        .route(
            "/activations/{code}",
            get(routes::activations::page).post(routes::activations::redeem),
        )
        .route(
            "/me/security-keys/registrations",
            post(routes::security_keys::start),
        )
        .route(
            "/me/security-keys/registrations/{id}",
            post(routes::security_keys::finish),
        )
        .route(
            "/me/hardware-tokens/{id}/resync",
            post(routes::hardware_tokens::resync),
        )
        .route("/kiosks/enrollments", post(routes::kiosks::enroll))
        .route("/enrolments/{code}", get(routes::enrolments::page))
        .route(
            "/enrolments/{code}/options",
            post(routes::enrolments::options),
        )
        .route(
            "/enrolments/{code}/registration",
            post(routes::enrolments::registration),
        )
        .route(
            "/enrolments/assets/enrol.js",
            get(routes::enrolments::script),
        )
        .route(
            "/enrolments/assets/enrol.css",
            get(routes::enrolments::style),
        )
        .merge(help_desk_routes())
        .route("/openapi.json", get(routes::openapi_document));
    if app.demo {
        v1 = v1.route("/demo/outbox", get(routes::demo::outbox));
    }
    Router::new()
        .nest("/v1", v1)
        .route("/healthz", get(routes::health::healthz))
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(middleware::from_fn_with_state(
            app.clone(),
            metrics_layer::record,
        ))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .with_state(app)
}

/// `/v1/help-desk/…`, the help-desk console's.
fn help_desk_routes() -> Router<App> {
    use routes::help_desk::{actions, caller_verifications, links_and_devices, people, sessions};
    Router::new()
        .route(
            "/help-desk/sign-in/security-key",
            post(sessions::start_key_sign_in),
        )
        .route("/help-desk/sessions", post(sessions::create))
        .route("/help-desk/sessions/current", delete(sessions::end_current))
        .route("/help-desk/me", get(sessions::me))
        .route(
            "/help-desk/me/security-keys/registrations",
            post(sessions::start_key_registration),
        )
        .route(
            "/help-desk/me/security-keys/registrations/{id}",
            post(sessions::finish_key_registration),
        )
        .route("/help-desk/people/{username}", get(people::look_up))
        .route(
            "/help-desk/people/{username}/caller-verifications",
            post(caller_verifications::start),
        )
        .route(
            "/help-desk/people/{username}/caller-verifications/{id}/code",
            post(caller_verifications::check_code),
        )
        .route(
            "/help-desk/people/{username}/bypass-codes",
            post(actions::issue_bypass_code),
        )
        .route("/help-desk/people/{username}/unlock", post(actions::unlock))
        .route(
            "/help-desk/people/{username}/recovery-pin/clear",
            post(actions::clear_recovery_pin),
        )
        .route(
            "/help-desk/people/{username}/authenticators/{id}/removal",
            post(actions::remove_device),
        )
        .route(
            "/help-desk/people/{username}/security-key-links",
            post(links_and_devices::send_security_key_link),
        )
        .route(
            "/help-desk/people/{username}/phones/{id}/activation",
            post(links_and_devices::send_activation),
        )
}

/// The admin listener's routes: metrics, and health for probes that must not share the API's
/// connection budget. Kept off the API listener: metrics tell an outsider about traffic.
pub fn admin_router(app: App) -> Router {
    Router::new()
        .route("/healthz", get(routes::health::healthz))
        .route("/metrics", get(routes::health::metrics))
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .with_state(app)
}

/// Spans name the route template, never the raw path: activation links carry their code in
/// the path, and logs must not.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("unmatched", |path| path.as_str());
    tracing::info_span!("request", method = %request.method(), route)
}

/// Open connections on the admin listener (loopback scrapers and probes).
const ADMIN_MAX_CONNECTIONS: usize = 32;

/// Serves the API until `shutdown` resolves, then finishes the requests in flight.
pub async fn serve(
    app: App,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let policy = server::ConnectionPolicy {
        header_read_timeout: app.config.http.header_read_timeout(),
        max_connections: app.config.http.max_connections(),
    };
    server::serve_connections(router(app), listener, policy, shutdown).await
}

/// Serves the admin routes ([`admin_router`]) until `shutdown` resolves.
pub async fn serve_admin(
    app: App,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let policy = server::ConnectionPolicy {
        header_read_timeout: app.config.http.header_read_timeout(),
        max_connections: ADMIN_MAX_CONNECTIONS,
    };
    server::serve_connections(admin_router(app), listener, policy, shutdown).await
}
