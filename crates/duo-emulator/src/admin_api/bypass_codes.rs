//! Bypass codes: `/admin/v1/users/{user_id}/bypass_codes` (issue, list) and
//! `/admin/v1/bypass_codes[/{bypass_code_id}]`; the codes themselves (kept so tests can read
//! them, answered only once), their expiry and remaining uses; the handle's seeding and
//! inspection. The Auth API consumes them through [`Account::accept_bypass_code`].

use axum::extract::State;
use axum::routing::get;
use axum::Router;
use rand::Rng;
use serde_json::{json, Value};

use crate::account::Account;
use crate::envelope::{ok, Answer, ApiError};
use crate::http::params::{page, Ids, Params};
use crate::http::Emulator;
use crate::model::BypassCodeInfo;
use crate::DuoEmulator;

/// Reference section 1.5.
const MAX_BYPASS_CODES_PER_USER: usize = 100;

impl Account {
    /// Drops bypass codes whose expiration has passed.
    pub(crate) fn purge_expired_codes(&mut self) {
        let now = self.state_now();
        self.bypass
            .retain(|b| b.expiration.is_none_or(|expires| expires > now));
    }

    /// Stores bypass codes for a user. With `preserve_existing == false` the user's
    /// existing codes go first (Duo's default). Fails with 50001 past 100 codes.
    pub(crate) fn store_bypass_codes(
        &mut self,
        user_id: &str,
        codes: &[String],
        reuse_count: u32,
        valid_secs: u64,
        preserve_existing: bool,
    ) -> Result<(), ApiError> {
        if self.user(user_id).is_none() {
            return Err(ApiError::not_found("user_id"));
        }
        self.purge_expired_codes();
        let kept = if preserve_existing {
            self.bypass.iter().filter(|b| b.user_id == user_id).count()
        } else {
            0
        };
        if kept + codes.len() > MAX_BYPASS_CODES_PER_USER {
            return Err(ApiError::internal("bypass codes per user limit reached"));
        }
        if !preserve_existing {
            for code in self.bypass.iter().filter(|b| b.user_id == user_id) {
                self.deleted.insert(code.bypass_code_id.clone());
            }
            self.bypass.retain(|b| b.user_id != user_id);
        }
        let created = self.state_now();
        let expiration = (valid_secs > 0)
            .then(|| created.saturating_add(i64::try_from(valid_secs).unwrap_or(i64::MAX)));
        for code in codes {
            let id = self.new_id("DB");
            self.bypass.push(BypassCodeInfo {
                bypass_code_id: id,
                user_id: user_id.to_owned(),
                code: code.clone(),
                created,
                expiration,
                reuse_count,
                remaining_uses: (reuse_count > 0).then_some(reuse_count),
            });
        }
        Ok(())
    }

    fn delete_bypass_code(&mut self, id: &str) -> Result<(), ApiError> {
        if !self.bypass.iter().any(|b| b.bypass_code_id == id) {
            return if self.deleted.contains(id) {
                Ok(())
            } else {
                Err(ApiError::not_found("bypass_code_id"))
            };
        }
        self.bypass.retain(|b| b.bypass_code_id != id);
        self.deleted.insert(id.to_owned());
        Ok(())
    }

    /// Whether `passcode` is one of the user's live bypass codes; a hit uses it up once
    /// (and removes it when no use is left).
    pub(crate) fn accept_bypass_code(&mut self, user_id: &str, passcode: &str) -> bool {
        self.purge_expired_codes();
        let Some(index) = self
            .bypass
            .iter()
            .position(|b| b.user_id == user_id && b.code == passcode)
        else {
            return false;
        };
        let exhausted = match self.bypass.get_mut(index) {
            Some(code) => match code.remaining_uses {
                Some(left) if left <= 1 => true,
                Some(left) => {
                    code.remaining_uses = Some(left - 1);
                    false
                }
                None => false,
            },
            None => false,
        };
        if exhausted {
            let removed = self.bypass.remove(index);
            self.deleted.insert(removed.bypass_code_id);
        }
        true
    }

