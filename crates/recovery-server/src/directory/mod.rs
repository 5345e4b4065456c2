//! The `Directory` seam: who a person is and how we verify them.
//!
//! The builtin directory keeps people in SQL, filled from an HR CSV export; an LDAP directory
//! would be a second implementation of the same trait and touch nothing else.

mod builtin;
mod csv_import;
pub mod ldap;
mod seam_preview;

use async_trait::async_trait;
use recovery_api::Secret;
use time::Date;

pub use builtin::BuiltinDirectory;
pub use csv_import::{read_people_csv, CsvError, NewPerson, PasswordSource};
pub use ldap::LdapDirectory;
pub use seam_preview::{PasswordCheck, PasswordRefusal};

/// Stable identifier of a person, independent of username changes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PersonId(pub String);

impl std::fmt::Display for PersonId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: PersonId,
    pub username: String,
    pub display_name: String,
    /// Where notifications about the account go.
    pub notification_emails: Vec<String>,
    /// Phone numbers HR knows, in E.164.
    pub phones: Vec<String>,
}

/// The second check after the password.
#[derive(Debug)]
pub struct RecoveryKnowledge {
    pub date_of_birth: Date,
    pub pin: Secret,
}

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("directory storage failed")]
    Storage(#[from] sqlx::Error),
    #[error("password hashing failed")]
    Hash(#[from] crate::slow_hash::HashError),
    #[error("a stored person record is corrupt: {0}")]
    Corrupt(String),
    /// The directory server cannot be reached or did not answer in time.
    #[error("the directory cannot be reached: {0}")]
    Unavailable(String),
    /// The directory refuses the service's own account or settings; details in the log.
    #[error("the directory refuses the service's configuration: {0}")]
    Misconfigured(String),
}

#[async_trait]
pub trait Directory: Send + Sync {
    /// Checks the password and, when given, the date of birth + recovery PIN.
    ///
    /// `None` for an unknown username, a wrong password and a wrong second check alike, and
    /// an implementation must spend the same work on each (no enumeration by timing).
    async fn verify(
        &self,
        username: &str,
        password: &Secret,
        knowledge: Option<&RecoveryKnowledge>,
    ) -> Result<Option<Person>, DirectoryError>;

    async fn person(&self, id: &PersonId) -> Result<Option<Person>, DirectoryError>;

    async fn find_by_username(&self, username: &str) -> Result<Option<Person>, DirectoryError>;
}
