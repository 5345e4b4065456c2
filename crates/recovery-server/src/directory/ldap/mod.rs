//! People in an LDAP directory or Active Directory, by search-then-bind.
//!
//! A pooled connection bound as the service account searches for the typed username (escaped,
//! at most two answers, exactly one accepted); a fresh connection then binds as the entry found
//! with the typed password. An unknown (or ambiguous) username binds a DN that does not exist
//! instead, so it costs the same connection, search and bind as a wrong password: the probe
//! lets tests check that. Passwords go over TLS only, and a blank one is refused before any
//! bind. The date of birth is read as the service account from a mapped attribute, or taken
//! from the HR facts synced from CSV.

mod ad_codes;
mod attributes;
mod bind;
pub mod config;
mod connection;
mod probe;
mod search;

use std::sync::Arc;

use async_trait::async_trait;
use ldap3::ldap_escape;
use recovery_api::Secret;
use time::Date;

use self::{
    attributes::PersonMapper,
    bind::{bind_as, BindOutcome},
    connection::Connector,
    search::{Found, SearchSettings, Searcher},
};
pub use self::{
    config::LdapConfig,
    probe::{LdapProbe, LdapWork},
};
use super::{Directory, DirectoryError, PasswordCheck, PasswordRefusal, Person, PersonId};
use crate::hr_facts::HrFacts;

#[derive(Clone)]
pub struct LdapDirectory {
    inner: Arc<Inner>,
}

struct Inner {
    connector: Arc<Connector>,
    searcher: Searcher,
    mapper: PersonMapper,
    dummy_dn: String,
    hr_facts: HrFacts,
    probe: Arc<LdapProbe>,
}

impl std::fmt::Debug for LdapDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LdapDirectory").finish_non_exhaustive()
    }
}

impl LdapDirectory {
    /// Checks the settings and reads the CA file; connects only when first asked something, so
    /// the service starts while the directory is down.
    pub fn new(
        config: &LdapConfig,
        phone_region: &str,
        hr_facts: HrFacts,
    ) -> Result<Self, DirectoryError> {
        for (key, value) in [("bind_dn", &config.bind_dn), ("base_dn", &config.base_dn)] {
            if value.trim().is_empty() {
                return Err(DirectoryError::Misconfigured(format!(
                    "directory.ldap.{key} is empty"
                )));
            }
        }
        if config.bind_password.expose().is_empty() {
            return Err(DirectoryError::Misconfigured(
                "directory.ldap.bind_password is empty (an unauthenticated bind is no service \
                 account)"
                    .into(),
            ));
        }
        let probe = Arc::new(LdapProbe::default());
        let connector = Arc::new(Connector::new(config)?);
        let searcher = Searcher::new(
            Arc::clone(&connector),
            SearchSettings {
                bind_dn: config.bind_dn.clone(),
                bind_password: config.bind_password.clone(),
                base_dn: config.base_dn.clone(),
                user_filter: config.user_filter.clone(),
                pool_size: config.pool_size(),
            },
            Arc::clone(&probe),
        )?;
        Ok(Self {
            inner: Arc::new(Inner {
                connector,
                searcher,
                mapper: PersonMapper {
                    map: config.attributes.clone(),
                    phone_region: phone_region.to_owned(),
                },
                dummy_dn: config.dummy_bind_dn(),
                hr_facts,
                probe,
            }),
        })
    }

    /// What this directory asks of the server, for tests.
    pub fn probe(&self) -> &LdapProbe {
        &self.inner.probe
    }

    async fn by_username(&self, username: &str, extra: &[String]) -> Result<Found, DirectoryError> {
        let mut attributes = self.inner.mapper.map.requested();
        attributes.extend(extra.iter().cloned());
        self.inner
            .searcher
            .find(
                &self.inner.mapper.map.username,
                &ldap_escape(username),
                &attributes,
            )
            .await
    }

    fn one_person(&self, found: Found) -> Result<Option<Person>, DirectoryError> {
        match found {
            Found::One(entry) => self.inner.mapper.person(&entry).map(Some),
            Found::Nobody | Found::Several => Ok(None),
        }
    }
}

#[async_trait]
impl Directory for LdapDirectory {
    /// Search, then bind as the one entry found (or as the dummy DN for nobody): the same
    /// work for an unknown username as for a wrong password.
    async fn verify_password(
        &self,
        username: &str,
        password: &Secret,
    ) -> Result<PasswordCheck, DirectoryError> {
        if password.expose().trim().is_empty() {
            return Ok(PasswordCheck::Refused(PasswordRefusal::Invalid));
        }
        let found = self.by_username(username, &[]).await?;
        let entry = match found {
            Found::One(entry) => Some(entry),
            Found::Nobody => None,
            Found::Several => {
                tracing::warn!(
                    "several directory entries have the same username; nobody can sign in \
                     with it until the directory is fixed"
                );
                None
            }
        };
        let dn = entry
            .as_ref()
            .map_or(self.inner.dummy_dn.as_str(), |e| e.dn.as_str());
        let outcome = bind_as(&self.inner.connector, &self.inner.probe, dn, password).await?;
        match (outcome, entry) {
            // Mapped only now: a broken entry shows after a right password, not before the bind.
            (BindOutcome::Accepted, Some(entry)) => {
                Ok(PasswordCheck::Verified(self.inner.mapper.person(&entry)?))
            }
            (BindOutcome::Refused(refusal), Some(_)) => Ok(PasswordCheck::Refused(refusal)),
            // Whatever the server says about the dummy DN.
            (_, None) => Ok(PasswordCheck::Refused(PasswordRefusal::Invalid)),
        }
    }

    /// From the mapped attribute, read as the service account; else from the HR facts.
    async fn date_of_birth(&self, person: &Person) -> Result<Option<Date>, DirectoryError> {
        let Some(attribute) = self.inner.mapper.map.date_of_birth.clone() else {
            return self.inner.hr_facts.date_of_birth(&person.username).await;
        };
        match self.by_username(&person.username, &[attribute]).await? {
            Found::One(entry) => self.inner.mapper.date_of_birth(&entry),
            Found::Nobody | Found::Several => Ok(None),
        }
    }

    async fn person(&self, id: &PersonId) -> Result<Option<Person>, DirectoryError> {
        let Some(value) = self.inner.mapper.id_filter_value(id) else {
            return Ok(None);
        };
        let attributes = self.inner.mapper.map.requested();
        let found = self
            .inner
            .searcher
            .find(&self.inner.mapper.map.id, &value, &attributes)
            .await?;
        self.one_person(found)
    }

    async fn find_by_username(&self, username: &str) -> Result<Option<Person>, DirectoryError> {
        let found = self.by_username(username, &[]).await?;
        self.one_person(found)
    }

    /// The person's entry, found by username, listed in the group entry (`help_desk.ldap_group`).
    async fn is_member_of(&self, person: &Person, group: &str) -> Result<bool, DirectoryError> {
        let Found::One(entry) = self.by_username(&person.username, &[]).await? else {
            return Ok(false);
        };
        self.inner.searcher.is_member(group, &entry.dn).await
    }
}
