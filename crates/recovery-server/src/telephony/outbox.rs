//! The demo and test stand-in for a telephony provider: calls and texts land in the outbox.

use async_trait::async_trait;
use recovery_api::{demo::Channel, Secret};

use super::{spoken_script, CodeCall, Telephony, TelephonyError};
use crate::notify::{Message, Notifier, OutboxNotifier};

/// Keeps calls and texts in the outbox (demo, tests): a call's entry holds the words it would
/// speak, so the demo inbox and the tests read the code from it.
#[derive(Clone)]
pub struct OutboxTelephony {
    outbox: OutboxNotifier,
}

impl OutboxTelephony {
    pub fn new(outbox: OutboxNotifier) -> Self {
        Self { outbox }
    }
}

#[async_trait]
impl Telephony for OutboxTelephony {
    async fn place_code_call(&self, call: &CodeCall<'_>) -> Result<(), TelephonyError> {
        let (to, dialling) = match call.extension {
            // RFC 3966 style, as a dialler would show it.
            Some(extension) => (
                format!("{};ext={extension}", call.to),
                format!("After the call is answered, the extension {extension} is dialled.\n"),
            ),
            None => (call.to.to_owned(), String::new()),
        };
        let message = Message {
            channel: Channel::Voice,
            to,
            subject: None,
            body: format!("{dialling}{}", spoken_script(call)),
        };
        self.outbox.send(&message).await.map_err(outbox_error)
    }

    async fn send_sms(&self, to: &str, body: &Secret) -> Result<(), TelephonyError> {
        let message = Message {
            channel: Channel::Sms,
            to: to.to_owned(),
            subject: None,
            body: body.expose().to_owned(),
        };
        self.outbox.send(&message).await.map_err(outbox_error)
    }
}

fn outbox_error(error: crate::notify::NotifyError) -> TelephonyError {
    match error {
        crate::notify::NotifyError::Storage(e) => TelephonyError::Storage(e),
        other => TelephonyError::Unavailable(other.to_string()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub(super) mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::{clock::SystemClock, storage::Database};

    /// An outbox on a fresh SQLite file; keep the directory alive as long as the outbox.
    pub(in crate::telephony) async fn outbox() -> (tempfile::TempDir, OutboxNotifier) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let db = Database::open(&url).await.unwrap();
        let key = crate::token::TokenHasher::generate_key();
        let sealing = crate::sealed::SealingKey::from_encoded(key.expose()).unwrap();
        (dir, OutboxNotifier::new(db, Arc::new(SystemClock), sealing))
    }

    #[tokio::test]
    async fn a_call_is_kept_with_its_extension_and_words() {
        let (_dir, outbox) = outbox().await;
        let telephony = OutboxTelephony::new(outbox.clone());
        let code = Secret::new("123456");
        let mut call = CodeCall {
            to: "+12015550199",
            extension: Some("123"),
            code: &code,
            organisation: "Example",
        };
        telephony.place_code_call(&call).await.unwrap();
        call.extension = None;
        telephony.place_code_call(&call).await.unwrap();

        let messages = outbox.messages().await.unwrap();
        assert_eq!(messages.len(), 2);
        let with_extension = &messages[0];
        assert_eq!(with_extension.channel, Channel::Voice);
        assert_eq!(with_extension.to, "+12015550199;ext=123");
        assert_eq!(with_extension.subject, None);
        assert_eq!(
            with_extension.body,
            "After the call is answered, the extension 123 is dialled.\n\
             This is Example. Your verification code is 1, 2, 3, 4, 5, 6. \
             Again: 1, 2, 3, 4, 5, 6. Goodbye."
        );
        let plain = &messages[1];
        assert_eq!(plain.to, "+12015550199");
        assert_eq!(plain.body, spoken_script(&call));
    }

    #[tokio::test]
    async fn a_text_is_kept_as_sms() {
        let (_dir, outbox) = outbox().await;
        let telephony = OutboxTelephony::new(outbox.clone());
        let body = Secret::new("Open https://desk.example.org/v1/activations/k3y");
        telephony.send_sms("+12015550123", &body).await.unwrap();

        let messages = outbox.messages().await.unwrap();
        assert_eq!(messages.len(), 1);
        assert_eq!(messages[0].channel, Channel::Sms);
        assert_eq!(messages[0].to, "+12015550123");
        assert_eq!(messages[0].subject, None);
        assert_eq!(messages[0].body, body.expose());
    }
}
