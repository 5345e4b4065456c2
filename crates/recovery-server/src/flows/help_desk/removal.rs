//! An agent removes a lost, stolen or replaced device from the person's account, through the
//! same flow and provider as the person's own removal.

use recovery_api::help_desk::{ActionContext, HelpDeskPermission, RemoveDeviceForPerson};

use crate::{
    app::App,
    client::Client,
    error::RecoveryError,
    flows::authenticators::remove_recorded,
    help_desk::{guard, AgentSession},
};

pub async fn remove(
    app: &App,
    session: &AgentSession,
    from: &Client,
    username: &str,
    id: &str,
    request: &RemoveDeviceForPerson,
) -> Result<(), RecoveryError> {
    let context = ActionContext {
        caller_verification: request.caller_verification.clone(),
        reason: request.reason.clone(),
    };
    let authorized = guard::authorize(
        app,
        session,
        from,
        username,
        HelpDeskPermission::RemoveDevice,
        &context,
        false,
    )
    .await?;
    remove_recorded(
        app,
        &authorized.client,
        None,
        &authorized.person,
        id,
        request.removal_reason,
        Some(authorized.audit_detail()),
    )
    .await?;
    Ok(())
}
