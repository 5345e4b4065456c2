use async_trait::async_trait;
use lettre::{
    message::{header::ContentType, Mailbox},
    AsyncSmtpTransport, AsyncTransport, Tokio1Executor,
};
use recovery_api::{demo::Channel, Secret};

use super::{Message, Notifier, NotifyError};

/// Sends e-mail through an SMTP relay; other channels are not its business.
#[derive(Clone)]
pub struct SmtpNotifier {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpNotifier {
    pub fn new(url: &Secret, from: &str) -> Result<Self, NotifyError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
            // The URL may hold the relay's password: never echo it.
            .map_err(|_| NotifyError::Config("the SMTP URL is not valid".to_owned()))?
            .timeout(Some(std::time::Duration::from_secs(15)))
            .build();
        let from = from
            .parse()
            .map_err(|_| NotifyError::Config(format!("`{from}` is not a valid sender")))?;
        Ok(Self { transport, from })
    }
}

#[async_trait]
impl Notifier for SmtpNotifier {
    async fn send(&self, message: &Message) -> Result<(), NotifyError> {
        if message.channel != Channel::Email {
            return Err(NotifyError::Delivery(format!(
                "SMTP cannot deliver {} messages",
                message.channel.as_str()
            )));
        }
        let to: Mailbox = message.to.parse().map_err(|_| {
            NotifyError::Delivery("the recipient is not a valid address".to_owned())
        })?;
        let email = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.clone().unwrap_or_default())
            .header(ContentType::TEXT_PLAIN)
            .body(message.body.clone())
            .map_err(|e| NotifyError::Delivery(e.to_string()))?;
        self.transport
            .send(email)
            .await
            .map_err(|e| NotifyError::Delivery(e.to_string()))?;
        Ok(())
    }
}
