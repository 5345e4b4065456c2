//! Preparing before it is needed: the person, signed in with a passcode (a device they still
//! have, or a bypass code), chooses the recovery PIN they will use with their date of birth
//! when the devices are gone. The service keeps it and checks its policy; the app only makes
//! sure the two entries match, so a typo never becomes the PIN.

use recovery_api::{fields, recovery_pin::SetRecoveryPin, Secret};

use super::Journey;
use crate::{
    error::FlowError,
    view::{RecoveryPinSetView, RecoveryPinStatusView},
};

impl Journey {
    pub async fn recovery_pin_status(&self) -> Result<RecoveryPinStatusView, FlowError> {
        let token = self.token().await?;
        let result = self.client.recovery_pin_status(token.secret()).await;
        Ok(self.settle(result).await?.into())
    }

    /// Sets or changes the recovery PIN. `confirmation` is the second entry: a mismatch is
    /// refused here and never sent. Both are dropped (and so wiped) when this returns.
    pub async fn set_recovery_pin(
        &self,
        pin: Secret,
        confirmation: Secret,
    ) -> Result<RecoveryPinSetView, FlowError> {
        // The shape any recovery PIN has; the organisation's length and strength rules are the
        // service's to check, so they are stated once.
        fields::check_pin(pin.expose()).map_err(|_| FlowError::InvalidInput { field: "pin" })?;
        if pin != confirmation {
            return Err(FlowError::RecoveryPinMismatch);
        }
        drop(confirmation);
        let token = self.token().await?;
        let result = self
            .client
            .set_recovery_pin(token.secret(), &SetRecoveryPin { pin })
            .await;
        let set = self.settle(result).await?;
        Ok(RecoveryPinSetView {
            changed: set.changed,
            set_at: set.set_at,
        })
    }
}
