//! Rules for the fields a person types, checked by the app before sending and by the service on
//! arrival, so both give the same clear message.

use time::{macros::format_description, Date};

/// A field broke its rule; `message` is safe to show and says how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl std::error::Error for FieldError {}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

fn error(field: &'static str, message: &str) -> FieldError {
    FieldError {
        field,
        message: message.to_owned(),
    }
}

pub const USERNAME_MAX_CHARS: usize = 128;
pub const PASSWORD_MAX_BYTES: usize = 1024;
pub const PIN_MIN_DIGITS: usize = 4;
pub const PIN_MAX_DIGITS: usize = 12;
pub const BYPASS_CODE_DIGITS: usize = 9;
pub const DEVICE_CODE_DIGITS: usize = 6;
pub const DEVICE_NAME_MAX_CHARS: usize = 64;
/// The earliest date of birth taken.
pub const EARLIEST_BIRTH_YEAR: i32 = 1900;

/// Usernames compare case-insensitively and without surrounding spaces.
pub fn normalize_username(raw: &str) -> Result<String, FieldError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(error("username", "Enter your username."));
    }
    if trimmed.chars().count() > USERNAME_MAX_CHARS {
        return Err(error("username", "A username has at most 128 characters."));
    }
    if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(error("username", "A username has no spaces."));
    }
    Ok(trimmed.to_lowercase())
}

pub fn check_password(raw: &str) -> Result<(), FieldError> {
    if raw.is_empty() {
        return Err(error("password", "Enter your password."));
    }
    if raw.len() > PASSWORD_MAX_BYTES {
        return Err(error("password", "A password has at most 1024 characters."));
    }
    Ok(())
}

/// A date of birth as `YYYY-MM-DD`: a real calendar date from 1900 on and not after `today`.
pub fn parse_date_of_birth(raw: &str, today: Date) -> Result<Date, FieldError> {
    let format = format_description!("[year]-[month]-[day]");
    let date = Date::parse(raw.trim(), format).map_err(|_| {
        error(
            "date_of_birth",
            "Enter a real date as year-month-day, for example 1985-12-10.",
        )
    })?;
    if date.year() < EARLIEST_BIRTH_YEAR {
        return Err(error(
            "date_of_birth",
            "Enter a date of birth from 1900 on.",
        ));
    }
    if date > today {
        return Err(error(
            "date_of_birth",
            "A date of birth cannot be in the future. Check the year.",
        ));
    }
    Ok(date)
}

/// Characters a device name may not hold: control characters, the marks that reorder text
/// (U+202E shows `gpj.exe` as `exe.jpg`), and line or paragraph separators (a fake new line in
/// a notice or the audit log).
fn unsafe_in_name(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// A device name as typed: trimmed, `None` when empty, at most 64 characters, none of them
/// control, direction or separator characters.
pub fn normalize_device_name(raw: &str) -> Result<Option<String>, FieldError> {
    // Before trimming: U+2028, U+2029 and U+0085 count as white space and would be trimmed
    // away unseen at either end.
    if raw.chars().any(unsafe_in_name) {
        return Err(error(
            "name",
            "A device name cannot hold line breaks, control characters or text-direction marks. Type it again with letters, digits and punctuation.",
        ));
    }
    let name = raw.trim();
    if name.chars().count() > DEVICE_NAME_MAX_CHARS {
        return Err(error("name", "A device name has at most 64 characters."));
    }
    Ok((!name.is_empty()).then(|| name.to_owned()))
}

/// A recovery PIN: 4 to 12 digits.
pub fn check_pin(raw: &str) -> Result<(), FieldError> {
    let digits_only = !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit());
    if !digits_only || !(PIN_MIN_DIGITS..=PIN_MAX_DIGITS).contains(&raw.len()) {
        return Err(error(
            "pin",
            "A recovery PIN is 4 to 12 digits, with no letters or spaces.",
        ));
    }
    Ok(())
}

