//! What an agent does for a verified caller. Each action names the call's caller verification
//! and the agent's reason; the service checks the permission, the verification's strength and
//! the rate limit, audits and tells the person.

use recovery_api::{
    authenticator::PhoneType,
    help_desk::{
        ActionContext, ActivationChannel, AddPhoneForPerson, IssueHelpDeskCode,
        RemoveDeviceForPerson, SendActivation, SendSecurityKeyLink, VerifyPhoneForPerson,
    },
    phone::RemovalReason,
    Secret,
};

use super::HelpDesk;
use crate::{
    error::FlowError,
    service_client::PhoneCheck,
    view::{BypassCodeView, LandlineAdded, LinkSentView, RecoveryPinClearedView, UnlockedView},
};

/// The service's limit on a reason (a ticket number, "lost phone").
const REASON_MAX_CHARS: usize = 200;
const PHONE_NUMBER_MAX_CHARS: usize = 40;
const EXTENSION_MAX_DIGITS: usize = 10;
const PHONE_CODE_DIGITS: usize = 6;
const ID_MAX_CHARS: usize = 128;

/// A reason as the service takes it: trimmed, 1–200 characters, one line.
pub(super) fn checked_reason(reason: &str) -> Result<String, FlowError> {
    let reason = reason.trim();
    if reason.is_empty()
        || reason.chars().count() > REASON_MAX_CHARS
        || reason.chars().any(char::is_control)
    {
        return Err(FlowError::InvalidInput { field: "reason" });
    }
    Ok(reason.to_owned())
}

fn checked_id(id: &str, field: &'static str) -> Result<(), FlowError> {
    if id.is_empty() || id.chars().count() > ID_MAX_CHARS {
        return Err(FlowError::InvalidInput { field });
    }
    Ok(())
}

impl HelpDesk {
    /// A bypass code for the person, shown once to the agent to read out (a strong caller
    /// verification is needed). `valid_minutes` defaults to the service's setting.
    pub async fn issue_bypass_code(
        &self,
        reason: &str,
        valid_minutes: Option<u32>,
    ) -> Result<BypassCodeView, FlowError> {
        let reason = checked_reason(reason)?;
        if valid_minutes == Some(0) {
            return Err(FlowError::InvalidInput {
                field: "valid_minutes",
            });
        }
        let (token, username, caller_verification) = self.verified_call().await?;
        let request = IssueHelpDeskCode {
            caller_verification,
            reason,
            valid_minutes,
        };
        let result = self
            .client
            .issue_help_desk_code(token.secret(), &username, &request)
            .await;
        let issued = self.settle(result).await?;
        Ok(BypassCodeView {
            code: issued.code.expose().to_owned(),
            expires_at: issued.expires_at,
        })
    }

    /// The phone-app activation link for one of the person's phones, by text to the phone or
    /// to the person's e-mail addresses.
    pub async fn send_activation(
        &self,
        phone_id: &str,
        channel: ActivationChannel,
        reason: &str,
    ) -> Result<LinkSentView, FlowError> {
        let reason = checked_reason(reason)?;
        checked_id(phone_id, "phone_id")?;
        let (token, username, caller_verification) = self.verified_call().await?;
        let request = SendActivation {
            caller_verification,
            reason,
            channel,
        };
        let result = self
            .client
            .send_activation_for_person(token.secret(), &username, phone_id, &request)
            .await;
        Ok(LinkSentView::from(self.settle(result).await?))
    }

    /// Adds a phone for the person; a verification call (or text) follows, checked with
    /// [`Self::verify_phone`].
    pub async fn add_phone(
        &self,
        number: &str,
        extension: Option<&str>,
        phone_type: PhoneType,
        reason: &str,
    ) -> Result<LandlineAdded, FlowError> {
        let reason = checked_reason(reason)?;
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
        let (token, username, caller_verification) = self.verified_call().await?;
        let request = AddPhoneForPerson {
            caller_verification,
            reason,
            number: number.to_owned(),
            extension: extension.map(str::to_owned),
            phone_type,
        };
        let result = self
            .client
            .add_phone_for_person(token.secret(), &username, &request)
            .await;
        let added = self.settle(result).await?;
        Ok(LandlineAdded {
            id: added.id,
            number_hint: added.number_hint,
            expires_at: added.expires_at,
            delivery: added.delivery,
        })
    }

