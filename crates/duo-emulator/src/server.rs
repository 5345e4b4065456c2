//! The HTTP side: one fallback handler that injects faults, checks credentials like Duo,
//! routes, checks permissions and answers with Duo's envelope.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::body::to_bytes;
use axum::extract::{Request, State as AxumState};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::date::{format_date, parse_rfc2822};
use crate::envelope::{json_response, ok_body, ApiError};
use crate::model::{Fault, IntegrationKind, Permission, RequestRecord, TransactionState};
use crate::signing::{parse_pairs, verify, Received};
use crate::state::{
    normalize_number, normalize_platform, normalize_type, transaction_json, PhoneFields, State,
    User,
};

/// Largest body the emulator reads.
const MAX_BODY: usize = 1 << 20;
/// How far the request date may be from the emulator's clock (Duo's mock server uses ±300 s,
/// reference section 8).
pub(crate) const DATE_WINDOW_SECS: i64 = 300;
/// How long a synchronous (`async` absent) phone call or push waits for the test to answer.
const SYNC_AUTH_TIMEOUT: Duration = Duration::from_secs(60);
const SYNC_POLL: Duration = Duration::from_millis(20);

pub(crate) struct Shared {
    state: Mutex<State>,
}

impl Shared {
    pub(crate) fn new(state: State) -> Self {
        Shared {
            state: Mutex::new(state),
        }
    }

    /// Locks the state; a poisoned lock (a panicking test thread) is recovered.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

enum Reply {
    /// `response` plus optional top-level `metadata`.
    Json(Value, Option<Value>),
    /// A synchronous phone call or push: answer once the transaction settles.
    WaitFor(String),
}

fn ok(value: Value) -> Result<Reply, ApiError> {
    Ok(Reply::Json(value, None))
}

struct Incoming<'a> {
    method: &'a str,
    path: &'a str,
    query: &'a str,
    headers: &'a HeaderMap,
    body: &'a [u8],
}

impl Incoming<'_> {
    fn content_type(&self) -> String {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_ascii_lowercase())
            .unwrap_or_default()
    }

    fn is_form(&self) -> bool {
        self.content_type()
            .starts_with("application/x-www-form-urlencoded")
    }

    fn is_json(&self) -> bool {
        self.content_type().starts_with("application/json")
    }
}

async fn handle(AxumState(shared): AxumState<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let method = parts.method.as_str().to_owned();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().unwrap_or("").to_owned();
    let mut record = RequestRecord {
        method: method.clone(),
        path: path.clone(),
        query: query.clone(),
        ikey: None,
        signature_version: None,
        signature_valid: None,
        fault: None,
        status: 0,
        error_code: None,
    };
    let body = match to_bytes(body, MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(_) => return finish(&shared, record, Err(ApiError::invalid("body"))),
    };

    let fault = shared.lock().take_fault(&path);
    if let Some(fault) = fault {
        record.fault = Some(fault.clone());
        match fault {
            Fault::Slow(delay) => tokio::time::sleep(delay).await,
            Fault::RateLimited => return finish(&shared, record, Err(ApiError::rate_limited())),
            Fault::ServerError => {
                return finish(
                    &shared,
                    record,
                    Err(ApiError::internal("injected server error")),
                )
            }
            Fault::ServiceUnavailable => {
                let response = (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [(header::CONTENT_TYPE, "text/html")],
                    "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
                )
                    .into_response();
                record.status = 503;
                let mut state = shared.lock();
                let response = with_date(response, state.now());
                state.log.push(record);
                return response;
            }
        }
    }

    let incoming = Incoming {
        method: &method,
        path: &path,
        query: &query,
        headers: &parts.headers,
        body: &body,
    };
    let result = {
        let mut state = shared.lock();
        process(&mut state, &incoming, &mut record)
    };
    let result = match result {
        Ok(Reply::WaitFor(txid)) => wait_for(&shared, &txid).await,
        other => other,
    };
    finish(&shared, record, result)
}

fn finish(shared: &Shared, mut record: RequestRecord, result: Result<Reply, ApiError>) -> Response {
    let response = match result {
        Ok(Reply::Json(response, metadata)) => {
            json_response(StatusCode::OK, &ok_body(response, metadata))
        }
        Ok(Reply::WaitFor(_)) => {
            let error = ApiError::internal("unsettled transaction");
            record.error_code = Some(error.code);
            error.into_response()
        }
        Err(error) => {
            record.error_code = Some(error.code);
            error.into_response()
        }
    };
    record.status = response.status().as_u16();
    let mut state = shared.lock();
    let response = with_date(response, state.now());
    state.log.push(record);
    response
}

/// The `Date` response header from the emulator's own (possibly skewed) clock.
fn with_date(mut response: Response, now: i64) -> Response {
    if let Ok(value) = HeaderValue::from_str(&format_date(now, "GMT")) {
        response.headers_mut().insert(header::DATE, value);
    }
    response
}

