//! What makes a recovery PIN acceptable when a person chooses one. Imported PINs and PINs typed
//! at verification are only checked for shape (4 to 12 digits): this policy is for new ones.

use serde::{Deserialize, Serialize};
use time::Date;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PinPolicy {
    pub min_digits: u8,
    pub max_digits: u8,
    /// PINs refused besides the built-in rules (e.g. the organisation's phone extension prefix).
    pub blocklist: Vec<String>,
}

impl Default for PinPolicy {
    fn default() -> Self {
        Self {
            min_digits: 6,
            max_digits: 12,
            blocklist: Vec::new(),
        }
    }
}

/// Why a chosen PIN is refused; the person is told which rule, never anything stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PinRejection {
    #[error("a recovery PIN is {min} to {max} digits, with no letters or spaces")]
    Shape { min: u8, max: u8 },
    #[error("the same digit repeated, or digits in a row (123456, 987654) are too easy to guess")]
    Sequence,
    #[error("a PIN made of the date of birth is too easy to guess")]
    DateOfBirth,
    #[error("this PIN is too common")]
    Blocklisted,
}

impl PinPolicy {
    /// Whether the configured bounds make sense: the load refuses a policy that none could meet.
    pub fn check_bounds(&self) -> Result<(), String> {
        if self.min_digits < 4 || self.max_digits > 12 || self.min_digits > self.max_digits {
            return Err(format!(
                "recovery_pin: min_digits and max_digits must satisfy 4 <= min <= max <= 12 (got {} and {})",
                self.min_digits, self.max_digits
            ));
        }
        if let Some(bad) = self
            .blocklist
            .iter()
            .find(|pin| pin.is_empty() || !pin.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(format!(
                "recovery_pin.blocklist holds {bad:?}, which is not a PIN of digits"
            ));
        }
        Ok(())
    }

    pub fn check(&self, pin: &str, date_of_birth: Date) -> Result<(), PinRejection> {
        let length = pin.len();
        if !pin.bytes().all(|b| b.is_ascii_digit())
            || length < usize::from(self.min_digits)
            || length > usize::from(self.max_digits)
        {
            return Err(PinRejection::Shape {
                min: self.min_digits,
                max: self.max_digits,
            });
        }
        if is_sequence(pin.as_bytes()) {
            return Err(PinRejection::Sequence);
        }
        if date_forms(date_of_birth)
            .iter()
            .any(|form| pin.contains(form.as_str()))
        {
            return Err(PinRejection::DateOfBirth);
        }
        if self.blocklist.iter().any(|blocked| blocked == pin) {
            return Err(PinRejection::Blocklisted);
        }
        Ok(())
    }
}

/// One digit repeated, or each digit one more (or one less) than the one before, wrapping
/// (890123, 321098), or a short block repeated (121212, 123123).
fn is_sequence(digits: &[u8]) -> bool {
    let steps: Vec<u8> = digits
        .windows(2)
        .map(|pair| (10 + pair[1] - pair[0]) % 10)
        .collect();
    if let Some(first) = steps.first() {
        if matches!(first, 0 | 1 | 9) && steps.iter().all(|step| step == first) {
            return true;
        }
    }
    (1..=digits.len() / 2).any(|block| {
        digits.len().is_multiple_of(block)
            && digits.chunks(block).all(|chunk| chunk == &digits[..block])
    })
}

/// The date of birth as people write it in digits, with a 4- or 2-digit year.
fn date_forms(date: Date) -> Vec<String> {
    let (y, m, d) = (date.year(), u8::from(date.month()), date.day());
    let yy = y % 100;
    vec![
        format!("{y:04}{m:02}{d:02}"),
        format!("{d:02}{m:02}{y:04}"),
        format!("{m:02}{d:02}{y:04}"),
        format!("{yy:02}{m:02}{d:02}"),
        format!("{d:02}{m:02}{yy:02}"),
        format!("{m:02}{d:02}{yy:02}"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn check(pin: &str) -> Result<(), PinRejection> {
        PinPolicy::default().check(pin, date!(1985 - 12 - 10))
    }

    #[test]
    fn refuses_trivial_pins() {
        for pin in [
            "000000", "111111", "123456", "234567", "890123", "987654", "210987",
        ] {
            assert_eq!(check(pin), Err(PinRejection::Sequence), "{pin}");
        }
        for pin in ["121212", "123123", "456456456"] {
            assert_eq!(check(pin), Err(PinRejection::Sequence), "{pin}");
        }
    }

    #[test]
    fn refuses_the_date_of_birth() {
        for pin in [
            "19851210", "10121985", "12101985", "851210", "101285", "121085",
        ] {
            assert_eq!(check(pin), Err(PinRejection::DateOfBirth), "{pin}");
        }
    }

    #[test]
    fn refuses_wrong_shapes_and_the_blocklist() {
        let shape = Err(PinRejection::Shape { min: 6, max: 12 });
        for pin in [
            "",
            "12345",
            "1234567890123",
            "24681a",
            "246 810",
            "２４６８１０",
        ] {
            assert_eq!(check(pin), shape, "{pin:?}");
        }
        let policy = PinPolicy {
            blocklist: vec!["246810".to_owned()],
            ..PinPolicy::default()
        };
        assert_eq!(
            policy.check("246810", date!(1985 - 12 - 10)),
            Err(PinRejection::Blocklisted)
        );
    }

    #[test]
    fn accepts_ordinary_pins() {
        for pin in ["246810", "135790", "975310", "480162", "2718281828"] {
            assert_eq!(check(pin), Ok(()), "{pin}");
        }
    }

    #[test]
    fn bounds_are_checked_at_load() {
        let bad = PinPolicy {
            min_digits: 8,
            max_digits: 6,
            blocklist: vec![],
        };
        assert!(bad.check_bounds().is_err());
        assert!(PinPolicy::default().check_bounds().is_ok());
    }
}