    /// Checks the code the person heard (or, without a code, whether the call was answered:
    /// `CallNotAnswered` means "not yet").
    pub async fn verify_phone(
        &self,
        phone_id: &str,
        code: Option<Secret>,
    ) -> Result<(), FlowError> {
        checked_id(phone_id, "phone_id")?;
        if let Some(code) = &code {
            let digits = code.expose();
            if digits.len() != PHONE_CODE_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(FlowError::InvalidInput { field: "code" });
            }
        }
        let (token, username, caller_verification) = self.verified_call().await?;
        let request = VerifyPhoneForPerson {
            caller_verification,
            code,
        };
        let result = self
            .client
            .verify_phone_for_person(token.secret(), &username, phone_id, &request)
            .await;
        match self.settle(result).await? {
            PhoneCheck::Verified(_) => Ok(()),
            PhoneCheck::Waiting => Err(FlowError::CallNotAnswered),
        }
    }

    /// E-mails the person a single-use link where they register a key in their browser.
    pub async fn send_key_link(
        &self,
        reason: &str,
        valid_hours: Option<u32>,
    ) -> Result<LinkSentView, FlowError> {
        let reason = checked_reason(reason)?;
        if matches!(valid_hours, Some(hours) if hours == 0 || hours > 24) {
            return Err(FlowError::InvalidInput {
                field: "valid_hours",
            });
        }
        let (token, username, caller_verification) = self.verified_call().await?;
        let request = SendSecurityKeyLink {
            caller_verification,
            reason,
            valid_hours,
        };
        let result = self
            .client
            .send_security_key_link(token.secret(), &username, &request)
            .await;
        Ok(LinkSentView::from(self.settle(result).await?))
    }

    /// Lifts the person's lock (the daily one needs an admin).
    pub async fn unlock(&self, reason: &str) -> Result<UnlockedView, FlowError> {
        let context = self.action_context(reason).await?;
        let result = self
            .client
            .unlock_person(context.0.secret(), &context.1, &context.2)
            .await;
        let unlocked = self.settle(result).await?;
        Ok(UnlockedView {
            lifted: unlocked.lifted.into(),
        })
    }

    pub async fn clear_recovery_pin(
        &self,
        reason: &str,
    ) -> Result<RecoveryPinClearedView, FlowError> {
        let context = self.action_context(reason).await?;
        let result = self
            .client
            .clear_person_recovery_pin(context.0.secret(), &context.1, &context.2)
            .await;
        let cleared = self.settle(result).await?;
        Ok(RecoveryPinClearedView {
            cleared: cleared.cleared,
        })
    }

    pub async fn remove_device(
        &self,
        device_id: &str,
        removal_reason: RemovalReason,
        reason: &str,
    ) -> Result<(), FlowError> {
        let reason = checked_reason(reason)?;
        checked_id(device_id, "device_id")?;
        let (token, username, caller_verification) = self.verified_call().await?;
        let request = RemoveDeviceForPerson {
            caller_verification,
            reason,
            removal_reason,
        };
        let result = self
            .client
            .remove_device_for_person(token.secret(), &username, device_id, &request)
            .await;
        self.settle(result).await
    }

    /// The token, the person and an [`ActionContext`] for an action that takes only that.
    async fn action_context(
        &self,
        reason: &str,
    ) -> Result<(super::AgentToken, String, ActionContext), FlowError> {
        let reason = checked_reason(reason)?;
        let (token, username, caller_verification) = self.verified_call().await?;
        Ok((
            token,
            username,
            ActionContext {
                caller_verification,
                reason,
            },
        ))
    }
}