async fn wait_for(shared: &Shared, txid: &str) -> Result<Reply, ApiError> {
    let deadline = tokio::time::Instant::now() + SYNC_AUTH_TIMEOUT;
    loop {
        {
            let mut state = shared.lock();
            let timed_out = tokio::time::Instant::now() >= deadline;
            let Some(tx) = state.transaction_mut(txid) else {
                return Err(ApiError::invalid("txid"));
            };
            if tx.state == TransactionState::Waiting && timed_out {
                tx.state = TransactionState::TimedOut;
            }
            if tx.state != TransactionState::Waiting {
                return ok(transaction_json(tx));
            }
        }
        tokio::time::sleep(SYNC_POLL).await;
    }
}

fn process(
    state: &mut State,
    request: &Incoming<'_>,
    record: &mut RequestRecord,
) -> Result<Reply, ApiError> {
    if request.method == "GET" && request.path == "/auth/v2/ping" {
        return ok(json!({ "time": state.now() }));
    }
    let family = if request.path.starts_with("/admin/") {
        Some(IntegrationKind::Admin)
    } else if request.path.starts_with("/auth/") {
        Some(IntegrationKind::Auth)
    } else {
        None
    };
    let ikey = authenticate(state, request, family, record)?;
    let params = read_params(request)?;
    let Some(route) = route(request.method, request.path) else {
        return Err(ApiError::not_found(format!(
            "{} {}",
            request.method, request.path
        )));
    };
    if let Some(permission) = route.permission() {
        let granted = state
            .integration(&ikey)
            .is_some_and(|i| i.permissions.contains(&permission));
        if !granted {
            return Err(ApiError::forbidden(permission.as_str()));
        }
    }
    execute(state, route, &params)
}

// ----- credentials ----------------------------------------------------------------------

fn authenticate(
    state: &State,
    request: &Incoming<'_>,
    family: Option<IntegrationKind>,
    record: &mut RequestRecord,
) -> Result<String, ApiError> {
    let header_value = request
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(ApiError::missing_credentials)?;
    let (scheme, encoded) = header_value
        .trim()
        .split_once(' ')
        .ok_or_else(ApiError::missing_credentials)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(ApiError::missing_credentials());
    }
    let decoded = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(ApiError::missing_credentials)?;
    let (ikey, signature) = decoded
        .split_once(':')
        .ok_or_else(ApiError::missing_credentials)?;
    record.ikey = Some(ikey.to_owned());

    let integration = state
        .integration(ikey)
        .filter(|i| family.is_none_or(|kind| i.kind == kind))
        .ok_or_else(ApiError::invalid_ikey)?;

    // X-Duo-Date wins over Date, as in Duo's mock server (reference section 1.1).
    let date = request
        .headers
        .get("x-duo-date")
        .or_else(|| request.headers.get(header::DATE))
        .and_then(|v| v.to_str().ok())
        .ok_or_else(ApiError::missing_timestamp)?;
    let date_unix = parse_rfc2822(date).ok_or_else(ApiError::missing_timestamp)?;

    let query_pairs = parse_pairs(request.query.as_bytes());
    let form_pairs = request.is_form().then(|| parse_pairs(request.body));
    let x_duo: Option<Vec<(String, String)>> = request
        .headers
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("x-duo-"))
        .map(|(name, value)| {
            value
                .to_str()
                .ok()
                .map(|v| (name.as_str().to_owned(), v.to_owned()))
        })
        .collect();
    let received = Received {
        date,
        method: request.method,
        host: &state.api_host,
        path: request.path,
        query: &query_pairs,
        form: form_pairs.as_deref(),
        body: request.body,
        x_duo: x_duo.as_deref(),
    };
    match verify(&received, &integration.skey, signature) {
        Some(version) => {
            record.signature_valid = Some(true);
            record.signature_version = Some(version);
        }
        None => {
            record.signature_valid = Some(false);
            return Err(ApiError::invalid_signature());
        }
    }
    if (date_unix - state.now()).abs() > DATE_WINDOW_SECS {
        return Err(ApiError::stale_timestamp(DATE_WINDOW_SECS));
    }
    Ok(ikey.to_owned())
}

// ----- parameters -----------------------------------------------------------------------

struct Params(Vec<(String, String)>);

impl Params {
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn required(&self, key: &str) -> Result<&str, ApiError> {
        match self.get(key) {
            Some(value) if !value.is_empty() => Ok(value),
            _ => Err(ApiError::missing(key)),
        }
    }

    fn u64_or(&self, key: &str, default: u64) -> Result<u64, ApiError> {
        match self.get(key) {
            None | Some("") => Ok(default),
            Some(value) => value.trim().parse().map_err(|_| ApiError::invalid(key)),
        }
    }

    fn i64_opt(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.get(key) {
            None | Some("") => Ok(None),
            Some(value) => value
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| ApiError::invalid(key)),
        }
    }

    fn bool_or(&self, key: &str, default: bool) -> Result<bool, ApiError> {
        match self.get(key).map(|v| v.trim().to_ascii_lowercase()) {
            None => Ok(default),
            Some(v) if v.is_empty() => Ok(default),
            Some(v) if v == "true" || v == "1" => Ok(true),
            Some(v) if v == "false" || v == "0" => Ok(false),
            Some(_) => Err(ApiError::invalid(key)),
        }
    }
}

