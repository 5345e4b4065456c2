//! Phone numbers as people type them, normalised to E.164 with libphonenumber's rules.

use phonenumber::{country, Mode, PhoneNumber, Type};

/// A valid number in E.164 form (`+12015550178`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct E164Number(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneNumberError {
    #[error("not a valid phone number")]
    Invalid,
    #[error("a mobile-only number, not a landline")]
    MobileOnly,
    #[error("an extension has 1 to 10 digits")]
    Extension,
    #[error("unknown default region")]
    Region,
}

impl E164Number {
    pub fn parse(raw: &str, default_region: &str) -> Result<Self, PhoneNumberError> {
        Ok(Self::from_parsed(&parse(raw, default_region)?))
    }

    /// A number that can take a voice call on a fixed line: mobile-only ranges are refused.
    pub fn parse_landline(raw: &str, default_region: &str) -> Result<Self, PhoneNumberError> {
        let number = parse(raw, default_region)?;
        // Only numbers a desk phone has: premium-rate and shared-cost numbers would let
        // anyone make the service pay for calls.
        match number.number_type(&phonenumber::metadata::DATABASE) {
            Type::Mobile | Type::Pager => Err(PhoneNumberError::MobileOnly),
            Type::FixedLine | Type::FixedLineOrMobile | Type::TollFree | Type::Voip => {
                Ok(Self::from_parsed(&number))
            }
            _ => Err(PhoneNumberError::Invalid),
        }
    }

    /// Trusted input (already E.164 in storage).
    pub fn from_stored(e164: String) -> Self {
        Self(e164)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last four digits only, for screens that may be shared.
    pub fn hint(&self) -> String {
        let digits: Vec<char> = self.0.chars().filter(char::is_ascii_digit).collect();
        let tail: String = digits[digits.len().saturating_sub(4)..].iter().collect();
        format!("•••• {tail}")
    }

    fn from_parsed(number: &PhoneNumber) -> Self {
        Self(number.format().mode(Mode::E164).to_string())
    }
}

fn parse(raw: &str, default_region: &str) -> Result<PhoneNumber, PhoneNumberError> {
    let region: country::Id = default_region
        .parse()
        .map_err(|_| PhoneNumberError::Region)?;
    let number = phonenumber::parse(Some(region), raw).map_err(|_| PhoneNumberError::Invalid)?;
    if phonenumber::is_valid(&number) {
        Ok(number)
    } else {
        Err(PhoneNumberError::Invalid)
    }
}

/// An extension: digits only, dialled after the call is answered.
pub fn parse_extension(raw: Option<&str>) -> Result<Option<String>, PhoneNumberError> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    let valid = raw.len() <= 10 && raw.bytes().all(|b| b.is_ascii_digit());
    valid
        .then(|| Some(raw.to_owned()))
        .ok_or(PhoneNumberError::Extension)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn landlines_are_normalised_and_mobiles_refused() {
        assert_eq!(
            E164Number::parse_landline("(201) 555-0178", "US").map(|n| n.0),
            Ok("+12015550178".to_owned())
        );
        assert_eq!(
            E164Number::parse_landline("+34 912 345 678", "US").map(|n| n.0),
            Ok("+34912345678".to_owned())
        );
        assert_eq!(
            E164Number::parse_landline("+34 612 345 678", "US"),
            Err(PhoneNumberError::MobileOnly)
        );
        assert_eq!(
            E164Number::parse_landline("12", "US"),
            Err(PhoneNumberError::Invalid)
        );
        assert_eq!(
            E164Number::parse_landline("+1 900 234 5678", "US"),
            Err(PhoneNumberError::Invalid),
            "premium rate"
        );
        assert_eq!(
            E164Number::parse_landline("not a number", "US"),
            Err(PhoneNumberError::Invalid)
        );
    }

    #[test]
    fn extensions_are_digits() {
        assert_eq!(parse_extension(Some(" 123 ")), Ok(Some("123".to_owned())));
        assert_eq!(parse_extension(Some("")), Ok(None));
        assert_eq!(
            parse_extension(Some("12a")),
            Err(PhoneNumberError::Extension)
        );
        assert_eq!(
            parse_extension(Some("12345678901")),
            Err(PhoneNumberError::Extension)
        );
    }
}
