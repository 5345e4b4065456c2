//! Charging what a flow is about to send (a notice, a call, a text) to the daily caps of
//! [`sending_caps`](crate::sending_caps), before anything is sent or changed.

use crate::{
    app::App,
    directory::Person,
    error::{RecoveryError, RetryAt},
    sending_caps::{Charge, Sending},
    session::Session,
    storage::UnitOfWork,
};

/// Charges the sends to the person and to the session (none for a person acting without one,
/// such as a new phone opening its activation link), or refuses with `limit_reached`.
pub async fn charge(
    app: &App,
    person: &Person,
    session: Option<&Session>,
    sends: &[Sending],
) -> Result<Charge, RecoveryError> {
    let now = app.clock.now();
    let session_id = session.map(|s| s.id.as_str());
    match app
        .sending
        .charge(&person.id, session_id, sends, now)
        .await?
    {
        Ok(charge) => Ok(charge),
        Err(reached) => {
            tracing::warn!(person = %person.id, ?sends, "a daily sending limit is reached");
            Err(RecoveryError::LimitReached(RetryAt::new(
                reached.retry_at,
                now,
            )))
        }
    }
}

/// Ends the charge of a change that did not happen. The flow's unit of work is rolled back
/// first: on SQLite it holds the write lock that giving the charge back needs.
pub async fn refund(charge: Charge, work: UnitOfWork) {
    if let Err(error) = work.rollback().await {
        tracing::warn!(%error, "a refused change was not rolled back at once");
    }
    charge.give_back().await;
}
