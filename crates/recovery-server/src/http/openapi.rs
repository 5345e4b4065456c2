//! The OpenAPI document, generated from the handlers' annotations and the wire types. A copy
//! is committed (`crates/recovery-server/openapi.json`); a test fails when it is stale.

use utoipa::{
    openapi::security::{Http, HttpAuthScheme, SecurityScheme},
    Modify, OpenApi,
};

use super::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Recovery Desk API",
        description = "Self-service MFA recovery: verify, then change second factors safely. \
                       Errors are application/problem+json with a stable `code`.",
        version = "1"
    ),
    paths(
        routes::sessions::create,
        routes::sessions::end_current,
        routes::authenticators::list,
        routes::authenticators::rename,
        routes::authenticators::remove,
        routes::me::issue_bypass_code,
        routes::phones::add,
        routes::phones::verify,
        routes::phones::create_activation,
        routes::phones::text_activation,
        routes::activations::page,
        routes::activations::redeem,
        routes::security_keys::start,
        routes::security_keys::finish,
        routes::hardware_tokens::resync,
        routes::kiosks::enroll,
        routes::demo::outbox,
        routes::health::healthz,
        routes::health::metrics,
        routes::openapi_document,
    ),
    modifiers(&SessionSecurity)
)]
pub struct ApiDoc;

impl ApiDoc {
    pub fn document() -> utoipa::openapi::OpenApi {
        Self::openapi()
    }

    /// The document as committed: pretty JSON with a final newline.
    pub fn pretty_json() -> String {
        let mut text = Self::document().to_pretty_json().unwrap_or_default();
        text.push('\n');
        text
    }
}

struct SessionSecurity;

impl Modify for SessionSecurity {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "recovery_session",
                SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
            );
        }
    }
}
