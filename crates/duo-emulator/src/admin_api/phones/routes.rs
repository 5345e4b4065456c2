//! The phone endpoints: `/admin/v1/phones[/{phone_id}]` and a user's phones,
//! `/admin/v1/users/{user_id}/phones[/{phone_id}]`.

use axum::extract::State;
use axum::routing::{delete, get};
use axum::Router;
use serde_json::json;

use super::fields::{normalize_number, PhoneFields};
use crate::envelope::{ok, Answer, ApiError};
use crate::http::params::{page, Ids, Params};
use crate::http::Emulator;

pub(in crate::admin_api) fn routes() -> Router<Emulator> {
    Router::new()
        .route("/admin/v1/phones", get(list_phones).post(create_phone))
        .route(
            "/admin/v1/phones/{phone_id}",
            get(get_phone).post(modify_phone).delete(delete_phone),
        )
        .route(
            "/admin/v1/users/{user_id}/phones",
            get(user_phones).post(associate_phone),
        )
        .route(
            "/admin/v1/users/{user_id}/phones/{phone_id}",
            delete(disassociate_phone),
        )
}

async fn list_phones(State(shared): State<Emulator>, params: Params) -> Answer {
    let account = shared.lock();
    let number = match params.get("number") {
        Some(n) => Some(normalize_number(n).ok_or_else(|| ApiError::invalid("number"))?),
        None => None,
    };
    let extension = params.get("extension");
    let items = account
        .phones
        .iter()
        .filter(|p| number.as_ref().is_none_or(|n| p.number == *n))
        .filter(|p| extension.is_none_or(|e| p.extension == e))
        .map(|p| account.phone_json(p))
        .collect();
    page(items, &params, 100, 500)
}

async fn create_phone(State(shared): State<Emulator>, params: Params) -> Answer {
    let fields = PhoneFields::from_params(&params)?;
    let mut account = shared.lock();
    let phone_id = account.create_phone(fields)?;
    let phone = account
        .phone(&phone_id)
        .ok_or_else(|| ApiError::internal("phone vanished"))?;
    ok(account.phone_json(phone))
}

async fn get_phone(State(shared): State<Emulator>, Ids(phone_id): Ids<String>) -> Answer {
    let account = shared.lock();
    let phone = account
        .phone(&phone_id)
        .ok_or_else(|| ApiError::not_found("phone_id"))?;
    ok(account.phone_json(phone))
}

async fn modify_phone(
    State(shared): State<Emulator>,
    Ids(phone_id): Ids<String>,
    params: Params,
) -> Answer {
    let fields = PhoneFields::from_params(&params)?;
    let mut account = shared.lock();
    account.update_phone(&phone_id, fields)?;
    let phone = account
        .phone(&phone_id)
        .ok_or_else(|| ApiError::not_found("phone_id"))?;
    ok(account.phone_json(phone))
}

async fn delete_phone(State(shared): State<Emulator>, Ids(phone_id): Ids<String>) -> Answer {
    shared.lock().delete_phone(&phone_id)?;
    ok(json!(""))
}

async fn user_phones(
    State(shared): State<Emulator>,
    Ids(user_id): Ids<String>,
    params: Params,
) -> Answer {
    let account = shared.lock();
    let user = account.existing_user(&user_id)?;
    let items = account
        .user_phones(user)
        .iter()
        .map(|p| account.phone_json(p))
        .collect();
    page(items, &params, 100, 500)
}

async fn associate_phone(
    State(shared): State<Emulator>,
    Ids(user_id): Ids<String>,
    params: Params,
) -> Answer {
    let phone_id = params.required("phone_id")?;
    shared.lock().associate_phone(&user_id, phone_id)?;
    ok(json!(""))
}

async fn disassociate_phone(
    State(shared): State<Emulator>,
    Ids((user_id, phone_id)): Ids<(String, String)>,
) -> Answer {
    shared.lock().disassociate_phone(&user_id, &phone_id)?;
    ok(json!(""))
}
