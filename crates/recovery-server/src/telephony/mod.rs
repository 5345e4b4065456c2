//! Phone calls and texts: the verification call that speaks a landline's code, and the text
//! that carries an activation link. The outbox keeps them in demo mode and tests; a
//! Twilio-compatible voice API places them in production.

mod outbox;
mod voice_api;

use std::sync::Arc;

use async_trait::async_trait;
use recovery_api::Secret;
use serde::{Deserialize, Serialize};

pub use outbox::OutboxTelephony;
pub use voice_api::VoiceApiTelephony;

use crate::notify::OutboxNotifier;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum TelephonyConfig {
    /// Keep calls and texts in the outbox (`GET /v1/demo/outbox` in demo mode).
    #[default]
    Outbox,
    /// A Twilio-compatible REST API.
    VoiceApi {
        /// `https://api.twilio.com` or a compatible provider.
        base_url: String,
        account_sid: String,
        auth_token: Secret,
        /// The caller id, in E.164.
        from: String,
    },
}

/// A call that speaks a verification code.
#[derive(Debug)]
pub struct CodeCall<'a> {
    /// E.164.
    pub to: &'a str,
    /// Digits dialled after the call is answered.
    pub extension: Option<&'a str>,
    /// 6 digits.
    pub code: &'a Secret,
    pub organisation: &'a str,
}

/// None of these carries the code, the API token or a text's body.
#[derive(Debug, thiserror::Error)]
pub enum TelephonyError {
    /// The provider refused the request itself (for example the number).
    #[error("the telephony provider refused the request ({status}, code {code:?})")]
    Rejected {
        status: u16,
        code: Option<i64>,
        message: String,
    },
    #[error("the telephony provider is unavailable: {0}")]
    Unavailable(String),
    #[error("telephony is misconfigured: {0}")]
    Misconfigured(String),
    #[error("the outbox could not be written")]
    Storage(#[from] sqlx::Error),
}

#[async_trait]
pub trait Telephony: Send + Sync {
    async fn place_code_call(&self, call: &CodeCall<'_>) -> Result<(), TelephonyError>;
    async fn send_sms(&self, to: &str, body: &Secret) -> Result<(), TelephonyError>;
}

pub fn from_config(
    config: &TelephonyConfig,
    outbox: OutboxNotifier,
) -> Result<Arc<dyn Telephony>, TelephonyError> {
    Ok(match config {
        TelephonyConfig::Outbox => Arc::new(OutboxTelephony::new(outbox)),
        TelephonyConfig::VoiceApi {
            base_url,
            account_sid,
            auth_token,
            from,
        } => Arc::new(VoiceApiTelephony::new(
            base_url,
            account_sid,
            auth_token,
            from,
        )?),
    })
}

/// What the call says: the digits one by one, twice, so text-to-speech reads them clearly.
pub fn spoken_script(call: &CodeCall<'_>) -> String {
    let digits: Vec<String> = call.code.expose().chars().map(String::from).collect();
    let digits = digits.join(", ");
    format!(
        "This is {}. Your verification code is {digits}. Again: {digits}. Goodbye.",
        call.organisation
    )
}
