//! `[directory.ldap]`: where the directory is, how the service signs in to it, and which
//! attributes hold what the service needs to know about a person.

use std::path::PathBuf;

use recovery_api::Secret;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LdapConfig {
    /// `ldaps://dc1.corp.example:636`, or `ldap://…:389` with `starttls = true`.
    pub url: String,
    /// Upgrade an `ldap://` connection with StartTLS. Passwords never travel in clear text: an
    /// `ldap://` URL without StartTLS is refused at start.
    pub starttls: bool,
    /// PEM file with the CA certificate(s) that signed the directory's certificate; without it
    /// the system's trusted roots.
    pub ca_file: Option<PathBuf>,
    /// The service account that searches for people (`cn=recovery-desk,ou=Services,dc=…`).
    pub bind_dn: String,
    pub bind_password: Secret,
    /// Where people are searched, with the whole subtree below it.
    pub base_dn: String,
    /// Which entries are people: ANDed with the username (or id) comparison.
    pub user_filter: String,
    pub attributes: AttributeMap,
    /// Time to open a connection, TLS handshake and StartTLS included.
    pub connect_timeout_seconds: u32,
    /// Time each operation (bind, search) may take once connected.
    pub operation_timeout_seconds: u32,
    /// Service-account connections kept open for searches.
    pub pool_size: u32,
    /// The DN bound for an unknown username, so that it costs the bind a wrong password costs.
    /// It must not exist. Default: `cn=recovery-desk-nobody,<base_dn>`.
    pub dummy_bind_dn: Option<String>,
}

impl Default for LdapConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            starttls: false,
            ca_file: None,
            bind_dn: String::new(),
            bind_password: Secret::default(),
            base_dn: String::new(),
            user_filter: "(objectClass=inetOrgPerson)".to_owned(),
            attributes: AttributeMap::default(),
            connect_timeout_seconds: 5,
            operation_timeout_seconds: 5,
            pool_size: 4,
            dummy_bind_dn: None,
        }
    }
}

impl LdapConfig {
    pub fn connect_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(u64::from(self.connect_timeout_seconds.max(1)))
    }

    pub fn operation_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(u64::from(self.operation_timeout_seconds.max(1)))
    }

    pub fn pool_size(&self) -> usize {
        usize::try_from(self.pool_size.clamp(1, 64)).unwrap_or(1)
    }

    pub fn dummy_bind_dn(&self) -> String {
        self.dummy_bind_dn
            .clone()
            .unwrap_or_else(|| format!("cn=recovery-desk-nobody,{}", self.base_dn))
    }
}

/// Attribute names: OpenLDAP's `inetOrgPerson` by default; see the README for Active Directory.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AttributeMap {
    /// What people type as their username: `uid`, or `sAMAccountName` in AD.
    pub username: String,
    /// A stable identifier that survives renames: `entryUUID`, or `objectGUID` in AD.
    pub id: String,
    pub id_encoding: IdEncoding,
    /// `displayName`; when an entry has none, `cn`.
    pub display_name: String,
    /// Where notifications go (every value).
    pub mail: String,
    /// Phone numbers (every value of every attribute), normalised to E.164 with the service's
    /// `phone_region`; values that are no phone number are skipped with a warning.
    pub phones: Vec<String>,
    /// The date of birth asked at recovery. Without it, the HR facts synced from CSV.
    pub date_of_birth: Option<String>,
    pub date_of_birth_format: DateOfBirthFormat,
}

impl Default for AttributeMap {
    fn default() -> Self {
        Self {
            username: "uid".to_owned(),
            id: "entryUUID".to_owned(),
            id_encoding: IdEncoding::Text,
            display_name: "displayName".to_owned(),
            mail: "mail".to_owned(),
            phones: vec!["telephoneNumber".to_owned(), "mobile".to_owned()],
            date_of_birth: None,
            date_of_birth_format: DateOfBirthFormat::Yyyymmdd,
        }
    }
}

impl AttributeMap {
    /// The attributes a person search asks for.
    pub fn requested(&self) -> Vec<String> {
        let mut names = vec![
            self.username.clone(),
            self.id.clone(),
            self.display_name.clone(),
            "cn".to_owned(),
            self.mail.clone(),
        ];
        names.extend(self.phones.iter().cloned());
        names
    }
}

/// How the id attribute's value becomes a [`PersonId`](crate::directory::PersonId).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdEncoding {
    /// A text value, kept as is (`entryUUID`).
    Text,
    /// AD's 16-byte `objectGUID`, written as the GUID AD's tools show
    /// (`mixed-endian`, lowercase: `3f2504e0-4f89-11d3-9a0c-0305e82c3301`).
    Guid,
}

/// How the date-of-birth attribute is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateOfBirthFormat {
    /// `19851210` (swissEduPersonDateOfBirth, schacDateOfBirth).
    Yyyymmdd,
    /// `1985-12-10`.
    #[serde(rename = "yyyy-mm-dd")]
    YyyyMmDd,
    /// `19851210000000Z`: the date as written, whatever the time and zone.
    GeneralizedTime,
}
