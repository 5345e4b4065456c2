//! A person's password, checked by binding as them on a connection of its own: opened for
//! this one bind and closed after it, never pooled, so no later search runs as them and a
//! failed bind leaves no half-authenticated connection behind.

use recovery_api::Secret;

use super::{
    ad_codes::refusal_from_diagnostic,
    connection::{failure, Connector},
    probe::{LdapProbe, LdapWork},
    search::diagnostic,
};
use crate::directory::{DirectoryError, PasswordRefusal};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BindOutcome {
    Accepted,
    Refused(PasswordRefusal),
}

/// Binds as `dn` with `password` on a fresh connection.
///
/// An empty (or blank) password is refused here without a bind: with a DN and no password, a
/// simple bind is an unauthenticated bind (RFC 4513 §5.1.2), which some servers answer with
/// success.
pub(super) async fn bind_as(
    connector: &Connector,
    probe: &LdapProbe,
    dn: &str,
    password: &Secret,
) -> Result<BindOutcome, DirectoryError> {
    if password.expose().trim().is_empty() {
        return Ok(BindOutcome::Refused(PasswordRefusal::Invalid));
    }
    probe.note(LdapWork::Connect);
    let mut ldap = connector.connect().await?;
    probe.note(LdapWork::PersonBind);
    let result = ldap
        .with_timeout(connector.operation_timeout())
        .simple_bind(dn, password.expose())
        .await
        .map_err(|error| failure("checking a password", error))?;
    // Closes the connection; its answer does not matter.
    let _ = ldap.unbind().await;
    match result.rc {
        0 => Ok(BindOutcome::Accepted),
        // invalidCredentials, with AD's reason in the message.
        49 => Ok(BindOutcome::Refused(refusal_from_diagnostic(&result.text))),
        // noSuchObject, inappropriateAuthentication, unwillingToPerform: servers that tell an
        // unknown DN or a refused account apart from a wrong password; outward all the same.
        32 | 48 | 53 => Ok(BindOutcome::Refused(PasswordRefusal::Invalid)),
        51 | 52 | 80 => Err(DirectoryError::Unavailable(format!(
            "checking a password: the directory answered {} ({})",
            result.rc,
            diagnostic(&result.text)
        ))),
        rc => Err(DirectoryError::Misconfigured(format!(
            "checking a password: unexpected result {rc} ({})",
            diagnostic(&result.text)
        ))),
    }
}
