//! Registering a security key: the service's options, the ceremony with the key
//! ([`crate::security_key`]), then the service keeps the credential under the chosen name.

use recovery_api::{security_key::FinishRegistration, ErrorCode};
use tokio::sync::mpsc;
use url::Url;

use super::Journey;
use crate::{
    error::FlowError,
    security_key::{self, CancellationToken, KeyError, KeyEvent, PinReply, Settings, Token},
    view::DeviceView,
};

/// The longest name the app sends (the service checks it too).
const NAME_MAX_CHARS: usize = 64;

impl Journey {
    /// Registers `key` for the signed-in person. `name` defaults to the key's model. Events
    /// and PIN prompts go through `events` / `pins`; `cancel` stops it at any point.
    pub async fn register_security_key<T: Token + 'static>(
        &self,
        key: T,
        name: Option<String>,
        events: mpsc::UnboundedSender<KeyEvent>,
        pins: mpsc::Receiver<PinReply>,
        cancel: CancellationToken,
    ) -> Result<DeviceView, FlowError> {
        self.register_security_key_with(key, name, events, pins, cancel, Settings::default())
            .await
    }

    /// As [`Self::register_security_key`], with the ceremony's settings (timeout, the
    /// organisation's minimum PIN length).
    pub async fn register_security_key_with<T: Token + 'static>(
        &self,
        key: T,
        name: Option<String>,
        events: mpsc::UnboundedSender<KeyEvent>,
        pins: mpsc::Receiver<PinReply>,
        cancel: CancellationToken,
        settings: Settings,
    ) -> Result<DeviceView, FlowError> {
        let name = name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
        if name
            .as_ref()
            .is_some_and(|n| n.chars().count() > NAME_MAX_CHARS)
        {
            return Err(FlowError::InvalidInput { field: "name" });
        }
        let token = self.token().await?;
        let result = self
            .client
            .start_security_key_registration(token.secret())
            .await;
        let started = self.settle(result).await?;
        let origin = Url::parse(&started.origin).map_err(|_| {
            FlowError::Internal("the service did not say which origin its keys answer".into())
        })?;
        let registered = security_key::register_with_info(
            key,
            started.options,
            origin,
            events,
            pins,
            cancel,
            settings,
        )
        .await
        .map_err(FlowError::SecurityKey)?;
        let request = FinishRegistration {
            name: name.unwrap_or(registered.key.model),
            credential: registered.credential,
        };
        let result = self
            .client
            .finish_security_key_registration(token.secret(), &started.id, &request)
            .await;
        let key = self.settle(result).await.map_err(key_refused)?;
        Ok(DeviceView::from(key))
    }
}

/// The service's verdicts on the key itself, as the key's errors.
fn key_refused(error: FlowError) -> FlowError {
    match error.service_code() {
        Some(ErrorCode::SecurityKeyAlreadyRegistered) => {
            FlowError::SecurityKey(KeyError::AlreadyRegistered)
        }
        Some(ErrorCode::SecurityKeyModelNotAllowed) => {
            FlowError::SecurityKey(KeyError::ModelNotAllowed)
        }
        _ => error,
    }
}
