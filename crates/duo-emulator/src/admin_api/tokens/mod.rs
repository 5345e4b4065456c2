//! Hardware tokens: real HOTP (`h6`, `h8`, `d1`) and TOTP (`t6`, `t8`) tokens whose codes
//! the Auth API accepts and `resync` realigns, YubiKeys (`yk`) kept for listing; their JSON;
//! the handle's token seeding and inspection. The HTTP side is in [`routes`].

mod routes;

use serde_json::{json, Value};

pub(super) use routes::routes;

use super::users::User;
use crate::account::{Account, MAX_USERS_PER_DEVICE};
use crate::envelope::ApiError;
use crate::hotp::hotp;
use crate::model::TokenInfo;
use crate::DuoEmulator;

/// Reference section 1.5.
const MAX_TOKENS_PER_USER: usize = 100;
/// How far `POST /admin/v1/tokens/{id}/resync` scans ahead of the stored counter.
const RESYNC_LOOKAHEAD: u64 = 10_000;
/// How many HOTP values ahead of the stored counter a passcode may be.
const HOTP_AUTH_WINDOW: u64 = 10;

pub(crate) struct Token {
    pub token_id: String,
    pub token_type: String,
    pub serial: String,
    pub secret: Vec<u8>,
    pub counter: u64,
    pub totp_step: Option<u64>,
}

/// A token as nested in a user (no `users[]`).
pub(crate) fn token_brief_json(token: &Token) -> Value {
    json!({
        "token_id": token.token_id,
        "type": token.token_type,
        "serial": token.serial,
        "totp_step": token.totp_step,
    })
}

impl Account {
    pub(crate) fn token(&self, token_id: &str) -> Option<&Token> {
        self.tokens.iter().find(|t| t.token_id == token_id)
    }

    fn token_mut(&mut self, token_id: &str) -> Option<&mut Token> {
        self.tokens.iter_mut().find(|t| t.token_id == token_id)
    }

    fn token_users(&self, token_id: &str) -> Vec<&User> {
        self.users
            .iter()
            .filter(|u| u.token_ids.iter().any(|t| t == token_id))
            .collect()
    }

    pub(crate) fn user_tokens(&self, user: &User) -> Vec<&Token> {
        user.token_ids
            .iter()
            .filter_map(|id| self.token(id))
            .collect()
    }

    fn token_info(&self, token: &Token) -> TokenInfo {
        TokenInfo {
            token_id: token.token_id.clone(),
            token_type: token.token_type.clone(),
            serial: token.serial.clone(),
            secret: token.secret.clone(),
            counter: token.counter,
            totp_step: token.totp_step,
            user_ids: self
                .token_users(&token.token_id)
                .iter()
                .map(|u| u.user_id.clone())
                .collect(),
        }
    }

    /// The token object with its `users[]`.
    pub(crate) fn token_json(&self, token: &Token) -> Value {
        let mut value = token_brief_json(token);
        let users: Vec<Value> = self
            .token_users(&token.token_id)
            .iter()
            .map(|u| self.user_brief_json(u))
            .collect();
        if let Some(object) = value.as_object_mut() {
            object.insert("users".to_owned(), Value::Array(users));
        }
        value
    }

    /// 40003 when a token of this type already has the serial.
    pub(crate) fn add_token(
        &mut self,
        token_type: &str,
        serial: &str,
        secret: &[u8],
        counter: u64,
        totp_step: Option<u64>,
    ) -> Result<String, ApiError> {
        if self
            .tokens
            .iter()
            .any(|t| t.token_type == token_type && t.serial == serial)
        {
            return Err(ApiError::duplicate("serial"));
        }
        let token_id = self.new_id("DH");
        self.tokens.push(Token {
            token_id: token_id.clone(),
            token_type: token_type.to_owned(),
            serial: serial.to_owned(),
            secret: secret.to_vec(),
            counter,
            totp_step,
        });
        Ok(token_id)
    }

    pub(crate) fn associate_token(
        &mut self,
        user_id: &str,
        token_id: &str,
    ) -> Result<(), ApiError> {
        let Some(user) = self.user(user_id) else {
            return Err(ApiError::not_found("user_id"));
        };
        if self.token(token_id).is_none() {
            return Err(ApiError::invalid("token_id"));
        }
        if user.token_ids.iter().any(|t| t == token_id) {
            return Ok(());
        }
        if user.token_ids.len() >= MAX_TOKENS_PER_USER {
            return Err(ApiError::internal("tokens per user limit reached"));
        }
        if self.token_users(token_id).len() >= MAX_USERS_PER_DEVICE {
            return Err(ApiError::internal("users per token limit reached"));
        }
        if let Some(user) = self.user_mut(user_id) {
            user.token_ids.push(token_id.to_owned());
        }
        Ok(())
    }

