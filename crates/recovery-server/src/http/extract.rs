//! Request extractors that answer bad input with the service's problem documents.

use std::net::{IpAddr, SocketAddr};

use axum::{
    body::Bytes,
    extract::{ConnectInfo, FromRef, FromRequest, FromRequestParts, Path, Request},
    http::{header, request::Parts, StatusCode},
};
use recovery_api::{kiosk::KIOSK_CREDENTIAL_HEADER, Secret};
use serde::de::DeserializeOwned;

use super::problem::ApiError;
use crate::{
    app::App, client::Client, directory::Person, error::RecoveryError, flows,
    help_desk::AgentSession, session::Session,
};

/// A JSON body: `415` unless the content type is JSON, `413` over the size cap, `400` when it
/// is not JSON or does not arrive within the body timeout, `422` naming the field when a field
/// is missing, mistyped or unknown.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    App: FromRef<S>,
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let deadline = App::from_ref(state).config.http.body_timeout();
        let bytes = tokio::time::timeout(deadline, Bytes::from_request(request, state))
            .await
            .map_err(|_| {
                ApiError::Malformed(
                    "The request body did not arrive in time; nothing was changed.".to_owned(),
                )
            })?
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge
                } else {
                    ApiError::Malformed("The request body could not be read.".to_owned())
                }
            })?;
        parse_json(&bytes).map(JsonBody)
    }
}

fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let malformed = || {
        ApiError::Malformed("The request body is not valid JSON; nothing was changed.".to_owned())
    };
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some() && first != Some(&b'{') {
        return Err(ApiError::Malformed(
            "The request body must be a JSON object; nothing was changed.".to_owned(),
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer);
    if value.is_ok() && deserializer.end().is_err() {
        return Err(malformed());
    }
    value.map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let message = inner.to_string();
                let message = message
                    .split(" at line ")
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                let named = missing_or_unknown_field(&message);
                match named.clone().or_else(|| (path != ".").then_some(path)) {
                    Some(field) => ApiError::InvalidField {
                        message: if named.is_some() {
                            sentence(&message)
                        } else {
                            without_value(&field, &message)
                        },
                        field,
                    },
                    None => ApiError::Malformed(
                        "The request body must be a JSON object; nothing was changed.".to_owned(),
                    ),
                }
            }
            _ => malformed(),
        }
    })
}

/// serde quotes the value it refused ("invalid type: integer `246810`"), and the value may be
/// a PIN or a password: keep only what was expected.
fn without_value(field: &str, message: &str) -> String {
    match message.split(", expected ").nth(1) {
        Some(expected) => format!("The field '{field}' must be {expected}."),
        None => format!("The field '{field}' is not valid."),
    }
}

/// serde names missing and unknown fields in its message; the path points at their parent.
fn missing_or_unknown_field(message: &str) -> Option<String> {
    ["missing field `", "unknown field `"]
        .iter()
        .find_map(|prefix| {
            let rest = message.strip_prefix(prefix)?;
            rest.split('`').next().map(str::to_owned)
        })
}

fn sentence(message: &str) -> String {
    let mut text = message.replace('`', "'");
    if let Some(first) = text.get(..1) {
        text = first.to_uppercase() + &text[1..];
    }
    if !text.ends_with('.') {
        text.push('.');
    }
    text
}

/// A path parameter. A segment that does not decode to text (`%FF%FE`) is `400
/// malformed_request`, as a problem document like every other error.
#[derive(Debug)]
pub struct PathParam<T>(pub T);

impl<S, T> FromRequestParts<S> for PathParam<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(Self(value)),
            Err(rejection) => {
                tracing::debug!(%rejection, "path parameter refused");
                Err(ApiError::Malformed(
                    "A part of this address is not valid text; nothing was changed.".to_owned(),
                ))
            }
        }
    }
}

/// Who is asking: the enrolled kiosk named by its credential header, else the peer address
/// (or `X-Forwarded-For` when configured). A kiosk credential that does not check out is an
/// error, not a silent fallback.
#[derive(Debug, Clone)]
pub struct RequestClient(pub Client);

