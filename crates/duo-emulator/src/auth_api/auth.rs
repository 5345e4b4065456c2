//! `POST /auth/v2/auth`: a passcode (bypass code or hardware token) checked at once, or a
//! phone call, push or SMS sent to one of the user's phones. Without `async=1` a call or
//! push answers only once the test settles it ([`DuoEmulator::answer_call`]) or it times
//! out.
//!
//! [`DuoEmulator::answer_call`]: crate::DuoEmulator::answer_call

use std::time::Duration;

use axum::extract::State;
use serde_json::json;

use super::transactions::transaction_json;
use super::{find_user, status_answer, user_param};
use crate::envelope::{ok, Answer, ApiError};
use crate::http::params::Params;
use crate::http::{Emulator, Shared};
use crate::model::TransactionState;

/// How long a synchronous (`async` absent) phone call or push waits for the test to answer.
const SYNC_AUTH_TIMEOUT: Duration = Duration::from_secs(60);
const SYNC_POLL: Duration = Duration::from_millis(20);

/// What the request asked for, once checked under the lock.
enum Started {
    Done(Answer),
    /// A synchronous call or push: answer when the transaction settles.
    WaitFor(String),
}

pub(super) async fn auth(State(shared): State<Emulator>, params: Params) -> Answer {
    match start(&shared, &params)? {
        Started::Done(answer) => answer,
        Started::WaitFor(txid) => wait_for(&shared, &txid).await,
    }
}

fn start(shared: &Shared, params: &Params) -> Result<Started, ApiError> {
    let mut account = shared.lock();
    let (key, value) = user_param(params)?;
    let user = find_user(&account, key, value).ok_or_else(|| ApiError::invalid(key))?;
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
        return Ok(Started::Done(ok(answer)));
    }

    if let Some(passcode) = passcode {
        let allowed = account.check_passcode(&user_id, &passcode);
        if is_async {
            let txid = account.record_passcode_transaction(&user_id, allowed);
            return Ok(Started::Done(ok(json!({ "txid": txid }))));
        }
        return Ok(Started::Done(ok(if allowed {
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
        })));
    }

    // A device-based factor: pick the phone.
    let device = params.get("device").unwrap_or("auto");
    let wanted: &[&str] = match factor.as_str() {
        "phone" => &["phone"],
        "push" => &["push"],
        "sms" => &["sms"],
        _ => &["push", "phone"],
    };
    let user = account.existing_user(&user_id)?;
    let phones: Vec<_> = account
        .user_phones(user)
        .iter()
        .map(|p| account.phone_info(p))
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
        return Ok(Started::Done(ok(json!({
            "result": "deny",
            "status": "sent",
            "status_msg": "New SMS passcodes sent.",
        }))));
    }
    let txid = account.start_transaction(&used, &user_id, Some((&phone.phone_id, &phone.number)));
    Ok(if is_async {
        Started::Done(ok(json!({ "txid": txid })))
    } else {
        Started::WaitFor(txid)
    })
}

async fn wait_for(shared: &Shared, txid: &str) -> Answer {
    let deadline = tokio::time::Instant::now() + SYNC_AUTH_TIMEOUT;
    loop {
        {
            let mut account = shared.lock();
            let timed_out = tokio::time::Instant::now() >= deadline;
            let Some(tx) = account.transaction_mut(txid) else {
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
