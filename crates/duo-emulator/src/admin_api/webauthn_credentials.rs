//! WebAuthn credentials (security keys, platform authenticators):
//! `/admin/v1/webauthncredentials[/{webauthnkey}]` and a user's,
//! `/admin/v1/users/{user_id}/webauthncredentials`; the handle's seeding and inspection.

use axum::extract::State;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use crate::account::Account;
use crate::envelope::{ok, Answer, ApiError};
use crate::http::params::{page, Ids, Params};
use crate::http::Emulator;
use crate::model::WebAuthnInfo;
use crate::DuoEmulator;

/// Reference section 1.5.
const MAX_WEBAUTHN_PER_USER: usize = 100;

/// A credential as nested in a user (no `user`).
pub(crate) fn webauthn_brief_json(credential: &WebAuthnInfo) -> Value {
    json!({
        "webauthnkey": credential.webauthnkey,
        "credential_name": credential.credential_name,
        "label": credential.label,
        "date_added": credential.date_added,
    })
}

impl Account {
    pub(crate) fn user_webauthn(&self, user_id: &str) -> Vec<&WebAuthnInfo> {
        self.webauthn
            .iter()
            .filter(|w| w.user_id.as_deref() == Some(user_id))
            .collect()
    }

    /// A credential with its `user` (as the account-wide list answers it).
    fn webauthn_json(&self, credential: &WebAuthnInfo) -> Value {
        let mut value = webauthn_brief_json(credential);
        let user = credential
            .user_id
            .as_deref()
            .and_then(|id| self.user(id))
            .map(|u| self.user_brief_json(u))
            .unwrap_or(Value::Null);
        if let Some(object) = value.as_object_mut() {
            object.insert("user".to_owned(), user);
        }
        value
    }

    /// Adds a credential (unattached when the user is unknown); 50001 past 100 per user.
    fn add_webauthn(&mut self, user_id: &str, name: &str) -> Result<String, ApiError> {
        let owner = self.user(user_id).map(|u| u.user_id.clone());
        if let Some(owner) = &owner {
            if self.user_webauthn(owner).len() >= MAX_WEBAUTHN_PER_USER {
                return Err(ApiError::internal(
                    "WebAuthn credentials per user limit reached",
                ));
            }
        }
        let key = self.new_id("WA");
        let date_added = self.state_now();
        self.webauthn.push(WebAuthnInfo {
            webauthnkey: key.clone(),
            credential_name: name.to_owned(),
            label: "Security Key".to_owned(),
            date_added,
            user_id: owner,
        });
        Ok(key)
    }

    fn delete_webauthn(&mut self, key: &str) -> Result<(), ApiError> {
        if !self.webauthn.iter().any(|w| w.webauthnkey == key) {
            return if self.deleted.contains(key) {
                Ok(())
            } else {
                Err(ApiError::not_found("webauthnkey"))
            };
        }
        self.webauthn.retain(|w| w.webauthnkey != key);
        self.deleted.insert(key.to_owned());
        Ok(())
    }
}

pub(super) fn routes() -> Router<Emulator> {
    Router::new()
        .route("/admin/v1/webauthncredentials", get(list_webauthn))
        .route(
            "/admin/v1/webauthncredentials/{webauthnkey}",
            get(get_webauthn).delete(delete_webauthn),
        )
        .route(
            "/admin/v1/users/{user_id}/webauthncredentials",
            get(user_webauthn),
        )
}

async fn list_webauthn(State(shared): State<Emulator>, params: Params) -> Answer {
    let account = shared.lock();
    let items = account
        .webauthn
        .iter()
        .map(|w| account.webauthn_json(w))
        .collect();
    page(items, &params, 100, 500)
}

async fn get_webauthn(State(shared): State<Emulator>, Ids(key): Ids<String>) -> Answer {
    let account = shared.lock();
    let credential = account
        .webauthn
        .iter()
        .find(|w| w.webauthnkey == key)
        .ok_or_else(|| ApiError::not_found("webauthnkey"))?;
    ok(account.webauthn_json(credential))
}

async fn delete_webauthn(State(shared): State<Emulator>, Ids(key): Ids<String>) -> Answer {
    shared.lock().delete_webauthn(&key)?;
    ok(json!(""))
}

async fn user_webauthn(
    State(shared): State<Emulator>,
    Ids(user_id): Ids<String>,
    params: Params,
) -> Answer {
    let account = shared.lock();
    account.existing_user(&user_id)?;
    let items = account
        .user_webauthn(&user_id)
        .iter()
        .map(|w| account.webauthn_json(w))
        .collect();
    page(items, &params, 100, 500)
}

impl DuoEmulator {
    /// Adds a WebAuthn credential named `name` (label "Security Key") for `user_id` and
    /// returns its `webauthnkey`.
    pub fn add_webauthn(&self, user_id: &str, name: &str) -> String {
        let mut account = self.account();
        match account.add_webauthn(user_id, name) {
            Ok(key) => key,
            Err(_) => {
                // Past the per-user limit: keep the credential unattached rather than fail.
                let key = account.new_id("WA");
                let date_added = account.state_now();
                account.webauthn.push(WebAuthnInfo {
                    webauthnkey: key.clone(),
                    credential_name: name.to_owned(),
                    label: "Security Key".to_owned(),
                    date_added,
                    user_id: None,
                });
                key
            }
        }
    }

    /// The WebAuthn credentials of a user.
    pub fn webauthn_of(&self, user_id: &str) -> Vec<WebAuthnInfo> {
        self.account()
            .user_webauthn(user_id)
            .into_iter()
            .cloned()
            .collect()
    }

    /// All WebAuthn credentials.
    pub fn webauthn_credentials(&self) -> Vec<WebAuthnInfo> {
        self.account().webauthn.clone()
    }
}