    /// Bypass-code metadata; never the code itself.
    fn bypass_meta_json(&self, code: &BypassCodeInfo) -> Value {
        let user = self
            .user(&code.user_id)
            .map(|u| self.user_brief_json(u))
            .unwrap_or(Value::Null);
        json!({
            "bypass_code_id": code.bypass_code_id,
            "admin_email": "",
            "created": code.created,
            "expiration": code.expiration,
            "reuse_count": code.remaining_uses.unwrap_or(0),
            "user": user,
        })
    }
}

fn random_bypass_code() -> String {
    let mut rng = rand::thread_rng();
    format!("{:09}", rng.gen_range(0..1_000_000_000_u32))
}

pub(super) fn routes() -> Router<Emulator> {
    Router::new()
        .route(
            "/admin/v1/users/{user_id}/bypass_codes",
            get(user_bypass_codes).post(create_bypass_codes),
        )
        .route("/admin/v1/bypass_codes", get(list_bypass_codes))
        .route(
            "/admin/v1/bypass_codes/{bypass_code_id}",
            get(get_bypass_code).delete(delete_bypass_code),
        )
}

async fn user_bypass_codes(
    State(shared): State<Emulator>,
    Ids(user_id): Ids<String>,
    params: Params,
) -> Answer {
    let mut account = shared.lock();
    account.existing_user(&user_id)?;
    account.purge_expired_codes();
    let items = account
        .bypass
        .iter()
        .filter(|b| b.user_id == user_id)
        .map(|b| account.bypass_meta_json(b))
        .collect();
    page(items, &params, 100, 500)
}

async fn create_bypass_codes(
    State(shared): State<Emulator>,
    Ids(user_id): Ids<String>,
    params: Params,
) -> Answer {
    let mut account = shared.lock();
    account.existing_user(&user_id)?;
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
                let code = random_bypass_code();
                let clash = codes.contains(&code)
                    || (preserve_existing
                        && account
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
    account.store_bypass_codes(&user_id, &codes, reuse_count, valid_secs, preserve_existing)?;
    ok(json!(codes))
}

async fn list_bypass_codes(State(shared): State<Emulator>, params: Params) -> Answer {
    let mut account = shared.lock();
    account.purge_expired_codes();
    let items = account
        .bypass
        .iter()
        .map(|b| account.bypass_meta_json(b))
        .collect();
    page(items, &params, 100, 500)
}

async fn get_bypass_code(State(shared): State<Emulator>, Ids(id): Ids<String>) -> Answer {
    let mut account = shared.lock();
    account.purge_expired_codes();
    let code = account
        .bypass
        .iter()
        .find(|b| b.bypass_code_id == id)
        .ok_or_else(|| ApiError::not_found("bypass_code_id"))?;
    ok(account.bypass_meta_json(code))
}

async fn delete_bypass_code(State(shared): State<Emulator>, Ids(id): Ids<String>) -> Answer {
    shared.lock().delete_bypass_code(&id)?;
    ok(json!(""))
}

impl DuoEmulator {
    /// Stores a bypass code for a user as if an admin had issued it (existing codes are
    /// kept). `reuse_count` 0 = unlimited, `valid_secs` 0 = never expires. `false` for an
    /// unknown user or past the 100-code limit.
    pub fn add_bypass_code(
        &self,
        user_id: &str,
        code: &str,
        reuse_count: u32,
        valid_secs: u64,
    ) -> bool {
        self.account()
            .store_bypass_codes(user_id, &[code.to_owned()], reuse_count, valid_secs, true)
            .is_ok()
    }

    /// The user's live (unexpired, not used up) bypass codes, codes included.
    pub fn bypass_codes(&self, user_id: &str) -> Vec<BypassCodeInfo> {
        let mut account = self.account();
        account.purge_expired_codes();
        account
            .bypass
            .iter()
            .filter(|b| b.user_id == user_id)
            .cloned()
            .collect()
    }
}
