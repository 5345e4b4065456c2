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

/// A date of birth as `YYYY-MM-DD`, a real calendar date from 1900 on.
pub fn parse_date_of_birth(raw: &str) -> Result<Date, FieldError> {
    let format = format_description!("[year]-[month]-[day]");
    let date = Date::parse(raw.trim(), format).map_err(|_| {
        error(
            "date_of_birth",
            "Enter a real date as year-month-day, for example 1985-12-10.",
        )
    })?;
    if date.year() < 1900 {
        return Err(error(
            "date_of_birth",
            "Enter a date of birth from 1900 on.",
        ));
    }
    Ok(date)
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
        assert!(parse_date_of_birth("1985-12-10").is_ok());
        assert!(parse_date_of_birth("1985-02-30").is_err());
        assert!(parse_date_of_birth("10/12/1985").is_err());
        assert!(parse_date_of_birth("1850-01-01").is_err());
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
