//! The token endpoints: `/admin/v1/tokens[/{token_id}[/resync]]` and a user's tokens,
//! `/admin/v1/users/{user_id}/tokens[/{token_id}]`.

use axum::extract::State;
use axum::routing::{delete, get, post};
use axum::Router;
use serde_json::json;

use crate::envelope::{ok, Answer, ApiError};
use crate::http::params::{page, Ids, Params};
use crate::http::Emulator;

pub(in crate::admin_api) fn routes() -> Router<Emulator> {
    Router::new()
        .route("/admin/v1/tokens", get(list_tokens).post(create_token))
        .route(
            "/admin/v1/tokens/{token_id}",
            get(get_token).delete(delete_token),
        )
        .route("/admin/v1/tokens/{token_id}/resync", post(resync_token))
        .route(
            "/admin/v1/users/{user_id}/tokens",
            get(user_tokens).post(associate_token),
        )
        .route(
            "/admin/v1/users/{user_id}/tokens/{token_id}",
            delete(disassociate_token),
        )
}

async fn list_tokens(State(shared): State<Emulator>, params: Params) -> Answer {
    let account = shared.lock();
    let token_type = params.get("type");
    let serial = params.get("serial");
    let items = account
        .tokens
        .iter()
        .filter(|t| token_type.is_none_or(|ty| t.token_type == ty))
        .filter(|t| serial.is_none_or(|s| t.serial == s))
        .map(|t| account.token_json(t))
        .collect();
    page(items, &params, 100, 500)
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

async fn create_token(State(shared): State<Emulator>, params: Params) -> Answer {
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
    let mut account = shared.lock();
    let token_id = account.add_token(&token_type, &serial, &secret, counter, totp_step)?;
    let token = account
        .token(&token_id)
        .ok_or_else(|| ApiError::internal("token vanished"))?;
    ok(account.token_json(token))
}

async fn get_token(State(shared): State<Emulator>, Ids(token_id): Ids<String>) -> Answer {
    let account = shared.lock();
    let token = account
        .token(&token_id)
        .ok_or_else(|| ApiError::not_found("token_id"))?;
    ok(account.token_json(token))
}

async fn delete_token(State(shared): State<Emulator>, Ids(token_id): Ids<String>) -> Answer {
    shared.lock().delete_token(&token_id)?;
    ok(json!(""))
}

async fn resync_token(
    State(shared): State<Emulator>,
    Ids(token_id): Ids<String>,
    params: Params,
) -> Answer {
    let code1 = params.required("code1")?;
    let code2 = params.required("code2")?;
    let code3 = params.required("code3")?;
    shared
        .lock()
        .resync_token(&token_id, [code1, code2, code3])?;
    ok(json!(""))
}

async fn user_tokens(
    State(shared): State<Emulator>,
    Ids(user_id): Ids<String>,
    params: Params,
) -> Answer {
    let account = shared.lock();
    let user = account.existing_user(&user_id)?;
    let items = account
        .user_tokens(user)
        .iter()
        .map(|t| account.token_json(t))
        .collect();
    page(items, &params, 100, 500)
}

async fn associate_token(
    State(shared): State<Emulator>,
    Ids(user_id): Ids<String>,
    params: Params,
) -> Answer {
    let token_id = params.required("token_id")?;
    shared.lock().associate_token(&user_id, token_id)?;
    ok(json!(""))
}

async fn disassociate_token(
    State(shared): State<Emulator>,
    Ids((user_id, token_id)): Ids<(String, String)>,
) -> Answer {
    let mut account = shared.lock();
    let user = account
        .user_mut(&user_id)
        .ok_or_else(|| ApiError::not_found("user_id"))?;
    user.token_ids.retain(|t| *t != token_id);
    ok(json!(""))
}
