//! Duo's Auth API: `GET /auth/v2/ping` (unsigned), `check`, `preauth`, `auth` (in
//! [`auth`]) and `auth_status`; its calls, pushes and passcode checks are in
//! [`transactions`].

mod auth;
mod transactions;

use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use self::transactions::transaction_json;
use crate::account::Account;
use crate::admin_api::users::User;
use crate::envelope::{ok, Answer, ApiError};
use crate::http::params::Params;
use crate::http::Emulator;

pub(crate) fn routes() -> Router<Emulator> {
    Router::new()
        .route("/auth/v2/ping", get(ping))
        .route("/auth/v2/check", get(ping))
        .route("/auth/v2/preauth", post(preauth))
        .route("/auth/v2/auth", post(auth::auth))
        .route("/auth/v2/auth_status", get(auth_status))
}

/// `ping` (unsigned) and `check` (signed) both answer the emulator's time.
async fn ping(State(shared): State<Emulator>) -> Answer {
    ok(json!({ "time": shared.lock().now() }))
}

async fn auth_status(State(shared): State<Emulator>, params: Params) -> Answer {
    let txid = params.required("txid")?;
    let account = shared.lock();
    let tx = account
        .transaction(txid)
        .ok_or_else(|| ApiError::invalid("txid"))?;
    ok(transaction_json(tx))
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

fn find_user<'a>(account: &'a Account, key: &str, value: &str) -> Option<&'a User> {
    if key == "username" {
        account.user_by_name(value)
    } else {
        account.user(value)
    }
}

/// What Duo answers at once for a user who is not simply `active`.
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

fn enroll(account: &Account) -> Answer {
    ok(json!({
        "result": "enroll",
        "status_msg": "Enroll an authentication device to proceed",
        "enroll_portal_url": format!("https://{}/portal?code=emulator", account.api_host),
    }))
}

async fn preauth(State(shared): State<Emulator>, params: Params) -> Answer {
    let account = shared.lock();
    let (key, value) = user_param(&params)?;
    let Some(user) = find_user(&account, key, value) else {
        return enroll(&account);
    };
    if let Some(mut answer) = status_answer(&user.status) {
        if let Some(object) = answer.as_object_mut() {
            object.remove("status");
        }
        return ok(answer);
    }
    let mut devices: Vec<Value> = account
        .user_phones(user)
        .iter()
        .map(|p| {
            let info = account.phone_info(p);
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
    for token in account.user_tokens(user) {
        devices.push(json!({
            "device": token.token_id,
            "type": "token",
            "name": token.serial,
            "display_name": format!("Token ({})", token.serial),
            "capabilities": [],
        }));
    }
    if devices.is_empty() && account.user_webauthn(&user.user_id).is_empty() {
        return enroll(&account);
    }
    ok(json!({
        "result": "auth",
        "status_msg": "Account is active",
        "devices": devices,
    }))
}