fn json_param(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

/// Parameters from the query string plus a form or JSON body.
fn read_params(request: &Incoming<'_>) -> Result<Params, ApiError> {
    let lossy = |(k, v): (Vec<u8>, Vec<u8>)| {
        (
            String::from_utf8_lossy(&k).into_owned(),
            String::from_utf8_lossy(&v).into_owned(),
        )
    };
    let mut pairs: Vec<(String, String)> = parse_pairs(request.query.as_bytes())
        .into_iter()
        .map(lossy)
        .collect();
    if request.is_form() {
        pairs.extend(parse_pairs(request.body).into_iter().map(lossy));
    } else if request.is_json() && !request.body.is_empty() {
        let value: Value =
            serde_json::from_slice(request.body).map_err(|_| ApiError::invalid("body"))?;
        let Value::Object(object) = value else {
            return Err(ApiError::invalid("body"));
        };
        for (key, value) in &object {
            if let Some(text) = json_param(value) {
                pairs.push((key.clone(), text));
            }
        }
    }
    Ok(Params(pairs))
}

/// One page of a list, with `metadata` as Duo sends it.
fn page(items: Vec<Value>, params: &Params, default: usize, max: usize) -> Result<Reply, ApiError> {
    let limit = match params.get("limit") {
        None | Some("") => default,
        Some(text) => text
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|l| *l > 0)
            .ok_or_else(|| ApiError::invalid("limit"))?
            .min(max),
    };
    let offset = match params.get("offset") {
        None | Some("") => 0,
        Some(text) => text
            .trim()
            .parse::<usize>()
            .map_err(|_| ApiError::invalid("offset"))?,
    };
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(offset).take(limit).collect();
    let mut metadata = Map::new();
    metadata.insert("total_objects".to_owned(), json!(total));
    if offset.saturating_add(limit) < total {
        metadata.insert("next_offset".to_owned(), json!(offset + limit));
    }
    if offset > 0 {
        metadata.insert(
            "prev_offset".to_owned(),
            json!(offset.saturating_sub(limit)),
        );
    }
    Ok(Reply::Json(
        Value::Array(page),
        Some(Value::Object(metadata)),
    ))
}

// ----- routing --------------------------------------------------------------------------

enum Route {
    ListUsers,
    GetUser(String),
    ModifyUser(String),
    UserPhones(String),
    AssociatePhone(String),
    DisassociatePhone(String, String),
    UserTokens(String),
    AssociateToken(String),
    DisassociateToken(String, String),
    UserWebauthn(String),
    UserBypassCodes(String),
    CreateBypassCodes(String),
    ListBypassCodes,
    GetBypassCode(String),
    DeleteBypassCode(String),
    ListPhones,
    CreatePhone,
    GetPhone(String),
    ModifyPhone(String),
    DeletePhone(String),
    ActivationUrl(String),
    SendSmsActivation(String),
    ListTokens,
    CreateToken,
    GetToken(String),
    DeleteToken(String),
    ResyncToken(String),
    ListWebauthn,
    GetWebauthn(String),
    DeleteWebauthn(String),
    Check,
    Preauth,
    Auth,
    AuthStatus,
}

impl Route {
    fn is_admin(&self) -> bool {
        !matches!(
            self,
            Route::Check | Route::Preauth | Route::Auth | Route::AuthStatus
        )
    }

    fn is_read(&self) -> bool {
        matches!(
            self,
            Route::ListUsers
                | Route::GetUser(_)
                | Route::UserPhones(_)
                | Route::UserTokens(_)
                | Route::UserWebauthn(_)
                | Route::UserBypassCodes(_)
                | Route::ListBypassCodes
                | Route::GetBypassCode(_)
                | Route::ListPhones
                | Route::GetPhone(_)
                | Route::ListTokens
                | Route::GetToken(_)
                | Route::ListWebauthn
                | Route::GetWebauthn(_)
        )
    }

    /// Admin reads need "Grant read resource", writes "Grant write resource" (reference
    /// section 2, [PS]); the Auth API has no grants.
    fn permission(&self) -> Option<Permission> {
        if !self.is_admin() {
            None
        } else if self.is_read() {
            Some(Permission::ReadResource)
        } else {
            Some(Permission::WriteResource)
        }
    }
}

