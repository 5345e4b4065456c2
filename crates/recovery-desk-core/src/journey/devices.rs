//! What a verified person does with their devices: list them, get a bypass code, add a
//! landline, reactivate the phone app, remove a lost device, resync a token.

use recovery_api::{
    authenticator::PhoneType,
    hardware_token::ResyncToken,
    phone::{AddPhone, RemovalReason, VerifyPhone},
    Secret,
};

use super::{Journey, Stage};
use crate::{
    activation_qr,
    error::FlowError,
    service_client::PhoneCheck,
    view::{ActivationQr, ActivationSent, BypassCodeView, DeviceView, LandlineAdded},
};

/// Longest number the app sends; the service checks the rest (country, range, landline).
const PHONE_NUMBER_MAX_CHARS: usize = 40;
const EXTENSION_MAX_DIGITS: usize = 10;
const DEVICE_CODE_DIGITS: usize = 6;

impl Journey {
    pub async fn devices(&self) -> Result<Vec<DeviceView>, FlowError> {
        let token = self.token().await?;
        let result = self.client.authenticators(token.secret()).await;
        let devices = self.settle(result).await?;
        Ok(devices.into_iter().map(DeviceView::from).collect())
    }

    /// A new bypass code; the service revokes the previous one. Kept here for "copy".
    pub async fn issue_bypass_code(&self) -> Result<BypassCodeView, FlowError> {
        let token = self.token().await?;
        let result = self.client.issue_bypass_code(token.secret()).await;
        let issued = self.settle(result).await?;
        if let Stage::Verified(session) = &mut *self.stage.lock().await {
            session.last_code = Some(issued.code.clone());
        }
        Ok(BypassCodeView {
            code: issued.code.expose().to_owned(),
            expires_at: issued.expires_at,
        })
    }

    /// The last bypass code, for the clipboard; refused where copying is off (kiosks).
    pub async fn bypass_code_for_copy(&self) -> Result<Secret, FlowError> {
        if !self.options.copy_allowed {
            return Err(FlowError::CopyNotAllowed);
        }
        match &*self.stage.lock().await {
            Stage::Verified(session) => session.last_code.clone().ok_or(FlowError::NotSignedIn),
            _ => Err(FlowError::NotSignedIn),
        }
    }

    pub async fn add_landline(
        &self,
        number: &str,
        extension: Option<&str>,
    ) -> Result<LandlineAdded, FlowError> {
        let number = number.trim();
        if number.is_empty() || number.chars().count() > PHONE_NUMBER_MAX_CHARS {
            return Err(FlowError::InvalidInput { field: "number" });
        }
        let extension = extension.map(str::trim).filter(|e| !e.is_empty());
        if let Some(extension) = extension {
            if extension.len() > EXTENSION_MAX_DIGITS
                || !extension.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(FlowError::InvalidInput { field: "extension" });
            }
        }
        let token = self.token().await?;
        let request = AddPhone {
            number: number.to_owned(),
            extension: extension.map(str::to_owned),
            phone_type: PhoneType::Landline,
        };
        let result = self.client.add_phone(token.secret(), &request).await;
        let added = self.settle(result).await?;
        Ok(LandlineAdded {
            id: added.id,
            number_hint: added.number_hint,
            expires_at: added.expires_at,
            delivery: added.delivery,
        })
    }

    /// Checks the spoken code; without a code (an answered-call check), `CallNotAnswered`
    /// means "not yet".
    pub async fn verify_landline(
        &self,
        phone_id: &str,
        code: Option<Secret>,
    ) -> Result<(), FlowError> {
        if let Some(code) = &code {
            if !is_device_code(code.expose()) {
                return Err(FlowError::InvalidInput { field: "code" });
            }
        }
        let token = self.token().await?;
        let result = self
            .client
            .verify_phone(token.secret(), phone_id, &VerifyPhone { code })
            .await;
        match self.settle(result).await? {
            PhoneCheck::Verified(_) => Ok(()),
            PhoneCheck::Waiting => Err(FlowError::CallNotAnswered),
        }
    }

    /// A single-use activation link for the phone app, drawn as a QR code.
    pub async fn activation_qr(&self, phone_id: &str) -> Result<ActivationQr, FlowError> {
        let token = self.token().await?;
        let result = self
            .client
            .create_activation(token.secret(), phone_id)
            .await;
        let created = self.settle(result).await?;
        let qr_svg_data_uri = activation_qr::svg_data_uri(created.activation_url.expose())
            .map_err(|error| FlowError::Internal(error.to_string()))?;
        Ok(ActivationQr {
            qr_svg_data_uri,
            expires_at: created.expires_at,
        })
    }

    pub async fn text_activation(&self, phone_id: &str) -> Result<ActivationSent, FlowError> {
        let token = self.token().await?;
        let result = self.client.text_activation(token.secret(), phone_id).await;
        let sent = self.settle(result).await?;
        Ok(ActivationSent {
            number_hint: sent.number_hint,
            expires_at: sent.expires_at,
        })
    }

    pub async fn remove_device(
        &self,
        device_id: &str,
        reason: RemovalReason,
    ) -> Result<(), FlowError> {
        let token = self.token().await?;
        let result = self
            .client
            .remove_authenticator(token.secret(), device_id, reason)
            .await;
        self.settle(result).await
    }

    /// 2 or 3 consecutive codes, in the order the token showed them.
    pub async fn resync_token(&self, device_id: &str, codes: Vec<Secret>) -> Result<(), FlowError> {
        if !(2..=3).contains(&codes.len()) || !codes.iter().all(|c| is_device_code(c.expose())) {
            return Err(FlowError::InvalidInput { field: "codes" });
        }
        let token = self.token().await?;
        let result = self
            .client
            .resync_token(token.secret(), device_id, &ResyncToken { codes })
            .await;
        self.settle(result).await.map(|_| ())
    }
}

fn is_device_code(code: &str) -> bool {
    code.len() == DEVICE_CODE_DIGITS && code.bytes().all(|b| b.is_ascii_digit())
}
