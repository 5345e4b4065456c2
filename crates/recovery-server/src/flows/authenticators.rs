//! The person's devices, as the MFA system of record holds them.

use recovery_api::authenticator::Authenticator;

use crate::{app::App, directory::Person, error::RecoveryError};

pub async fn list(app: &App, person: &Person) -> Result<Vec<Authenticator>, RecoveryError> {
    Ok(app.mfa.authenticators(person).await?)
}
