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
