//! An agent lifts a lock: the 15-minute lock after failures in a row needs `unlock_temporary`,
//! the lock that holds until the help desk unlocks needs `unlock_daily` (admins by default).
//! The person is told, naming the agent.

use recovery_api::help_desk::{ActionContext, HelpDeskPermission, LockKind, Unlocked};
use serde_json::json;

use crate::{
    app::App,
    client::Client,
    error::RecoveryError,
    flows::{notice, sending, unlock::unlock_recorded},
    help_desk::{guard, AgentSession},
    notify::AccountEvent,
    sending_caps::Sending,
    throttle::Lock,
};

pub async fn unlock(
    app: &App,
    session: &AgentSession,
    from: &Client,
    username: &str,
    context: &ActionContext,
) -> Result<Unlocked, RecoveryError> {
    let username = recovery_api::fields::normalize_username(username)?;
    let state = app.throttle.lock_state(&username, app.clock.now()).await?;
    let (permission, lifted) = match state.lock {
        Lock::UntilHelpDesk => (HelpDeskPermission::UnlockDaily, LockKind::UntilHelpDesk),
        Lock::Until(_) => (HelpDeskPermission::UnlockTemporary, LockKind::Temporary),
        Lock::Open => (HelpDeskPermission::UnlockTemporary, LockKind::Open),
    };
    let authorized =
        guard::authorize(app, session, from, &username, permission, context, false).await?;
    let person = &authorized.person;
    let charge = sending::charge(app, person, None, &[Sending::Notice]).await?;
    let detail = json!({ "lifted": lock_name(lifted) });
    let cleared = unlock_recorded(
        app,
        &authorized.client,
        &username,
        Some(person),
        detail,
        Some(authorized.audit_detail()),
    )
    .await;
    let cleared = charge.settle(cleared).await?;
    if cleared {
        let now = app.clock.now();
        notice::tell_person(
            app,
            &authorized.client,
            person,
            AccountEvent::AccountUnlocked,
            now,
        )
        .await?;
    }
    Ok(Unlocked {
        lifted: if cleared { lifted } else { LockKind::Open },
    })
}

fn lock_name(lock: LockKind) -> &'static str {
    match lock {
        LockKind::Open => "none",
        LockKind::Temporary => "temporary",
        LockKind::UntilHelpDesk => "until_help_desk",
    }
}