impl<S> FromRequestParts<S> for RequestClient
where
    App: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let app = App::from_ref(state);
        if let Some(value) = parts.headers.get(KIOSK_CREDENTIAL_HEADER) {
            let credential = Secret::new(value.to_str().unwrap_or_default());
            let kiosk = app
                .kiosks
                .identify(&credential)
                .await?
                .ok_or(RecoveryError::KioskCredentialInvalid)?;
            return Ok(Self(Client::kiosk(&kiosk)));
        }
        let forwarded = app
            .config
            .trust_forwarded_for
            .then(|| parts.headers.get("x-forwarded-for"))
            .flatten()
            .and_then(|v| v.to_str().ok())
            // The proxy appends the address it saw; entries to its left are the caller's word.
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok());
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip());
        let address = forwarded.or(peer).unwrap_or(IpAddr::from([0, 0, 0, 0]));
        Ok(Self(Client::address(address)))
    }
}

/// Documents the kiosk credential header, so that the OpenAPI document shows which operations
/// identify their client (and can answer `kiosk_credential_invalid`): `params(RequestClient)`.
impl utoipa::IntoParams for RequestClient {
    fn into_params(
        _parameter_in_provider: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        use utoipa::openapi::{path, schema, Required};
        vec![path::ParameterBuilder::new()
            .name(KIOSK_CREDENTIAL_HEADER)
            .parameter_in(path::ParameterIn::Header)
            .required(Required::False)
            .description(Some(
                "An enrolled kiosk's credential; absent on a person's own computer",
            ))
            .schema(Some(schema::Object::with_type(schema::Type::String)))
            .build()]
    }
}

/// The recovery session named by `Authorization: Bearer`, and its person.
#[derive(Debug, Clone)]
pub struct CurrentSession {
    pub session: Session,
    pub person: Person,
}

impl<S> FromRequestParts<S> for CurrentSession
where
    App: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let app = App::from_ref(state);
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer_token)
            .map(Secret::new)
            .ok_or(RecoveryError::SessionInvalid)?;
        let (session, person) = flows::session::authenticate(&app, &token).await?;
        Ok(Self { session, person })
    }
}

/// The help-desk session named by `Authorization: Bearer` (security scheme
/// `help_desk_session`). A recovery session's token is not one: the two token kinds are hashed
/// under different purposes and kept in different tables.
#[derive(Debug, Clone)]
pub struct CurrentAgent(pub AgentSession);

impl<S> FromRequestParts<S> for CurrentAgent
where
    App: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let app = App::from_ref(state);
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer_token)
            .map(Secret::new)
            .ok_or(RecoveryError::AgentSessionInvalid)?;
        Ok(Self(flows::help_desk::authenticate(&app, &token).await?))
    }
}

/// The token of an `Authorization: Bearer <token>` header. The scheme is case-insensitive
/// (RFC 9110 §11.1): `bearer` and `BEARER` are the same scheme.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim_start().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use recovery_api::session::CreateSession;

    fn field_of(body: &str) -> Option<String> {
        match parse_json::<CreateSession>(body.as_bytes()) {
            Err(ApiError::InvalidField { field, .. }) => Some(field),
            _ => None,
        }
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        for value in ["Bearer abc", "bearer abc", "BEARER abc", "bEaReR   abc "] {
            assert_eq!(bearer_token(value), Some("abc"), "{value}");
        }
        for value in ["Basic abc", "Bearer", "Bearer ", "Bearerabc", "abc"] {
            assert_eq!(bearer_token(value), None, "{value}");
        }
    }

    #[test]
    fn names_the_field_at_fault() {
        assert_eq!(
            field_of(r#"{"username":"ada"}"#).as_deref(),
            Some("password")
        );
        assert_eq!(
            field_of(r#"{"username":5,"password":"x"}"#).as_deref(),
            Some("username")
        );
        assert_eq!(
            field_of(r#"{"username":"ada","password":"x","passCode":"1"}"#).as_deref(),
            Some("passCode")
        );
    }

    #[test]
    fn refused_values_are_never_repeated() {
        let body =
            br#"{"username":"ada","password":"pw","date_of_birth":"1985-12-10","pin":246810}"#;
        match parse_json::<CreateSession>(body) {
            Err(ApiError::InvalidField { field, message }) => {
                assert_eq!(field, "pin");
                assert!(!message.contains("246810"), "{message}");
                assert_eq!(message, "The field 'pin' must be a string.");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn syntax_errors_are_malformed() {
        assert!(matches!(
            parse_json::<CreateSession>(b"{\"username\":"),
            Err(ApiError::Malformed(_))
        ));
        assert!(matches!(
            parse_json::<CreateSession>(br#"{"username":"a","password":"b"} trailing"#),
            Err(ApiError::Malformed(_))
        ));
    }
}