fn route(method: &str, path: &str) -> Option<Route> {
    let segments: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
    let id = |s: &&str| (*s).to_owned();
    let route = match (method, segments.as_slice()) {
        ("GET", ["admin", "v1", "users"]) => Route::ListUsers,
        ("GET", ["admin", "v1", "users", u]) => Route::GetUser(id(u)),
        ("POST", ["admin", "v1", "users", u]) => Route::ModifyUser(id(u)),
        ("GET", ["admin", "v1", "users", u, "phones"]) => Route::UserPhones(id(u)),
        ("POST", ["admin", "v1", "users", u, "phones"]) => Route::AssociatePhone(id(u)),
        ("DELETE", ["admin", "v1", "users", u, "phones", p]) => {
            Route::DisassociatePhone(id(u), id(p))
        }
        ("GET", ["admin", "v1", "users", u, "tokens"]) => Route::UserTokens(id(u)),
        ("POST", ["admin", "v1", "users", u, "tokens"]) => Route::AssociateToken(id(u)),
        ("DELETE", ["admin", "v1", "users", u, "tokens", t]) => {
            Route::DisassociateToken(id(u), id(t))
        }
        ("GET", ["admin", "v1", "users", u, "webauthncredentials"]) => Route::UserWebauthn(id(u)),
        ("GET", ["admin", "v1", "users", u, "bypass_codes"]) => Route::UserBypassCodes(id(u)),
        ("POST", ["admin", "v1", "users", u, "bypass_codes"]) => Route::CreateBypassCodes(id(u)),
        ("GET", ["admin", "v1", "bypass_codes"]) => Route::ListBypassCodes,
        ("GET", ["admin", "v1", "bypass_codes", b]) => Route::GetBypassCode(id(b)),
        ("DELETE", ["admin", "v1", "bypass_codes", b]) => Route::DeleteBypassCode(id(b)),
        ("GET", ["admin", "v1", "phones"]) => Route::ListPhones,
        ("POST", ["admin", "v1", "phones"]) => Route::CreatePhone,
        ("GET", ["admin", "v1", "phones", p]) => Route::GetPhone(id(p)),
        ("POST", ["admin", "v1", "phones", p]) => Route::ModifyPhone(id(p)),
        ("DELETE", ["admin", "v1", "phones", p]) => Route::DeletePhone(id(p)),
        ("POST", ["admin", "v1", "phones", p, "activation_url"]) => Route::ActivationUrl(id(p)),
        ("POST", ["admin", "v1", "phones", p, "send_sms_activation"]) => {
            Route::SendSmsActivation(id(p))
        }
        ("GET", ["admin", "v1", "tokens"]) => Route::ListTokens,
        ("POST", ["admin", "v1", "tokens"]) => Route::CreateToken,
        ("GET", ["admin", "v1", "tokens", t]) => Route::GetToken(id(t)),
        ("DELETE", ["admin", "v1", "tokens", t]) => Route::DeleteToken(id(t)),
        ("POST", ["admin", "v1", "tokens", t, "resync"]) => Route::ResyncToken(id(t)),
        ("GET", ["admin", "v1", "webauthncredentials"]) => Route::ListWebauthn,
        ("GET", ["admin", "v1", "webauthncredentials", w]) => Route::GetWebauthn(id(w)),
        ("DELETE", ["admin", "v1", "webauthncredentials", w]) => Route::DeleteWebauthn(id(w)),
        ("GET", ["auth", "v2", "check"]) => Route::Check,
        ("POST", ["auth", "v2", "preauth"]) => Route::Preauth,
        ("POST", ["auth", "v2", "auth"]) => Route::Auth,
        ("GET", ["auth", "v2", "auth_status"]) => Route::AuthStatus,
        _ => return None,
    };
    Some(route)
}

// ----- endpoints ------------------------------------------------------------------------

fn existing_user<'a>(state: &'a State, user_id: &str) -> Result<&'a User, ApiError> {
    state
        .user(user_id)
        .ok_or_else(|| ApiError::not_found("user_id"))
}

