//! The seam's password check, as the lead's "Directory:" refactor defines it. Kept apart from
//! `mod.rs` so that the merge replaces it by the real definitions without a conflict here.

use super::Person;

/// Why a password was refused. Outward every reason gets the same answer; the reason goes to
/// the audit record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordRefusal {
    /// Unknown username or wrong password: deliberately one reason (AD 525 and 52e alike).
    Invalid,
    /// AD 532.
    PasswordExpired,
    /// AD 533.
    AccountDisabled,
    /// AD 701.
    AccountExpired,
    /// AD 773.
    MustChangePassword,
    /// AD 775.
    LockedOut,
    /// AD 530, 531 (logon hours, workstation).
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

#[derive(Debug)]
pub enum PasswordCheck {
    Verified(Person),
    Refused(PasswordRefusal),
}
