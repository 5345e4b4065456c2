//! The OpenAPI document, generated from the handlers' annotations and the wire types. A copy
//! is committed (`crates/recovery-server/openapi.json`); a test fails when it is stale.

use recovery_api::{
    kiosk::KIOSK_CREDENTIAL_HEADER, phone::RemovalReason,
    problem::CONTENT_TYPE as PROBLEM_CONTENT_TYPE,
};
use utoipa::{
    openapi::{
        path::{Operation, ParameterIn, PathItem},
        security::{Http, HttpAuthScheme, SecurityScheme},
        Content, Ref, RefOr, Response,
    },
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
        routes::recovery_pin::status,
        routes::recovery_pin::set,
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
        routes::enrolments::page,
        routes::enrolments::options,
        routes::enrolments::registration,
        routes::enrolments::script,
        routes::enrolments::style,
        routes::help_desk::sessions::start_key_sign_in,
        routes::help_desk::sessions::create,
        routes::help_desk::sessions::me,
        routes::help_desk::sessions::end_current,
        routes::help_desk::sessions::start_key_registration,
        routes::help_desk::sessions::finish_key_registration,
        routes::help_desk::people::look_up,
        routes::help_desk::caller_verifications::start,
        routes::help_desk::caller_verifications::check_code,
        routes::help_desk::actions::issue_bypass_code,
        routes::help_desk::actions::unlock,
        routes::help_desk::actions::clear_recovery_pin,
        routes::help_desk::actions::remove_device,
        routes::help_desk::links_and_devices::send_security_key_link,
        routes::help_desk::links_and_devices::send_activation,
        routes::health::healthz,
        routes::openapi_document,
    ),
    components(schemas(RemovalReason)),
    modifiers(&SessionSecurity)
)]
pub struct ApiDoc;

/// What only a demo service serves.
#[derive(OpenApi)]
#[openapi(paths(routes::demo::outbox))]
struct DemoDoc;

impl ApiDoc {
    /// The document of a service that is not in demo mode: the one committed.
    pub fn document() -> utoipa::openapi::OpenApi {
        Self::document_for(false)
    }

    /// The document of a service, with the demo routes when it is a demo.
    pub fn document_for(demo: bool) -> utoipa::openapi::OpenApi {
        let mut document = Self::openapi();
        if demo {
            document.merge(DemoDoc::openapi());
        }
        for item in document.paths.paths.values_mut() {
            for operation in operations(item) {
                add_extractor_responses(operation);
            }
        }
        document
    }

    /// The document as committed: pretty JSON with a final newline.
    pub fn pretty_json() -> String {
        let mut text = Self::document().to_pretty_json().unwrap_or_default();
        text.push('\n');
        text
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.options.as_mut(),
        item.head.as_mut(),
        item.patch.as_mut(),
        item.trace.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// The answers an operation's extractors and the connection limit can give, added to the ones
/// its annotation lists (which name what the flow itself answers). Each extractor leaves a mark
/// in the operation: `CurrentSession` its security requirement, `RequestClient` the kiosk
/// header, `PathParam` a path parameter, `JsonBody` a request body.
fn add_extractor_responses(operation: &mut Operation) {
    let parameters = operation.parameters.as_deref().unwrap_or_default();
    let has_path_parameter = parameters
        .iter()
        .any(|p| p.parameter_in == ParameterIn::Path);
    let identifies_client = parameters
        .iter()
        .any(|p| p.parameter_in == ParameterIn::Header && p.name == KIOSK_CREDENTIAL_HEADER);
    let needs_session = operation.security.as_ref().is_some_and(|s| !s.is_empty());
    let needs_agent = operation.security.as_ref().is_some_and(|requirements| {
        serde_json::to_value(requirements)
            .map(|value| value.to_string().contains("help_desk_session"))
            .unwrap_or(false)
    });
    let has_body = operation.request_body.is_some();
    let mut answers: Vec<(&str, &str)> = Vec::new();
    if has_path_parameter {
        answers.push((
            "400",
            "`malformed_request`: a part of the address is not valid text",
        ));
    }
    if has_body {
        answers.extend([
            (
                "400",
                "`malformed_request`: the body is not a JSON object, or did not arrive in time",
            ),
            ("413", "`payload_too_large`: the body is over 16 KiB"),
            (
                "415",
                "`unsupported_media_type`: the body is not `application/json`",
            ),
            (
                "422",
                "`invalid_field`: a field is missing, unknown or not valid",
            ),
        ]);
    }
    if needs_agent {
        answers.push((
            "401",
            "`session_invalid` or `session_expired`: no valid help-desk session (a recovery session's token is not one)",
        ));
    } else if needs_session {
        answers.push((
            "401",
            "`session_invalid` or `session_expired`: no valid recovery session",
        ));
    }
    if identifies_client {
        answers.push((
            "401",
            "`kiosk_credential_invalid`: the kiosk credential header does not check out",
        ));
    }
    if needs_session || identifies_client {
        answers.push((
            "500",
            "`internal`: something went wrong on the service's side",
        ));
    }
    answers.push((
        "503",
        "`unavailable`: the service is busy (too many open connections; `Retry-After`), or a \
         system it depends on is not answering",
    ));
    for (status, description) in answers {
        add_problem_response(operation, status, description);
    }
}

fn add_problem_response(operation: &mut Operation, status: &str, description: &str) {
    let responses = &mut operation.responses.responses;
    match responses.get_mut(status) {
        Some(RefOr::T(response)) => {
            if !response.description.contains(description) {
                if !response.description.is_empty() {
                    response.description.push_str("; or ");
                }
                response.description.push_str(description);
            }
            response
                .content
                .entry(PROBLEM_CONTENT_TYPE.to_owned())
                .or_insert_with(problem_content);
        }
        Some(RefOr::Ref(_)) => {}
        None => {
            let mut response = Response::new(description);
            response
                .content
                .insert(PROBLEM_CONTENT_TYPE.to_owned(), problem_content());
            responses.insert(status.to_owned(), RefOr::T(response));
        }
    }
}

fn problem_content() -> Content {
    Content::new(Some(Ref::from_schema_name("Problem")))
}

struct SessionSecurity;

impl Modify for SessionSecurity {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "recovery_session",
                SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
            );
            // An agent's session: its own token kind, never a recovery session's.
            components.add_security_scheme(
                "help_desk_session",
                SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
            );
        }
    }
}
