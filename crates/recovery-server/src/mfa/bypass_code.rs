//! Bypass codes and the passcodes people type.

use rand::{rngs::OsRng, Rng};
use recovery_api::{
    fields::{self, FieldError, PasscodeKind},
    Secret,
};

/// A freshly made bypass code: 9 random digits (about 30 bits), so it is only ever stored as
/// an argon2id hash, lives minutes, and works once.
#[derive(Debug)]
pub struct BypassCode(Secret);

impl BypassCode {
    pub fn generate() -> Self {
        let value: u32 = OsRng.gen_range(0..1_000_000_000);
        Self(Secret::new(format!("{value:09}")))
    }

    /// A code the MFA system of record made (Duo makes its own).
    pub fn from_provider(code: Secret) -> Self {
        Self(code)
    }

    pub fn secret(&self) -> &Secret {
        &self.0
    }

    pub fn into_secret(self) -> Secret {
        self.0
    }
}

/// A passcode as typed at sign-in, normalised (grouping removed) and checked for length.
#[derive(Debug)]
pub struct Passcode {
    digits: Secret,
    kind: PasscodeKind,
}

impl Passcode {
    pub fn parse(raw: &Secret) -> Result<Self, FieldError> {
        let (digits, kind) = fields::normalize_passcode(raw.expose())?;
        Ok(Self {
            digits: Secret::new(digits),
            kind,
        })
    }

    pub fn kind(&self) -> PasscodeKind {
        self.kind
    }

    pub fn digits(&self) -> &Secret {
        &self.digits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_nine_digits() {
        for _ in 0..100 {
            let code = BypassCode::generate();
            assert_eq!(code.secret().expose().len(), 9);
            assert!(code.secret().expose().bytes().all(|b| b.is_ascii_digit()));
        }
    }
}
