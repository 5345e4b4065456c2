//! Searches for people, as the service account, over a small pool of connections that stay
//! bound as that account. Never used for a person's bind: a bind changes who a connection is.

use std::sync::Arc;

use deadpool::{
    managed::{self, Metrics, Object, Pool, PoolError, RecycleError, RecycleResult},
    Runtime,
};
use ldap3::{Ldap, LdapError, Scope, SearchEntry, SearchOptions};
use recovery_api::Secret;

use super::{
    connection::{failure, Connector},
    probe::{LdapProbe, LdapWork},
};
use crate::directory::DirectoryError;

/// What a search for one person found.
#[derive(Debug)]
pub(super) enum Found {
    Nobody,
    One(Box<SearchEntry>),
    /// Two or more entries answer to the same value: a directory problem, never a match.
    Several,
}

/// Makes service-account connections for the pool, and drops the ones that closed.
pub(super) struct ServiceAccount {
    connector: Arc<Connector>,
    bind_dn: String,
    bind_password: Secret,
    probe: Arc<LdapProbe>,
}

impl managed::Manager for ServiceAccount {
    type Type = Ldap;
    type Error = DirectoryError;

    async fn create(&self) -> Result<Ldap, DirectoryError> {
        self.probe.note(LdapWork::ServiceConnect);
        let mut ldap = self.connector.connect().await?;
        let result = ldap
            .with_timeout(self.connector.operation_timeout())
            .simple_bind(&self.bind_dn, self.bind_password.expose())
            .await
            .map_err(|error| failure("binding as the service account", error))?;
        match result.rc {
            0 => Ok(ldap),
            51 | 52 => Err(DirectoryError::Unavailable(format!(
                "binding as the service account: the directory answered {} ({})",
                result.rc,
                diagnostic(&result.text)
            ))),
            rc => Err(DirectoryError::Misconfigured(format!(
                "the directory refused the service account {:?} (result {rc}: {}); check \
                 directory.ldap.bind_dn and bind_password",
                self.bind_dn,
                diagnostic(&result.text)
            ))),
        }
    }

    /// `is_closed` sees a connection whose socket the server (or an idle timeout) closed.
    async fn recycle(&self, ldap: &mut Ldap, _: &Metrics) -> RecycleResult<DirectoryError> {
        if ldap.is_closed() {
            return Err(RecycleError::message("the directory closed the connection"));
        }
        Ok(())
    }
}

pub(super) struct Searcher {
    pool: Pool<ServiceAccount>,
    base_dn: String,
    user_filter: String,
    operation_timeout: std::time::Duration,
    probe: Arc<LdapProbe>,
}

/// What [`Searcher::new`] needs.
pub(super) struct SearchSettings {
    pub bind_dn: String,
    pub bind_password: Secret,
    pub base_dn: String,
    pub user_filter: String,
    pub pool_size: usize,
}

