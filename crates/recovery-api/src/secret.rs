use std::fmt;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// A secret string on the wire: a password, PIN, passcode or token.
///
/// It serializes (it has to cross the wire once), but `Debug` prints `<redacted>` and the
/// memory is wiped on drop. Read it only through [`Secret::expose`], at the place that needs it.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(Zeroizing::new(value.into()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::new("246810");
        assert_eq!(format!("{secret:?}"), "<redacted>");
        assert_eq!(format!("{:?}", Some(&secret)), "Some(<redacted>)");
    }

    #[test]
    fn serializes_as_a_plain_string() {
        let secret = Secret::new("abc");
        assert_eq!(
            serde_json::to_string(&secret).ok().as_deref(),
            Some("\"abc\"")
        );
    }
}
