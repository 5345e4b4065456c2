//! A small Duo client for the emulator's own tests: signs v2 (SHA1 / SHA512) and v5
//! requests from the reference's description, sends them with reqwest.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use duo_emulator::{DuoEmulator, EmulatorKeys};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::{Digest, Sha512};
use time::format_description::well_known::Rfc2822;
use time::OffsetDateTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sig {
    V2Sha1,
    V2Sha512,
    V5,
}

#[derive(Clone, Debug)]
pub struct Creds {
    pub ikey: String,
    pub skey: String,
}

pub fn keys() -> EmulatorKeys {
    EmulatorKeys::example()
}

pub fn admin(keys: &EmulatorKeys) -> Creds {
    Creds {
        ikey: keys.admin_ikey.clone(),
        skey: keys.admin_skey.clone(),
    }
}

pub fn auth(keys: &EmulatorKeys) -> Creds {
    Creds {
        ikey: keys.auth_ikey.clone(),
        skey: keys.auth_skey.clone(),
    }
}

pub fn rfc2822(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc2822).ok())
        .unwrap_or_default()
}

pub fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn canon(params: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(String, String)> =
        params.iter().map(|(k, v)| (encode(k), encode(v))).collect();
    pairs.sort();
    pairs
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn sign_hex(sig: Sig, skey: &str, canonical: &str) -> String {
    match sig {
        Sig::V2Sha1 => {
            let mut mac = Hmac::<sha1::Sha1>::new_from_slice(skey.as_bytes()).unwrap();
            mac.update(canonical.as_bytes());
            hex(&mac.finalize().into_bytes())
        }
        _ => {
            let mut mac = Hmac::<Sha512>::new_from_slice(skey.as_bytes()).unwrap();
            mac.update(canonical.as_bytes());
            hex(&mac.finalize().into_bytes())
        }
    }
}

pub fn basic(ikey: &str, sig_hex: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{ikey}:{sig_hex}")))
}

/// A request as the test wants it sent.
pub struct Call<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub params: &'a [(&'a str, &'a str)],
    pub sig: Sig,
    pub date: Option<String>,
}

pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Reply {
    pub fn code(&self) -> Option<u64> {
        self.body.get("code").and_then(Value::as_u64)
    }
    pub fn response(&self) -> &Value {
        &self.body["response"]
    }
}

/// Signs and sends. GET/DELETE carry params in the query string; POST carries them in a
/// form body (v2) or a JSON body (v5).
pub async fn send(emu: &DuoEmulator, creds: &Creds, call: Call<'_>) -> Reply {
    let date = call.date.clone().unwrap_or_else(|| rfc2822(now()));
    let host = emu.api_host().to_ascii_lowercase();
    let method = call.method.to_ascii_uppercase();
    let is_body = method == "POST" || method == "PUT";
    let client = reqwest::Client::new();
    let (canonical, url, body, content_type) = match (call.sig, is_body) {
        (Sig::V5, true) => {
            let map: serde_json::Map<String, Value> = call
                .params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
                .collect();
            let body = Value::Object(map).to_string();
            let canonical = format!(
                "{date}\n{method}\n{host}\n{}\n\n{}\n{}",
                call.path,
                hex(&Sha512::digest(body.as_bytes())),
                hex(&Sha512::digest(b""))
            );
            (
                canonical,
                format!("{}{}", emu.base_url(), call.path),
                Some(body),
                Some("application/json"),
            )
        }
        (Sig::V5, false) => {
            let params = canon(call.params);
            let canonical = format!(
                "{date}\n{method}\n{host}\n{}\n{params}\n{}\n{}",
                call.path,
                hex(&Sha512::digest(b"")),
                hex(&Sha512::digest(b""))
            );
            (
                canonical,
                format!("{}{}?{params}", emu.base_url(), call.path),
                None,
                None,
            )
        }
        (_, true) => {
            let params = canon(call.params);
            let canonical = format!("{date}\n{method}\n{host}\n{}\n{params}", call.path);
            (
                canonical,
                format!("{}{}", emu.base_url(), call.path),
                Some(params),
                Some("application/x-www-form-urlencoded"),
            )
        }
        (_, false) => {
            let params = canon(call.params);
            let canonical = format!("{date}\n{method}\n{host}\n{}\n{params}", call.path);
            (
                canonical,
                format!("{}{}?{params}", emu.base_url(), call.path),
                None,
                None,
            )
        }
    };
    let signature = sign_hex(call.sig, &creds.skey, &canonical);
    let mut request = client
        .request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), url)
        .header("Authorization", basic(&creds.ikey, &signature))
        .header("Date", date);
    if let Some(ct) = content_type {
        request = request.header("Content-Type", ct);
    }
    if let Some(body) = body {
        request = request.body(body);
    }
    read(request.send().await.unwrap()).await
}

pub async fn read(response: reqwest::Response) -> Reply {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Reply {
        status,
        body,
        headers,
    }
}

pub async fn get(emu: &DuoEmulator, creds: &Creds, path: &str, params: &[(&str, &str)]) -> Reply {
    send(
        emu,
        creds,
        Call {
            method: "GET",
            path,
            params,
            sig: Sig::V2Sha512,
            date: None,
        },
    )
    .await
}

pub async fn post(emu: &DuoEmulator, creds: &Creds, path: &str, params: &[(&str, &str)]) -> Reply {
    send(
        emu,
        creds,
        Call {
            method: "POST",
            path,
            params,
            sig: Sig::V5,
            date: None,
        },
    )
    .await
}

pub async fn delete(emu: &DuoEmulator, creds: &Creds, path: &str) -> Reply {
    send(
        emu,
        creds,
        Call {
            method: "DELETE",
            path,
            params: &[],
            sig: Sig::V2Sha512,
            date: None,
        },
    )
    .await
}
