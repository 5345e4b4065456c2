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

/// A call that speaks a verification code. `Debug` is safe: the code is a [`Secret`].
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
    /// The provider refused the request itself (for example the number): the person can fix it.
    #[error("the telephony provider refused the request ({status}, code {code:?})")]
    Rejected {
        /// The provider's HTTP status; 0 when refused here, before any request.
        status: u16,
        /// The provider's error code (Twilio: 21211 for an invalid `To` number).
        code: Option<i64>,
        /// The provider's words, for the admin log only.
        message: String,
    },
    /// Network, timeout, 5xx or throttling: trying again later may work.
    #[error("the telephony provider is unavailable: {0}")]
    Unavailable(String),
    /// Our side is wrong (base URL, credentials, account): an operator must fix it.
    #[error("telephony is misconfigured: {0}")]
    Misconfigured(String),
    #[error("the outbox could not be written")]
    Storage(#[from] sqlx::Error),
}

#[async_trait]
pub trait Telephony: Send + Sync {
    /// Calls `call.to`, dials the extension once answered, and speaks [`spoken_script`].
    async fn place_code_call(&self, call: &CodeCall<'_>) -> Result<(), TelephonyError>;
    /// The body is a [`Secret`] because it may carry an activation link.
    async fn send_sms(&self, to: &str, body: &Secret) -> Result<(), TelephonyError>;
}

/// The outbox shares the database with the notifier, so demo users read calls beside e-mail.
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_script_spells_the_code_twice() {
        let code = Secret::new("123456");
        let call = CodeCall {
            to: "+12015550199",
            extension: None,
            code: &code,
            organisation: "Example University",
        };
        assert_eq!(
            spoken_script(&call),
            "This is Example University. Your verification code is 1, 2, 3, 4, 5, 6. \
             Again: 1, 2, 3, 4, 5, 6. Goodbye."
        );
        assert!(!format!("{call:?}").contains("123456"));
    }

    #[test]
    fn config_is_tagged_by_kind_and_hides_the_token() {
        let outbox: TelephonyConfig = serde_json::from_str(r#"{"kind":"outbox"}"#).unwrap();
        assert!(matches!(outbox, TelephonyConfig::Outbox));
        let voice: TelephonyConfig = serde_json::from_str(
            r#"{"kind":"voice_api","base_url":"https://api.twilio.com","account_sid":"AC1",
                "auth_token":"tok-5ecret","from":"+12015550100"}"#,
        )
        .unwrap();
        assert!(matches!(voice, TelephonyConfig::VoiceApi { .. }));
        assert!(!format!("{voice:?}").contains("tok-5ecret"));
        let typo = serde_json::from_str::<TelephonyConfig>(
            r#"{"kind":"voice_api","base_url":"https://api.twilio.com","account_sid":"AC1",
                "auth_token":"t","from":"+12015550100","form":"+1"}"#,
        );
        assert!(typo.is_err());
    }

    #[tokio::test]
    async fn from_config_builds_each_kind_and_refuses_plain_http() {
        let (_dir, outbox) = outbox::tests::outbox().await;
        assert!(from_config(&TelephonyConfig::Outbox, outbox.clone()).is_ok());
        let voice = |base_url: &str| TelephonyConfig::VoiceApi {
            base_url: base_url.to_owned(),
            account_sid: "AC1".to_owned(),
            auth_token: Secret::new("tok-5ecret"),
            from: "+12015550100".to_owned(),
        };
        assert!(from_config(&voice("https://api.twilio.com"), outbox.clone()).is_ok());
        let refused = from_config(&voice("http://api.twilio.com"), outbox)
            .err()
            .unwrap();
        assert!(matches!(refused, TelephonyError::Misconfigured(_)));
        assert!(!format!("{refused:?}").contains("tok-5ecret"));
    }
}