fn execute(state: &mut State, route: Route, params: &Params) -> Result<Reply, ApiError> {
    match route {
        Route::ListUsers => list_users(state, params),
        Route::GetUser(user_id) => {
            let user = existing_user(state, &user_id)?;
            ok(state.user_json(user))
        }
        Route::ModifyUser(user_id) => modify_user(state, &user_id, params),
        Route::UserPhones(user_id) => {
            let user = existing_user(state, &user_id)?;
            let items = state
                .user_phones(user)
                .iter()
                .map(|p| state.phone_json(p))
                .collect();
            page(items, params, 100, 500)
        }
        Route::AssociatePhone(user_id) => {
            let phone_id = params.required("phone_id")?.to_owned();
            state.associate_phone(&user_id, &phone_id)?;
            ok(json!(""))
        }
        Route::DisassociatePhone(user_id, phone_id) => {
            state.disassociate_phone(&user_id, &phone_id)?;
            ok(json!(""))
        }
        Route::UserTokens(user_id) => {
            let user = existing_user(state, &user_id)?;
            let items = state
                .user_tokens(user)
                .iter()
                .map(|t| state.token_json(t))
                .collect();
            page(items, params, 100, 500)
        }
        Route::AssociateToken(user_id) => {
            let token_id = params.required("token_id")?.to_owned();
            state.associate_token(&user_id, &token_id)?;
            ok(json!(""))
        }
        Route::DisassociateToken(user_id, token_id) => {
            let user = state
                .user_mut(&user_id)
                .ok_or_else(|| ApiError::not_found("user_id"))?;
            user.token_ids.retain(|t| *t != token_id);
            ok(json!(""))
        }
        Route::UserWebauthn(user_id) => {
            existing_user(state, &user_id)?;
            let items = state
                .user_webauthn(&user_id)
                .iter()
                .map(|w| state.webauthn_json(w))
                .collect();
            page(items, params, 100, 500)
        }
        Route::UserBypassCodes(user_id) => {
            existing_user(state, &user_id)?;
            state.purge_expired_codes();
            let items = state
                .bypass
                .iter()
                .filter(|b| b.user_id == user_id)
                .map(|b| state.bypass_meta_json(b))
                .collect();
            page(items, params, 100, 500)
        }
        Route::CreateBypassCodes(user_id) => create_bypass_codes(state, &user_id, params),
        Route::ListBypassCodes => {
            state.purge_expired_codes();
            let items = state
                .bypass
                .iter()
                .map(|b| state.bypass_meta_json(b))
                .collect();
            page(items, params, 100, 500)
        }
        Route::GetBypassCode(id) => {
            state.purge_expired_codes();
            let code = state
                .bypass
                .iter()
                .find(|b| b.bypass_code_id == id)
                .ok_or_else(|| ApiError::not_found("bypass_code_id"))?;
            ok(state.bypass_meta_json(code))
        }
        Route::DeleteBypassCode(id) => {
            state.delete_bypass_code(&id)?;
            ok(json!(""))
        }
        Route::ListPhones => {
            let number = match params.get("number") {
                Some(n) => Some(normalize_number(n).ok_or_else(|| ApiError::invalid("number"))?),
                None => None,
            };
            let extension = params.get("extension");
            let items = state
                .phones
                .iter()
                .filter(|p| number.as_ref().is_none_or(|n| p.number == *n))
                .filter(|p| extension.is_none_or(|e| p.extension == e))
                .map(|p| state.phone_json(p))
                .collect();
            page(items, params, 100, 500)
        }
        Route::CreatePhone => {
            let fields = phone_fields(params)?;
            let phone_id = state.create_phone(fields)?;
            let phone = state
                .phone(&phone_id)
                .ok_or_else(|| ApiError::internal("phone vanished"))?;
            ok(state.phone_json(phone))
        }
        Route::GetPhone(phone_id) => {
            let phone = state
                .phone(&phone_id)
                .ok_or_else(|| ApiError::not_found("phone_id"))?;
            ok(state.phone_json(phone))
        }
        Route::ModifyPhone(phone_id) => {
            let fields = phone_fields(params)?;
            state.update_phone(&phone_id, fields)?;
            let phone = state
                .phone(&phone_id)
                .ok_or_else(|| ApiError::not_found("phone_id"))?;
            ok(state.phone_json(phone))
        }
        Route::DeletePhone(phone_id) => {
            state.delete_phone(&phone_id)?;
            ok(json!(""))
        }
        Route::ActivationUrl(phone_id) => {
            let valid_secs = params.u64_or("valid_secs", 86_400)?;
            let install = params.bool_or("install", false)?;
            let info = state.issue_activation(&phone_id, valid_secs, install, false)?;
            let mut response = json!({
                "activation_barcode": info.activation_barcode,
                "activation_url": info.activation_url,
                "valid_secs": info.valid_secs,
            });
            if let (Some(url), Some(object)) = (&info.installation_url, response.as_object_mut()) {
                object.insert("installation_url".to_owned(), json!(url));
            }
            ok(response)
        }
        Route::SendSmsActivation(phone_id) => send_sms_activation(state, &phone_id, params),
        Route::ListTokens => {
            let token_type = params.get("type");
            let serial = params.get("serial");
            let items = state
                .tokens
                .iter()
                .filter(|t| token_type.is_none_or(|ty| t.token_type == ty))
                .filter(|t| serial.is_none_or(|s| t.serial == s))
                .map(|t| state.token_json(t))
                .collect();
            page(items, params, 100, 500)
        }
        Route::CreateToken => create_token(state, params),
        Route::GetToken(token_id) => {
            let token = state
                .token(&token_id)
                .ok_or_else(|| ApiError::not_found("token_id"))?;
            ok(state.token_json(token))
        }
        Route::DeleteToken(token_id) => {
            state.delete_token(&token_id)?;
            ok(json!(""))
        }
        Route::ResyncToken(token_id) => {
            let code1 = params.required("code1")?;
            let code2 = params.required("code2")?;
            let code3 = params.required("code3")?;
            state.resync_token(&token_id, [code1, code2, code3])?;
            ok(json!(""))
        }
        Route::ListWebauthn => {
            let items = state
                .webauthn
                .iter()
                .map(|w| state.webauthn_json(w))
                .collect();
            page(items, params, 100, 500)
        }
        Route::GetWebauthn(key) => {
            let credential = state
                .webauthn
                .iter()
                .find(|w| w.webauthnkey == key)
                .ok_or_else(|| ApiError::not_found("webauthnkey"))?;
            ok(state.webauthn_json(credential))
        }
        Route::DeleteWebauthn(key) => {
            state.delete_webauthn(&key)?;
            ok(json!(""))
        }
        Route::Check => ok(json!({ "time": state.now() })),
        Route::Preauth => preauth(state, params),
        Route::Auth => auth(state, params),
        Route::AuthStatus => {
            let txid = params.required("txid")?;
            let tx = state
                .transaction(txid)
                .ok_or_else(|| ApiError::invalid("txid"))?;
            ok(transaction_json(tx))
        }
    }
}