    pub(crate) fn delete_token(&mut self, token_id: &str) -> Result<(), ApiError> {
        if self.token(token_id).is_none() {
            return if self.deleted.contains(token_id) {
                Ok(())
            } else {
                Err(ApiError::not_found("token_id"))
            };
        }
        self.tokens.retain(|t| t.token_id != token_id);
        for user in &mut self.users {
            user.token_ids.retain(|t| t != token_id);
        }
        self.deleted.insert(token_id.to_owned());
        Ok(())
    }

    /// Scans ahead for three consecutive codes; on a hit the counter moves past the third.
    pub(crate) fn resync_token(
        &mut self,
        token_id: &str,
        codes: [&str; 3],
    ) -> Result<(), ApiError> {
        let Some(token) = self.token_mut(token_id) else {
            return Err(ApiError::not_found("token_id"));
        };
        let digits = match token.token_type.as_str() {
            "h6" | "d1" => 6,
            "h8" => 8,
            _ => return Err(ApiError::invalid("token_id")),
        };
        let [code1, code2, code3] = codes;
        let start = token.counter;
        let found = (start..=start + RESYNC_LOOKAHEAD).find(|c| {
            hotp(&token.secret, *c, digits) == code1
                && hotp(&token.secret, c + 1, digits) == code2
                && hotp(&token.secret, c + 2, digits) == code3
        });
        match found {
            Some(c) => {
                token.counter = c + 3;
                Ok(())
            }
            None => Err(ApiError::invalid("code1, code2, code3")),
        }
    }

    /// Whether one of the user's tokens shows `passcode` now: TOTP within one step either
    /// way, HOTP within [`HOTP_AUTH_WINDOW`] of its counter (which then moves past the code).
    pub(crate) fn accept_token_code(&mut self, user_id: &str, passcode: &str) -> bool {
        let token_ids: Vec<String> = self
            .user(user_id)
            .map(|u| u.token_ids.clone())
            .unwrap_or_default();
        let now = self.now();
        for token_id in token_ids {
            let Some(token) = self.token_mut(&token_id) else {
                continue;
            };
            let digits = if token.token_type.ends_with('8') {
                8
            } else {
                6
            };
            match token.token_type.as_str() {
                "t6" | "t8" => {
                    let step = token.totp_step.unwrap_or(30).max(1);
                    let current = u64::try_from(now).unwrap_or(0) / step;
                    let window = [current.saturating_sub(1), current, current + 1];
                    if window
                        .iter()
                        .any(|c| hotp(&token.secret, *c, digits) == passcode)
                    {
                        return true;
                    }
                }
                "yk" => {}
                _ => {
                    let start = token.counter;
                    if let Some(hit) = (start..start + HOTP_AUTH_WINDOW)
                        .find(|c| hotp(&token.secret, *c, digits) == passcode)
                    {
                        token.counter = hit + 1;
                        return true;
                    }
                }
            }
        }
        false
    }
}

impl DuoEmulator {
    /// Adds an HOTP-6 (`h6`) hardware token with this secret and next counter, associated
    /// with `user_id` (unattached when the user is unknown).
    pub fn add_token(&self, user_id: &str, serial: &str, secret: &[u8], counter: u64) -> String {
        let mut account = self.account();
        let token_id = account.new_id("DH");
        account.tokens.push(Token {
            token_id: token_id.clone(),
            token_type: "h6".to_owned(),
            serial: serial.to_owned(),
            secret: secret.to_vec(),
            counter,
            totp_step: None,
        });
        if let Some(user) = account.user_mut(user_id) {
            user.token_ids.push(token_id.clone());
        }
        token_id
    }

    /// A token by id.
    pub fn token(&self, token_id: &str) -> Option<TokenInfo> {
        let account = self.account();
        account.token(token_id).map(|t| account.token_info(t))
    }

    /// The tokens associated with a user.
    pub fn tokens_of(&self, user_id: &str) -> Vec<TokenInfo> {
        let account = self.account();
        match account.user(user_id) {
            Some(user) => account
                .user_tokens(user)
                .iter()
                .map(|t| account.token_info(t))
                .collect(),
            None => Vec::new(),
        }
    }

    /// The next HOTP counter value the emulator expects from a token.
    pub fn token_counter(&self, token_id: &str) -> Option<u64> {
        self.account().token(token_id).map(|t| t.counter)
    }
}
