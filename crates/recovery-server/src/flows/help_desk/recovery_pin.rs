//! An agent clears the person's recovery PIN (forgotten, or told to someone); the person sets a
//! new one with a passcode. Weak verification is enough: clearing only takes a way in away.

use recovery_api::help_desk::{ActionContext, HelpDeskPermission, RecoveryPinCleared};

use crate::{
    app::App,
    client::Client,
    error::RecoveryError,
    flows::recovery_pin::clear_recorded,
    help_desk::{guard, AgentSession},
};

pub async fn clear(
    app: &App,
    session: &AgentSession,
    from: &Client,
    username: &str,
    context: &ActionContext,
) -> Result<RecoveryPinCleared, RecoveryError> {
    let authorized = guard::authorize(
        app,
        session,
        from,
        username,
        HelpDeskPermission::ClearRecoveryPin,
        context,
        false,
    )
    .await?;
    let cleared = clear_recorded(
        app,
        &authorized.client,
        &authorized.person,
        &authorized.reason,
        Some(authorized.audit_detail()),
    )
    .await?;
    Ok(RecoveryPinCleared { cleared })
}