fn list_users(state: &State, params: &Params) -> Result<Reply, ApiError> {
    let username = params.get("username");
    let email = params.get("email");
    let list = |key: &str| -> Result<Option<Vec<String>>, ApiError> {
        match params.get(key) {
            None => Ok(None),
            Some(text) => serde_json::from_str::<Vec<String>>(text)
                .map(Some)
                .map_err(|_| ApiError::invalid(key)),
        }
    };
    let usernames = list("username_list")?;
    let user_ids = list("user_id_list")?;
    let items = state
        .users
        .iter()
        .filter(|u| username.is_none_or(|n| u.username.eq_ignore_ascii_case(n)))
        .filter(|u| email.is_none_or(|e| u.email.eq_ignore_ascii_case(e)))
        .filter(|u| {
            usernames
                .as_ref()
                .is_none_or(|names| names.iter().any(|n| u.username.eq_ignore_ascii_case(n)))
        })
        .filter(|u| user_ids.as_ref().is_none_or(|ids| ids.contains(&u.user_id)))
        .map(|u| state.user_json(u))
        .collect();
    page(items, params, 100, 300)
}

fn modify_user(state: &mut State, user_id: &str, params: &Params) -> Result<Reply, ApiError> {
    existing_user(state, user_id)?;
    let status = match params.get("status") {
        None => None,
        Some(s) => {
            let s = s.trim().to_ascii_lowercase();
            // "locked out" can only be set by the system (reference section 2).
            if !["active", "disabled", "bypass"].contains(&s.as_str()) {
                return Err(ApiError::invalid("status"));
            }
            Some(s)
        }
    };
    if let Some(username) = params.get("username") {
        if state
            .users
            .iter()
            .any(|u| u.user_id != user_id && u.username.eq_ignore_ascii_case(username))
        {
            return Err(ApiError::duplicate("username"));
        }
    }
    if let Some(user) = state.user_mut(user_id) {
        if let Some(status) = status {
            user.status = status;
        }
        if let Some(username) = params.get("username") {
            user.username = username.to_owned();
        }
        if let Some(realname) = params.get("realname") {
            user.realname = realname.to_owned();
        }
        if let Some(email) = params.get("email") {
            user.email = email.to_owned();
        }
        if let Some(notes) = params.get("notes") {
            user.notes = notes.to_owned();
        }
    }
    let user = existing_user(state, user_id)?;
    ok(state.user_json(user))
}

fn create_bypass_codes(
    state: &mut State,
    user_id: &str,
    params: &Params,
) -> Result<Reply, ApiError> {
    existing_user(state, user_id)?;
    let count = params.get("count");
    let custom = params.get("codes");
    if count.is_some() && custom.is_some() {
        return Err(ApiError::invalid("codes"));
    }
    let reuse_count = u32::try_from(params.u64_or("reuse_count", 1)?)
        .map_err(|_| ApiError::invalid("reuse_count"))?;
    let valid_secs = params.u64_or("valid_secs", 0)?;
    let preserve_existing = params.bool_or("preserve_existing", false)?;
    let codes: Vec<String> = match custom {
        Some(csv) => {
            let codes: Vec<String> = csv.split(',').map(|c| c.trim().to_owned()).collect();
            if codes
                .iter()
                .any(|c| c.is_empty() || !c.chars().all(|ch| ch.is_ascii_digit()))
            {
                return Err(ApiError::invalid("codes"));
            }
            codes
        }
        None => {
            let count = params.u64_or("count", 10)?;
            if !(1..=10).contains(&count) {
                return Err(ApiError::invalid("count"));
            }
            let mut codes: Vec<String> = Vec::new();
            while codes.len() < count as usize {
                let code = state.random_bypass_code();
                let clash = codes.contains(&code)
                    || (preserve_existing
                        && state
                            .bypass
                            .iter()
                            .any(|b| b.user_id == user_id && b.code == code));
                if !clash {
                    codes.push(code);
                }
            }
            codes
        }
    };
    state.store_bypass_codes(user_id, &codes, reuse_count, valid_secs, preserve_existing)?;
    ok(json!(codes))
}

fn phone_fields(params: &Params) -> Result<PhoneFields, ApiError> {
    let number = match params.get("number") {
        Some(n) => Some(normalize_number(n).ok_or_else(|| ApiError::invalid("number"))?),
        None => None,
    };
    let phone_type = match params.get("type") {
        Some(t) => Some(normalize_type(t).ok_or_else(|| ApiError::invalid("type"))?),
        None => None,
    };
    let platform = match params.get("platform") {
        Some(p) => Some(normalize_platform(p).ok_or_else(|| ApiError::invalid("platform"))?),
        None => None,
    };
    Ok(PhoneFields {
        number,
        extension: params.get("extension").map(str::to_owned),
        name: params.get("name").map(str::to_owned),
        phone_type,
        platform,
        predelay: params.i64_opt("predelay")?,
        postdelay: params.i64_opt("postdelay")?,
    })
}

