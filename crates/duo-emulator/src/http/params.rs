//! What a handler reads from a request: its parameters (query string plus a form or JSON
//! body, read once by the credential check), the ids in its path, and paging.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};

use crate::envelope::{ApiError, Reply};
use crate::signing::parse_pairs;

/// A request as the credential check sees it.
pub(super) struct Incoming<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

impl Incoming<'_> {
    fn content_type(&self) -> String {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_ascii_lowercase())
            .unwrap_or_default()
    }

    pub(super) fn is_form(&self) -> bool {
        self.content_type()
            .starts_with("application/x-www-form-urlencoded")
    }

    fn is_json(&self) -> bool {
        self.content_type().starts_with("application/json")
    }
}

/// The request's parameters, in arrival order.
#[derive(Clone)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn required(&self, key: &str) -> Result<&str, ApiError> {
        match self.get(key) {
            Some(value) if !value.is_empty() => Ok(value),
            _ => Err(ApiError::missing(key)),
        }
    }

    pub(crate) fn u64_or(&self, key: &str, default: u64) -> Result<u64, ApiError> {
        match self.get(key) {
            None | Some("") => Ok(default),
            Some(value) => value.trim().parse().map_err(|_| ApiError::invalid(key)),
        }
    }

    pub(crate) fn i64_opt(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.get(key) {
            None | Some("") => Ok(None),
            Some(value) => value
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| ApiError::invalid(key)),
        }
    }

    pub(crate) fn bool_or(&self, key: &str, default: bool) -> Result<bool, ApiError> {
        match self.get(key).map(|v| v.trim().to_ascii_lowercase()) {
            None => Ok(default),
            Some(v) if v.is_empty() => Ok(default),
            Some(v) if v == "true" || v == "1" => Ok(true),
            Some(v) if v == "false" || v == "0" => Ok(false),
            Some(_) => Err(ApiError::invalid(key)),
        }
    }
}

/// Handlers take the parameters the credential check read.
impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .remove::<Params>()
            .ok_or_else(|| ApiError::internal("parameters were not read"))
    }
}

/// The ids in a route's path (`{user_id}`, `{phone_id}`…); one that cannot be read is an
/// object Duo does not have.
pub(crate) struct Ids<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Ids<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(ids)| Ids(ids))
            .map_err(|_| ApiError::not_found("id"))
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
pub(super) fn read_params(request: &Incoming<'_>) -> Result<Params, ApiError> {
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

/// One page of a list, with `metadata` as Duo sends it: `limit` (default `default`, at most
/// `max`) items from `offset`.
pub(crate) fn page(
    items: Vec<Value>,
    params: &Params,
    default: usize,
    max: usize,
) -> Result<Reply, ApiError> {
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
    Ok(Reply::page(page, Value::Object(metadata)))
}
