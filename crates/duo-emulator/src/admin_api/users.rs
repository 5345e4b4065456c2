//! Users: `GET /admin/v1/users`, `GET`/`POST /admin/v1/users/{user_id}`; the user records
//! every device hangs off; the handle's user seeding and inspection.

use axum::extract::State;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use super::tokens::token_brief_json;
use super::webauthn_credentials::webauthn_brief_json;
use crate::account::Account;
use crate::envelope::{ok, Answer, ApiError};
use crate::http::params::{page, Ids, Params};
use crate::http::Emulator;
use crate::model::UserInfo;
use crate::DuoEmulator;

pub(crate) struct User {
    pub user_id: String,
    pub username: String,
    pub realname: String,
    pub email: String,
    pub status: String,
    pub notes: String,
    pub created: i64,
    pub phone_ids: Vec<String>,
    pub token_ids: Vec<String>,
}

impl Account {
    pub(crate) fn user(&self, user_id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.user_id == user_id)
    }

    pub(crate) fn user_mut(&mut self, user_id: &str) -> Option<&mut User> {
        self.users.iter_mut().find(|u| u.user_id == user_id)
    }

    pub(crate) fn user_by_name(&self, username: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| u.username.eq_ignore_ascii_case(username))
    }

    /// The user, or Duo's 404 for `user_id`.
    pub(crate) fn existing_user(&self, user_id: &str) -> Result<&User, ApiError> {
        self.user(user_id)
            .ok_or_else(|| ApiError::not_found("user_id"))
    }

    pub(crate) fn add_user(&mut self, username: &str) -> String {
        if let Some(existing) = self.user_by_name(username) {
            return existing.user_id.clone();
        }
        let user_id = self.new_id("DU");
        let created = self.state_now();
        self.users.push(User {
            user_id: user_id.clone(),
            username: username.to_owned(),
            realname: String::new(),
            email: String::new(),
            status: "active".to_owned(),
            notes: String::new(),
            created,
            phone_ids: Vec::new(),
            token_ids: Vec::new(),
        });
        user_id
    }

    pub(crate) fn user_info(&self, user: &User) -> UserInfo {
        UserInfo {
            user_id: user.user_id.clone(),
            username: user.username.clone(),
            realname: user.realname.clone(),
            email: user.email.clone(),
            status: user.status.clone(),
            created: user.created,
            phone_ids: user.phone_ids.clone(),
            token_ids: user.token_ids.clone(),
            webauthn_keys: self
                .user_webauthn(&user.user_id)
                .iter()
                .map(|w| w.webauthnkey.clone())
                .collect(),
        }
    }

    fn is_enrolled(&self, user: &User) -> bool {
        !user.phone_ids.is_empty()
            || !user.token_ids.is_empty()
            || !self.user_webauthn(&user.user_id).is_empty()
    }

    /// A user without nested device lists (as nested inside phones, tokens, codes).
    pub(crate) fn user_brief_json(&self, user: &User) -> Value {
        json!({
            "user_id": user.user_id,
            "username": user.username,
            "realname": user.realname,
            "email": user.email,
            "status": user.status,
            "is_enrolled": self.is_enrolled(user),
            "created": user.created,
            "last_login": Value::Null,
            "notes": user.notes,
        })
    }

    /// The full user object: `phones[]`, `tokens[]`, `u2ftokens[]`,
    /// `webauthncredentials[]` nested (reference section 2).
    pub(crate) fn user_json(&self, user: &User) -> Value {
        json!({
            "user_id": user.user_id,
            "username": user.username,
            "realname": user.realname,
            "firstname": "",
            "lastname": "",
            "email": user.email,
            "status": user.status,
            "is_enrolled": self.is_enrolled(user),
            "created": user.created,
            "last_login": Value::Null,
            "last_directory_sync": Value::Null,
            "lockout_reason": Value::Null,
            "notes": user.notes,
            "alias1": Value::Null,
            "alias2": Value::Null,
            "alias3": Value::Null,
            "alias4": Value::Null,
            "aliases": {},
            "groups": [],
            "phones": self.user_phones(user).iter().map(|p| self.phone_fields_json(p)).collect::<Vec<_>>(),
            "tokens": self.user_tokens(user).iter().map(|t| token_brief_json(t)).collect::<Vec<_>>(),
            "u2ftokens": [],
            "webauthncredentials": self.user_webauthn(&user.user_id).iter().map(|w| webauthn_brief_json(w)).collect::<Vec<_>>(),
        })
    }
}

pub(super) fn routes() -> Router<Emulator> {
    Router::new()
        .route("/admin/v1/users", get(list_users))
        .route("/admin/v1/users/{user_id}", get(get_user).post(modify_user))
}

async fn list_users(State(shared): State<Emulator>, params: Params) -> Answer {
    let account = shared.lock();
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
    let items = account
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
        .map(|u| account.user_json(u))
        .collect();
    page(items, &params, 100, 300)
}

async fn get_user(State(shared): State<Emulator>, Ids(user_id): Ids<String>) -> Answer {
    let account = shared.lock();
    let user = account.existing_user(&user_id)?;
    ok(account.user_json(user))
}

async fn modify_user(
    State(shared): State<Emulator>,
    Ids(user_id): Ids<String>,
    params: Params,
) -> Answer {
    let mut account = shared.lock();
    account.existing_user(&user_id)?;
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
        if account
            .users
            .iter()
            .any(|u| u.user_id != user_id && u.username.eq_ignore_ascii_case(username))
        {
            return Err(ApiError::duplicate("username"));
        }
    }
    if let Some(user) = account.user_mut(&user_id) {
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
    let user = account.existing_user(&user_id)?;
    ok(account.user_json(user))
}

impl DuoEmulator {
    /// Adds an active user (or returns the id of the user who already has this name).
    pub fn add_user(&self, username: &str) -> String {
        self.account().add_user(username)
    }

    /// Sets a user's status (`active`, `bypass`, `disabled`, `locked out`). `false` for an
    /// unknown user.
    pub fn set_user_status(&self, user_id: &str, status: &str) -> bool {
        match self.account().user_mut(user_id) {
            Some(user) => {
                user.status = status.to_owned();
                true
            }
            None => false,
        }
    }

    /// A user by id.
    pub fn user(&self, user_id: &str) -> Option<UserInfo> {
        let account = self.account();
        account.user(user_id).map(|u| account.user_info(u))
    }

    /// The id of the user with this username.
    pub fn user_id_of(&self, username: &str) -> Option<String> {
        self.account()
            .user_by_name(username)
            .map(|u| u.user_id.clone())
    }

    /// All users, in creation order.
    pub fn users(&self) -> Vec<UserInfo> {
        let account = self.account();
        account.users.iter().map(|u| account.user_info(u)).collect()
    }
}