impl Searcher {
    pub fn new(
        connector: Arc<Connector>,
        settings: SearchSettings,
        probe: Arc<LdapProbe>,
    ) -> Result<Self, DirectoryError> {
        let operation_timeout = connector.operation_timeout();
        let manager = ServiceAccount {
            connector,
            bind_dn: settings.bind_dn,
            bind_password: settings.bind_password,
            probe: Arc::clone(&probe),
        };
        let pool = Pool::builder(manager)
            .max_size(settings.pool_size)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(operation_timeout))
            .build()
            .map_err(|error| DirectoryError::Misconfigured(format!("LDAP pool: {error}")))?;
        let user_filter = settings.user_filter.trim();
        let user_filter = if user_filter.starts_with('(') {
            user_filter.to_owned()
        } else {
            format!("({user_filter})")
        };
        Ok(Self {
            pool,
            base_dn: settings.base_dn,
            user_filter,
            operation_timeout,
            probe,
        })
    }

    /// The people whose `attribute` equals `escaped` (already filter-escaped), below the base
    /// DN. At most two entries are asked for: two already mean "not one person".
    pub async fn find(
        &self,
        attribute: &str,
        escaped: &str,
        attributes: &[String],
    ) -> Result<Found, DirectoryError> {
        let filter = format!("(&{}({attribute}={escaped}))", self.user_filter);
        self.search(&self.base_dn, Scope::Subtree, &filter, attributes)
            .await
    }

    /// Whether the group entry `group_dn` lists `member_dn` as a `member` (groupOfNames) or
    /// `uniqueMember` (groupOfUniqueNames).
    pub async fn is_member(&self, group_dn: &str, member_dn: &str) -> Result<bool, DirectoryError> {
        let escaped = ldap3::ldap_escape(member_dn);
        let filter = format!("(|(member={escaped})(uniqueMember={escaped}))");
        let found = self
            .search(group_dn, Scope::Base, &filter, &["1.1".to_owned()])
            .await?;
        Ok(matches!(found, Found::One(_)))
    }

    async fn search(
        &self,
        base: &str,
        scope: Scope,
        filter: &str,
        attributes: &[String],
    ) -> Result<Found, DirectoryError> {
        // A pooled connection may have died since its last use; one retry on a fresh one.
        match self.search_once(base, scope, filter, attributes).await {
            Err(Attempt::ConnectionLost(_)) => {}
            other => return other.map_err(Attempt::into_error),
        }
        self.search_once(base, scope, filter, attributes)
            .await
            .map_err(Attempt::into_error)
    }

    async fn search_once(
        &self,
        base: &str,
        scope: Scope,
        filter: &str,
        attributes: &[String],
    ) -> Result<Found, Attempt> {
        let mut ldap = self.pool.get().await.map_err(pool_failure)?;
        self.probe.note(LdapWork::Search);
        let outcome = ldap
            .with_search_options(SearchOptions::new().sizelimit(2))
            .with_timeout(self.operation_timeout)
            .search(base, scope, filter, attributes)
            .await;
        let result = match outcome {
            Ok(result) => result,
            Err(error) => {
                // The connection's state is unknown: it leaves the pool.
                drop(Object::take(ldap));
                return Err(match error {
                    LdapError::Timeout { .. } => {
                        Attempt::Failed(failure("searching the directory", error))
                    }
                    other => Attempt::ConnectionLost(failure("searching the directory", other)),
                });
            }
        };
        let (entries, status) = (result.0, result.1);
        match status.rc {
            0 | 4 => {}
            51 | 52 | 80 => {
                return Err(Attempt::Failed(DirectoryError::Unavailable(format!(
                    "searching the directory: result {} ({})",
                    status.rc,
                    diagnostic(&status.text)
                ))))
            }
            rc => {
                return Err(Attempt::Failed(DirectoryError::Misconfigured(format!(
                "searching {base:?} for {filter}: result {rc} ({}); check directory.ldap.base_dn, \
                     user_filter, help_desk.ldap_group and the service account's rights",
                diagnostic(&status.text)
            ))))
            }
        }
        // rc 4 (size limit exceeded) comes with the first two entries.
        let mut entries = entries.into_iter().map(SearchEntry::construct);
        Ok(match (entries.next(), entries.next()) {
            (None, _) => Found::Nobody,
            (Some(entry), None) if status.rc == 0 => Found::One(Box::new(entry)),
            _ => Found::Several,
        })
    }
}

/// One search's failure; a lost connection is worth one retry.
enum Attempt {
    ConnectionLost(DirectoryError),
    Failed(DirectoryError),
}

impl Attempt {
    fn into_error(self) -> DirectoryError {
        match self {
            Self::ConnectionLost(error) | Self::Failed(error) => error,
        }
    }
}

fn pool_failure(error: PoolError<DirectoryError>) -> Attempt {
    Attempt::Failed(match error {
        PoolError::Backend(error) => error,
        PoolError::Timeout(_) => DirectoryError::Unavailable(
            "every directory connection stayed busy past the operation timeout".into(),
        ),
        other => DirectoryError::Unavailable(format!("directory connection pool: {other}")),
    })
}

/// The server's diagnostic message, without AD's trailing NUL.
pub(super) fn diagnostic(text: &str) -> &str {
    text.trim_end_matches('\0').trim()
}
