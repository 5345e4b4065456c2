//! The `Directory` seam: who a person is and how we verify them.
//!
//! The builtin directory keeps people in SQL, filled from an HR CSV export; the LDAP directory
//! reads them from LDAP or Active Directory. Both implement the same trait and touch nothing else.

mod builtin;
mod csv_import;
pub mod ldap;

use async_trait::async_trait;
use recovery_api::Secret;
use time::Date;

pub use builtin::BuiltinDirectory;
pub use csv_import::{
    read_facts_csv, read_people_csv, CsvError, NewFacts, NewPerson, PasswordSource,
};
pub use ldap::LdapDirectory;

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

/// Why the directory refused a password. Outward every reason gets the same answer (no
/// enumeration, no account-state probing); the reason goes to the audit record for the help desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordRefusal {
    /// Unknown username or wrong password: deliberately one reason (AD's 525 and 52e alike).
    Invalid,
    /// AD 532.
    PasswordExpired,
    /// AD 533.
    AccountDisabled,
    /// AD 701.
    AccountExpired,
    /// AD 773: the password is right but must be changed first.
    MustChangePassword,
    /// AD 775: the directory itself locked the account.
    LockedOut,
    /// AD 530 and 531: logon hours or workstation restrictions.
    NotAllowedNow,
}

impl PasswordRefusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invalid => "invalid",
            Self::PasswordExpired => "password_expired",
            Self::AccountDisabled => "account_disabled",
            Self::AccountExpired => "account_expired",
            Self::MustChangePassword => "must_change_password",
            Self::LockedOut => "locked_out",
            Self::NotAllowedNow => "not_allowed_now",
        }
    }
}

/// What the directory says of a username and password.
#[derive(Debug)]
pub enum PasswordCheck {
    Verified(Person),
    Refused(PasswordRefusal),
}

impl PasswordCheck {
    pub fn verified(self) -> Option<Person> {
        match self {
            Self::Verified(person) => Some(person),
            Self::Refused(_) => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("directory storage failed")]
    Storage(#[from] sqlx::Error),
    #[error("password hashing failed")]
    Hash(#[from] crate::slow_hash::HashError),
    #[error("a stored person record is corrupt: {0}")]
    Corrupt(String),
    #[error("a sealed value cannot be opened")]
    Sealed(#[from] crate::sealed::SealError),
    /// The directory server cannot be reached or did not answer in time.
    #[error("the directory cannot be reached: {0}")]
    Unavailable(String),
    /// The directory refuses the service's own account or settings; details in the log.
    #[error("the directory refuses the service's configuration: {0}")]
    Misconfigured(String),
}

/// Who people are and whether a password is theirs. The recovery PIN is not the directory's
/// business: the service keeps it, hashed with the date of birth ([`crate::recovery_pin`]).
#[async_trait]
pub trait Directory: Send + Sync {
    /// Checks the password only. An unknown username and a wrong password cost the same work
    /// (the same hashing, or the same binds and round trips), so timing tells nothing.
    async fn verify_password(
        &self,
        username: &str,
        password: &Secret,
    ) -> Result<PasswordCheck, DirectoryError>;

    /// Called once a whole verification succeeded; the builtin directory rehashes an outdated
    /// password hash there (never earlier: that would make a right password cost more).
    async fn after_verification(
        &self,
        _person: &Person,
        _password: &Secret,
    ) -> Result<(), DirectoryError> {
        Ok(())
    }

    /// The HR fact asked at recovery, needed when the person sets their recovery PIN.
    async fn date_of_birth(&self, person: &Person) -> Result<Option<Date>, DirectoryError>;

    async fn person(&self, id: &PersonId) -> Result<Option<Person>, DirectoryError>;

    async fn find_by_username(&self, username: &str) -> Result<Option<Person>, DirectoryError>;

    /// Whether the person is a member of the group (a DN), for `help_desk.ldap_group`.
    /// Directories without groups answer `false`.
    async fn is_member_of(&self, _person: &Person, _group: &str) -> Result<bool, DirectoryError> {
        Ok(false)
    }
}
