//! Reading CTAP's integer-keyed CBOR request maps and writing its responses. Requests are
//! read from the raw map where webauthn-authenticator-rs' own parsers drop fields.

use std::collections::BTreeMap;

use serde_cbor_2::Value;

use crate::status;

/// A request's parameters as a map with unsigned integer keys, as every CTAP command has.
pub(crate) fn parse_map(params: &[u8]) -> Result<BTreeMap<u32, Value>, u8> {
    if params.is_empty() {
        return Err(status::MISSING_PARAMETER);
    }
    let Value::Map(map) =
        serde_cbor_2::from_slice::<Value>(params).map_err(|_| status::INVALID_CBOR)?
    else {
        return Err(status::INVALID_CBOR);
    };
    map.into_iter()
        .map(|(k, v)| match k {
            Value::Integer(k) => u32::try_from(k)
                .map(|k| (k, v))
                .map_err(|_| status::INVALID_CBOR),
            _ => Err(status::INVALID_CBOR),
        })
        .collect()
}

pub(crate) fn encode(map: &BTreeMap<u32, Value>) -> Result<Vec<u8>, u8> {
    serde_cbor_2::to_vec(map).map_err(|_| status::OTHER)
}

pub(crate) fn uint(value: Option<&Value>) -> Option<u32> {
    match value {
        Some(Value::Integer(i)) => u32::try_from(*i).ok(),
        _ => None,
    }
}

pub(crate) fn bytes(value: Option<&Value>) -> Option<Vec<u8>> {
    match value {
        Some(Value::Bytes(b)) => Some(b.clone()),
        _ => None,
    }
}

/// A byte string the command cannot do without.
pub(crate) fn required_bytes(map: &BTreeMap<u32, Value>, key: u32) -> Result<Vec<u8>, u8> {
    bytes(map.get(&key)).ok_or(status::MISSING_PARAMETER)
}

pub(crate) fn text(value: Option<&Value>) -> Option<String> {
    match value {
        Some(Value::Text(t)) => Some(t.clone()),
        _ => None,
    }
}

/// An options map (`rk`, `up`, `uv`); entries that are not text → bool are ignored.
pub(crate) fn bool_options(value: Option<&Value>) -> BTreeMap<String, bool> {
    match value {
        Some(Value::Map(m)) => m
            .iter()
            .filter_map(|(k, v)| match (k, v) {
                (Value::Text(k), Value::Bool(v)) => Some((k.clone(), *v)),
                _ => None,
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// The `id`s of an array of PublicKeyCredentialDescriptor maps.
pub(crate) fn descriptor_ids(value: Option<&Value>) -> Vec<Vec<u8>> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| match item {
                Value::Map(m) => bytes(m.get(&Value::Text("id".into()))),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A P-256 COSE_Key (kty EC2, crv P-256) with the given `alg`: -7 for a credential key, -25
/// for getKeyAgreement's.
pub(crate) fn cose_p256_key(alg: i128, x: Vec<u8>, y: Vec<u8>) -> Value {
    Value::Map(BTreeMap::from([
        (Value::Integer(1), Value::Integer(2)),
        (Value::Integer(3), Value::Integer(alg)),
        (Value::Integer(-1), Value::Integer(1)),
        (Value::Integer(-2), Value::Bytes(x)),
        (Value::Integer(-3), Value::Bytes(y)),
    ]))
}
