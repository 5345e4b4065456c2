//! Active Directory's reason for a refused bind.
//!
//! AD answers every refused simple bind with result code 49 (invalidCredentials) and puts the
//! reason in the diagnostic message, as a hex Win32 code after `data`:
//! `80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data 775, v3839`.
//! 525 (no such user) and 52e (wrong password) are one reason on purpose, so the audit record
//! cannot tell an attacker which usernames exist either. The others are only sent for a correct
//! password. Other servers (OpenLDAP) send no such code: that is [`PasswordRefusal::Invalid`].

use crate::directory::PasswordRefusal;

/// The refusal a bind's diagnostic message names; `Invalid` when it names none we know.
pub fn refusal_from_diagnostic(message: &str) -> PasswordRefusal {
    match data_code(message).as_deref() {
        Some("530" | "531") => PasswordRefusal::NotAllowedNow,
        Some("532") => PasswordRefusal::PasswordExpired,
        Some("533") => PasswordRefusal::AccountDisabled,
        Some("701") => PasswordRefusal::AccountExpired,
        Some("773") => PasswordRefusal::MustChangePassword,
        Some("775") => PasswordRefusal::LockedOut,
        _ => PasswordRefusal::Invalid,
    }
}

/// The hex code after the word `data`, lowercase.
fn data_code(message: &str) -> Option<String> {
    message
        .split(|c: char| c == ',' || c.is_whitespace())
        .skip_while(|word| !word.eq_ignore_ascii_case("data"))
        .nth(1)
        .filter(|code| !code.is_empty() && code.chars().all(|c| c.is_ascii_hexdigit()))
        .map(str::to_ascii_lowercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Messages as Windows Server 2012–2022 domain controllers send them.
    fn ad(data: &str) -> String {
        format!(
            "80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data {data}, v3839\u{0}"
        )
    }

    #[test]
    fn every_ad_reason_maps_to_its_refusal() {
        let cases = [
            ("525", PasswordRefusal::Invalid),
            ("52e", PasswordRefusal::Invalid),
            ("52E", PasswordRefusal::Invalid),
            ("530", PasswordRefusal::NotAllowedNow),
            ("531", PasswordRefusal::NotAllowedNow),
            ("532", PasswordRefusal::PasswordExpired),
            ("533", PasswordRefusal::AccountDisabled),
            ("701", PasswordRefusal::AccountExpired),
            ("773", PasswordRefusal::MustChangePassword),
            ("775", PasswordRefusal::LockedOut),
        ];
        for (code, expected) in cases {
            assert_eq!(refusal_from_diagnostic(&ad(code)), expected, "data {code}");
        }
    }

    #[test]
    fn other_layouts_are_read_too() {
        // Other DSIDs and version suffixes, no trailing NUL.
        let other = "80090308: LdapErr: DSID-0C090334, comment: AcceptSecurityContext error, \
                     data 773, vece";
        assert_eq!(
            refusal_from_diagnostic(other),
            PasswordRefusal::MustChangePassword
        );
        let last =
            "80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 533";
        assert_eq!(
            refusal_from_diagnostic(last),
            PasswordRefusal::AccountDisabled
        );
    }

    #[test]
    fn messages_without_a_known_code_are_invalid() {
        for message in [
            "",
            "Invalid credentials",
            "data",
            "data ,",
            "80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data 999",
            "80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data xyz",
            "metadata 775",
        ] {
            assert_eq!(
                refusal_from_diagnostic(message),
                PasswordRefusal::Invalid,
                "{message:?}"
            );
        }
    }
}