/// What a passcode is, judged by its length once grouping is removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasscodeKind {
    /// 9 digits: a bypass code from the help desk or from self-service.
    BypassCode,
    /// 6 digits: a code shown by a device the person still has.
    DeviceCode,
}

/// Removes the spaces and dashes people type when copying `123 456 789`, and checks the length.
pub fn normalize_passcode(raw: &str) -> Result<(String, PasscodeKind), FieldError> {
    let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let message =
        "A passcode is the 9-digit code from the help desk, or the 6-digit code your device shows.";
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(error("passcode", message));
    }
    match digits.len() {
        BYPASS_CODE_DIGITS => Ok((digits, PasscodeKind::BypassCode)),
        DEVICE_CODE_DIGITS => Ok((digits, PasscodeKind::DeviceCode)),
        _ => Err(error("passcode", message)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_trimmed_and_lowercased() {
        assert_eq!(normalize_username("  Ada ").ok().as_deref(), Some("ada"));
        assert!(normalize_username("   ").is_err());
        assert!(normalize_username("ada lovelace").is_err());
        assert!(normalize_username(&"a".repeat(129)).is_err());
    }

    #[test]
    fn impossible_dates_are_refused() {
        let today = time::macros::date!(2026 - 12 - 06);
        assert!(parse_date_of_birth("1985-12-10", today).is_ok());
        assert!(parse_date_of_birth("1985-02-30", today).is_err());
        assert!(parse_date_of_birth("10/12/1985", today).is_err());
        assert!(parse_date_of_birth("1850-01-01", today).is_err());
        assert!(parse_date_of_birth("1899-12-31", today).is_err());
        assert!(parse_date_of_birth("1900-01-01", today).is_ok());
        assert!(parse_date_of_birth("2026-12-06", today).is_ok());
        let future = parse_date_of_birth("2026-12-07", today);
        assert_eq!(future.map_err(|e| e.field), Err("date_of_birth"));
        assert!(parse_date_of_birth("2990-01-01", today).is_err());
    }

    #[test]
    fn device_names_refuse_control_direction_and_separator_characters() {
        assert_eq!(
            normalize_device_name("  Desk phone ").ok(),
            Some(Some("Desk phone".to_owned()))
        );
        assert_eq!(normalize_device_name("  ").ok(), Some(None));
        assert!(normalize_device_name("Clé de Zoë 🔑").is_ok());
        for bad in [
            "key\u{202E}gpj.exe",
            "\u{202A}key",
            "\u{2066}key\u{2069}",
            "a\u{200E}b",
            "a\u{200F}b",
            "a\u{061C}b",
            "line\u{2028}break",
            "para\u{2029}graph",
            "trailing\u{2029}",
            "\u{2028}leading",
            "trailing\u{85}",
            "tab\tkey",
            "new\nline",
            "nul\u{0}",
            "c1\u{85}",
        ] {
            let refused = normalize_device_name(bad);
            assert_eq!(refused.map_err(|e| e.field), Err("name"), "{bad:?}");
        }
        assert!(normalize_device_name(&"k".repeat(64)).is_ok());
        assert!(normalize_device_name(&"k".repeat(65)).is_err());
    }

    #[test]
    fn pins_are_digits_only() {
        assert!(check_pin("246810").is_ok());
        assert!(check_pin("24681a").is_err());
        assert!(check_pin("123").is_err());
        assert!(check_pin("1234567890123").is_err());
    }

    #[test]
    fn passcodes_are_judged_by_length() {
        assert_eq!(
            normalize_passcode("123 456-789").ok(),
            Some(("123456789".to_owned(), PasscodeKind::BypassCode))
        );
        assert_eq!(
            normalize_passcode("123456").ok().map(|p| p.1),
            Some(PasscodeKind::DeviceCode)
        );
        assert!(normalize_passcode("12345678").is_err());
        assert!(normalize_passcode("12345678a").is_err());
    }
}