const DEFAULT_ACTIVATION_MSG: &str = "To activate the Duo Mobile app, tap this link: <acturl>";
const DEFAULT_INSTALLATION_MSG: &str = "Welcome to Duo! Install Duo Mobile from: <insturl>";
const SMS_MAX_CHARS: usize = 160;

fn send_sms_activation(
    state: &mut State,
    phone_id: &str,
    params: &Params,
) -> Result<Reply, ApiError> {
    let phone = state
        .phone(phone_id)
        .ok_or_else(|| ApiError::not_found("phone_id"))?;
    if phone.number.is_empty() {
        return Err(ApiError::invalid("number"));
    }
    let was_activated = phone.activated;
    let number = phone.number.clone();
    let valid_secs = params.u64_or("valid_secs", 86_400)?;
    let install = params.bool_or("install", false)?;
    let activation_template = params
        .get("activation_msg")
        .unwrap_or(DEFAULT_ACTIVATION_MSG)
        .to_owned();
    let installation_template = params
        .get("installation_msg")
        .unwrap_or(DEFAULT_INSTALLATION_MSG)
        .to_owned();
    if !activation_template.contains("<acturl>") {
        return Err(ApiError::invalid("activation_msg"));
    }
    if install && !installation_template.contains("<insturl>") {
        return Err(ApiError::invalid("installation_msg"));
    }
    let info = state.issue_activation(phone_id, valid_secs, install, true)?;
    let activation_msg = activation_template.replace("<acturl>", &info.activation_url);
    let installation_msg = info
        .installation_url
        .as_ref()
        .map(|url| installation_template.replace("<insturl>", url));
    let too_long = if activation_msg.chars().count() > SMS_MAX_CHARS {
        Some("activation_msg")
    } else if installation_msg
        .as_ref()
        .is_some_and(|m| m.chars().count() > SMS_MAX_CHARS)
    {
        Some("installation_msg")
    } else {
        None
    };
    if let Some(field) = too_long {
        // Nothing was sent: undo the activation.
        state.activations.pop();
        if let Some(phone) = state.phone_mut(phone_id) {
            phone.activated = was_activated;
        }
        return Err(ApiError::invalid(field));
    }
    let sent_at = state.state_now();
    state.sms.push(crate::model::SmsActivation {
        phone_id: phone_id.to_owned(),
        number,
        activation_msg: activation_msg.clone(),
        installation_msg: installation_msg.clone(),
        activation_url: info.activation_url.clone(),
        installation_url: info.installation_url.clone(),
        valid_secs,
        sent_at,
    });
    ok(json!({
        "activation_barcode": info.activation_barcode,
        "activation_msg": activation_msg,
        "installation_msg": installation_msg.unwrap_or_default(),
        "valid_secs": valid_secs,
    }))
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if text.len() & 1 == 1 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect()
}

fn create_token(state: &mut State, params: &Params) -> Result<Reply, ApiError> {
    let token_type = params.required("type")?.trim().to_ascii_lowercase();
    let serial = params.required("serial")?.to_owned();
    let (secret, counter, totp_step) = match token_type.as_str() {
        "h6" | "h8" | "d1" => {
            let secret = decode_hex(params.required("secret")?)
                .ok_or_else(|| ApiError::invalid("secret"))?;
            (secret, params.u64_or("counter", 0)?, None)
        }
        "t6" | "t8" => {
            let secret = decode_hex(params.required("secret")?)
                .ok_or_else(|| ApiError::invalid("secret"))?;
            (secret, 0, Some(params.u64_or("totp_step", 30)?))
        }
        "yk" => {
            params.required("private_id")?;
            params.required("aes_key")?;
            (Vec::new(), 0, None)
        }
        _ => return Err(ApiError::invalid("type")),
    };
    let token_id = state.add_token(&token_type, &serial, &secret, counter, totp_step)?;
    let token = state
        .token(&token_id)
        .ok_or_else(|| ApiError::internal("token vanished"))?;
    ok(state.token_json(token))
}

/// Exactly one of `username` / `user_id`.
fn user_param(params: &Params) -> Result<(&'static str, &str), ApiError> {
    match (params.get("username"), params.get("user_id")) {
        (Some(_), Some(_)) => Err(ApiError::invalid("user_id or username")),
        (Some(name), None) if !name.is_empty() => Ok(("username", name)),
        (None, Some(id)) if !id.is_empty() => Ok(("user_id", id)),
        _ => Err(ApiError::missing("user_id or username")),
    }
}

fn find_user<'a>(state: &'a State, key: &str, value: &str) -> Option<&'a User> {
    if key == "username" {
        state.user_by_name(value)
    } else {
        state.user(value)
    }
}

