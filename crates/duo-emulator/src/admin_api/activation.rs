//! Duo Mobile activation: `POST /admin/v1/phones/{phone_id}/activation_url` and
//! `…/send_sms_activation`, the links and texts they issue, and the handle's
//! [`DuoEmulator::complete_activation`] that plays the person opening the link.

use axum::extract::State;
use axum::routing::post;
use axum::Router;
use serde_json::json;

use crate::account::{random_string, Account};
use crate::envelope::{ok, Answer, ApiError};
use crate::http::params::{Ids, Params};
use crate::http::Emulator;
use crate::model::{ActivationInfo, SmsActivation};
use crate::DuoEmulator;

const CODE_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const DEFAULT_ACTIVATION_MSG: &str = "To activate the Duo Mobile app, tap this link: <acturl>";
const DEFAULT_INSTALLATION_MSG: &str = "Welcome to Duo! Install Duo Mobile from: <insturl>";
const SMS_MAX_CHARS: usize = 160;

impl Account {
    fn mobile_host(&self) -> String {
        match self.api_host.strip_prefix("api-") {
            Some(rest) => format!("m-{rest}"),
            None => "m-emulator.duosecurity.com".to_owned(),
        }
    }

    /// Issues an activation link for a phone. Reactivation invalidates the phone's current
    /// Duo Mobile credentials, so the phone reads `activated: false` until the test calls
    /// [`DuoEmulator::complete_activation`].
    fn issue_activation(
        &mut self,
        phone_id: &str,
        valid_secs: u64,
        install: bool,
        via_sms: bool,
    ) -> Result<ActivationInfo, ApiError> {
        let Some(phone) = self.phone(phone_id) else {
            return Err(ApiError::not_found("phone_id"));
        };
        if phone.phone_type == "unknown" {
            return Err(ApiError::invalid("type"));
        }
        if phone.platform == "unknown" {
            return Err(ApiError::invalid("platform"));
        }
        let code = random_string(20, CODE_ALPHABET);
        let mobile = self.mobile_host();
        let created = self.state_now();
        let info = ActivationInfo {
            phone_id: phone_id.to_owned(),
            activation_url: format!("https://{mobile}/activate/{code}"),
            activation_barcode: format!(
                "https://{}/frame/qr?value=duo%3A%2F%2F{code}",
                self.api_host
            ),
            activation_code: code,
            installation_url: install.then(|| {
                format!(
                    "https://{mobile}/install/{}",
                    random_string(12, CODE_ALPHABET)
                )
            }),
            valid_secs,
            created,
            expires: (valid_secs > 0)
                .then(|| created.saturating_add(i64::try_from(valid_secs).unwrap_or(i64::MAX))),
            via_sms,
        };
        if let Some(phone) = self.phone_mut(phone_id) {
            phone.activated = false;
        }
        self.activations.push(info.clone());
        Ok(info)
    }
}

pub(super) fn routes() -> Router<Emulator> {
    Router::new()
        .route(
            "/admin/v1/phones/{phone_id}/activation_url",
            post(activation_url),
        )
        .route(
            "/admin/v1/phones/{phone_id}/send_sms_activation",
            post(send_sms_activation),
        )
}

async fn activation_url(
    State(shared): State<Emulator>,
    Ids(phone_id): Ids<String>,
    params: Params,
) -> Answer {
    let valid_secs = params.u64_or("valid_secs", 86_400)?;
    let install = params.bool_or("install", false)?;
    let info = shared
        .lock()
        .issue_activation(&phone_id, valid_secs, install, false)?;
    let mut response = json!({
        "activation_barcode": info.activation_barcode,
        "activation_url": info.activation_url,
        "valid_secs": info.valid_secs,
    });
    if let (Some(url), Some(object)) = (&info.installation_url, response.as_object_mut()) {
        object.insert("installation_url".to_owned(), json!(url));
    }
    ok(response)
}

async fn send_sms_activation(
    State(shared): State<Emulator>,
    Ids(phone_id): Ids<String>,
    params: Params,
) -> Answer {
    let mut account = shared.lock();
    let phone = account
        .phone(&phone_id)
        .ok_or_else(|| ApiError::not_found("phone_id"))?;
    if phone.number.is_empty() {
        return Err(ApiError::invalid("number"));
    }
    let was_activated = phone.activated;
    let number = phone.number.clone();
    let valid_secs = params.u64_or("valid_secs", 86_400)?;
    let install = params.bool_or("install", false)?;
    let activation_template = params
        .get("activation_msg")
        .unwrap_or(DEFAULT_ACTIVATION_MSG)
        .to_owned();
    let installation_template = params
        .get("installation_msg")
        .unwrap_or(DEFAULT_INSTALLATION_MSG)
        .to_owned();
    if !activation_template.contains("<acturl>") {
        return Err(ApiError::invalid("activation_msg"));
    }
    if install && !installation_template.contains("<insturl>") {
        return Err(ApiError::invalid("installation_msg"));
    }
    let info = account.issue_activation(&phone_id, valid_secs, install, true)?;
    let activation_msg = activation_template.replace("<acturl>", &info.activation_url);
    let installation_msg = info
        .installation_url
        .as_ref()
        .map(|url| installation_template.replace("<insturl>", url));
    let too_long = if activation_msg.chars().count() > SMS_MAX_CHARS {
        Some("activation_msg")
    } else if installation_msg
        .as_ref()
        .is_some_and(|m| m.chars().count() > SMS_MAX_CHARS)
    {
        Some("installation_msg")
    } else {
        None
    };
    if let Some(field) = too_long {
        // Nothing was sent: undo the activation.
        account.activations.pop();
        if let Some(phone) = account.phone_mut(&phone_id) {
            phone.activated = was_activated;
        }
        return Err(ApiError::invalid(field));
    }
    let sent_at = account.state_now();
    account.sms.push(SmsActivation {
        phone_id: phone_id.clone(),
        number,
        activation_msg: activation_msg.clone(),
        installation_msg: installation_msg.clone(),
        activation_url: info.activation_url.clone(),
        installation_url: info.installation_url.clone(),
        valid_secs,
        sent_at,
    });
    ok(json!({
        "activation_barcode": info.activation_barcode,
        "activation_msg": activation_msg,
        "installation_msg": installation_msg.unwrap_or_default(),
        "valid_secs": valid_secs,
    }))
}

impl DuoEmulator {
    /// Simulates the user opening the newest unexpired activation link for the phone in
    /// Duo Mobile: the phone becomes activated. `false` when there is no such link.
    pub fn complete_activation(&self, phone_id: &str) -> bool {
        let mut account = self.account();
        let now = account.state_now();
        let valid = account
            .activations
            .iter()
            .rev()
            .find(|a| a.phone_id == phone_id)
            .is_some_and(|a| a.expires.is_none_or(|e| e > now));
        if !valid {
            return false;
        }
        match account.phone_mut(phone_id) {
            Some(phone) => {
                phone.activated = true;
                true
            }
            None => false,
        }
    }

    /// Every activation link issued, oldest first.
    pub fn activations(&self) -> Vec<ActivationInfo> {
        self.account().activations.clone()
    }

    /// Every activation SMS sent, oldest first.
    pub fn sms_activations(&self) -> Vec<SmsActivation> {
        self.account().sms.clone()
    }
}
