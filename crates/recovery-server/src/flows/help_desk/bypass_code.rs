//! An agent issues a bypass code for a caller verified strongly (a sent code or in person):
//! through the same flow as self-service, with origin `help_desk`, so it replaces the person's
//! previous help-desk code and leaves their self-service code alone. Shown once, to the agent.

use recovery_api::{
    fields::FieldError,
    help_desk::{ActionContext, HelpDeskPermission, IssueHelpDeskCode},
};
use time::Duration;

use crate::{
    app::App,
    client::Client,
    error::RecoveryError,
    flows::{bypass_code::issue_recorded, sending},
    help_desk::{guard, AgentSession},
    mfa::{BypassCodeOrigin, IssuedBypassCode},
    sending_caps::Sending,
};

pub async fn issue(
    app: &App,
    session: &AgentSession,
    from: &Client,
    username: &str,
    request: &IssueHelpDeskCode,
) -> Result<IssuedBypassCode, RecoveryError> {
    let config = &app.config.help_desk;
    let minutes = request.valid_minutes.unwrap_or(config.bypass_code_minutes);
    if minutes == 0 || minutes > config.bypass_code_max_minutes {
        return Err(RecoveryError::InvalidField(FieldError {
            field: "valid_minutes",
            message: format!(
                "A help-desk code lasts 1 to {} minutes.",
                config.bypass_code_max_minutes
            ),
        }));
    }
    let context = ActionContext {
        caller_verification: request.caller_verification.clone(),
        reason: request.reason.clone(),
    };
    let authorized = guard::authorize(
        app,
        session,
        from,
        username,
        HelpDeskPermission::IssueBypassCode,
        &context,
        true,
    )
    .await?;
    let person = &authorized.person;
    let charge = sending::charge(app, person, None, &[Sending::Notice]).await?;
    let issued = issue_recorded(
        app,
        &authorized.client,
        person,
        BypassCodeOrigin::HelpDesk,
        Some(Duration::minutes(i64::from(minutes))),
        Some(authorized.audit_detail()),
    )
    .await;
    charge.settle(issued).await
}