fn status_answer(status: &str) -> Option<Value> {
    match status {
        "disabled" => Some(json!({
            "result": "deny",
            "status": "deny",
            "status_msg": "Your account is disabled.",
        })),
        "locked out" => Some(json!({
            "result": "deny",
            "status": "locked_out",
            "status_msg": "Your account is locked out.",
        })),
        "bypass" => Some(json!({
            "result": "allow",
            "status": "bypass",
            "status_msg": "Allowing access: two-factor authentication is bypassed for this user.",
        })),
        _ => None,
    }
}

fn preauth(state: &State, params: &Params) -> Result<Reply, ApiError> {
    let (key, value) = user_param(params)?;
    let Some(user) = find_user(state, key, value) else {
        return ok(json!({
            "result": "enroll",
            "status_msg": "Enroll an authentication device to proceed",
            "enroll_portal_url": format!("https://{}/portal?code=emulator", state.api_host),
        }));
    };
    if let Some(answer) = status_answer(&user.status) {
        let mut answer = answer;
        if let Some(object) = answer.as_object_mut() {
            object.remove("status");
        }
        return ok(answer);
    }
    let mut devices: Vec<Value> = state
        .user_phones(user)
        .iter()
        .map(|p| {
            let info = state.phone_info(p);
            json!({
                "device": info.phone_id,
                "type": "phone",
                "number": info.number,
                "name": info.name,
                "display_name": if info.number.is_empty() { info.name.clone() } else { info.number.clone() },
                "capabilities": info.capabilities,
                "sms_nextcode": "",
            })
        })
        .collect();
    for token in state.user_tokens(user) {
        devices.push(json!({
            "device": token.token_id,
            "type": "token",
            "name": token.serial,
            "display_name": format!("Token ({})", token.serial),
            "capabilities": [],
        }));
    }
    if devices.is_empty() && state.user_webauthn(&user.user_id).is_empty() {
        return ok(json!({
            "result": "enroll",
            "status_msg": "Enroll an authentication device to proceed",
            "enroll_portal_url": format!("https://{}/portal?code=emulator", state.api_host),
        }));
    }
    ok(json!({
        "result": "auth",
        "status_msg": "Account is active",
        "devices": devices,
    }))
}

fn auth(state: &mut State, params: &Params) -> Result<Reply, ApiError> {
    let (key, value) = user_param(params)?;
    let user = find_user(state, key, value).ok_or_else(|| ApiError::invalid(key))?;
    let user_id = user.user_id.clone();
    let user_status = user.status.clone();
    let factor = params.required("factor")?.to_ascii_lowercase();
    let is_async = params.bool_or("async", false)?;
    if !["passcode", "phone", "push", "auto", "sms"].contains(&factor.as_str()) {
        return Err(ApiError::invalid("factor"));
    }
    let passcode = if factor == "passcode" {
        Some(params.required("passcode")?.to_owned())
    } else {
        None
    };
    if let Some(answer) = status_answer(&user_status) {
        return ok(answer);
    }

    if let Some(passcode) = passcode {
        let allowed = state.check_passcode(&user_id, &passcode);
        if is_async {
            let txid = state.record_passcode_transaction(&user_id, allowed);
            return ok(json!({ "txid": txid }));
        }
        return ok(if allowed {
            json!({
                "result": "allow",
                "status": "allow",
                "status_msg": "Success. Logging you in...",
            })
        } else {
            json!({
                "result": "deny",
                "status": "deny",
                "status_msg": "Incorrect passcode. Please try again.",
            })
        });
    }

    // A device-based factor: pick the phone.
    let device = params.get("device").unwrap_or("auto");
    let wanted: &[&str] = match factor.as_str() {
        "phone" => &["phone"],
        "push" => &["push"],
        "sms" => &["sms"],
        _ => &["push", "phone"],
    };
    let user = existing_user(state, &user_id)?;
    let phones: Vec<_> = state
        .user_phones(user)
        .iter()
        .map(|p| state.phone_info(p))
        .collect();
    let chosen = if device == "auto" {
        wanted.iter().find_map(|capability| {
            phones
                .iter()
                .find(|p| p.capabilities.iter().any(|c| c == capability))
                .map(|p| (p.clone(), (*capability).to_owned()))
        })
    } else {
        let phone = phones
            .iter()
            .find(|p| p.phone_id == device)
            .ok_or_else(|| ApiError::invalid("device"))?;
        wanted
            .iter()
            .find(|capability| phone.capabilities.iter().any(|c| c == *capability))
            .map(|capability| (phone.clone(), (*capability).to_owned()))
    };
    let Some((phone, used)) = chosen else {
        return Err(ApiError::invalid("no capable device"));
    };
    if used == "sms" {
        return ok(json!({
            "result": "deny",
            "status": "sent",
            "status_msg": "New SMS passcodes sent.",
        }));
    }
    let txid = state.start_transaction(&used, &user_id, Some((&phone.phone_id, &phone.number)));
    if is_async {
        ok(json!({ "txid": txid }))
    } else {
        Ok(Reply::WaitFor(txid))
    }
}
