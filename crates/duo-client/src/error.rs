//! What can go wrong talking to Duo, typed so the provider can pick the next step without
//! reading prose. No variant carries a secret: not the secret key, not a passcode, not a
//! bypass code or activation link, and not a response body (it may hold one of those).

/// A failed Duo call.
#[derive(Debug, thiserror::Error)]
pub enum DuoError {
    /// 401xx: a wrong integration key or secret key, a signature Duo cannot verify, or a
    /// `Date` too far from Duo's clock. An operator has to fix the configuration.
    #[error(
        "Duo refused the application's credentials (code {code}): check the integration key, \
         secret key, API host and clock"
    )]
    Misconfigured { code: u32 },
    /// 403xx: the Duo application lacks an API permission ("Grant read resource", …).
    /// `permission` is Duo's own text when it says more than "Access forbidden".
    #[error(
        "the Duo application lacks an API permission (code {code}){}",
        permission.as_deref().map(|p| format!(": {p}")).unwrap_or_default()
    )]
    Forbidden {
        code: u32,
        permission: Option<String>,
    },
    /// 404xx: no such user, phone, token or credential.
    #[error("Duo has no such object (code {code})")]
    NotFound { code: u32 },
    /// Other 4xx: Duo refused the parameters. `message` is Duo's text, for the admin log only;
    /// it stays out of `Display` so it never reaches a person.
    #[error("Duo refused the request (code {code})")]
    BadRequest { code: u32, message: String },
    /// 429 after Duo's full backoff schedule.
    #[error("Duo is rate limiting this application; gave up after backing off")]
    RateLimited,
    /// Network failure, timeout or a 5xx (including 50001, which Duo also uses for "too many
    /// objects for this user").
    #[error("Duo cannot be reached: {0}")]
    Unavailable(String),
    /// An answer that is not Duo's envelope or not the shape the call expects.
    #[error("Duo's answer was not understood: {0}")]
    Protocol(String),
    /// The caller passed something this client refuses to send (an id that is not an id, a
    /// bypass code that would never expire, an invalid `X-Duo-*` header).
    #[error("refused to send this request to Duo: {0}")]
    InvalidInput(&'static str),
}

/// A [`crate::DuoConfig`] that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DuoConfigError {
    #[error("duo.api_host must be a bare host name such as api-xxxxxxxx.duosecurity.com")]
    InvalidApiHost,
    #[error("duo.base_url is not usable: {0}")]
    InvalidBaseUrl(&'static str),
    /// Plain http would expose signed requests and the codes in answers.
    #[error("duo.base_url may use http:// only for localhost or a loopback address")]
    InsecureBaseUrl,
    #[error("duo.{0} is empty")]
    Missing(&'static str),
    #[error("duo.timeout_seconds must be at least 1")]
    ZeroTimeout,
    #[error("the HTTP client for Duo cannot be built: {0}")]
    Http(String),
}

impl DuoError {
    /// Maps Duo's `FAIL` envelope. The HTTP status equals the first three digits of `code`.
    pub(crate) fn from_failure(code: u32, message: Option<&str>, detail: Option<&str>) -> Self {
        let text = match (message, detail) {
            (Some(m), Some(d)) if !d.is_empty() => format!("{m}: {d}"),
            (Some(m), _) => m.to_owned(),
            (None, Some(d)) => d.to_owned(),
            (None, None) => String::new(),
        };
        match code / 100 {
            401 => Self::Misconfigured { code },
            403 => Self::Forbidden {
                code,
                permission: (!text.is_empty() && !text.eq_ignore_ascii_case("access forbidden"))
                    .then_some(text),
            },
            404 => Self::NotFound { code },
            429 => Self::RateLimited,
            500..=599 => Self::Unavailable(format!("Duo answered code {code}")),
            400..=499 => Self::BadRequest {
                code,
                message: text,
            },
            _ => Self::Protocol(format!("failure with an unknown code {code}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_variants() {
        assert!(matches!(
            DuoError::from_failure(
                40103,
                Some("Invalid signature in request credentials"),
                None
            ),
            DuoError::Misconfigured { code: 40103 }
        ));
        assert!(matches!(
            DuoError::from_failure(40401, Some("Resource not found"), None),
            DuoError::NotFound { code: 40401 }
        ));
        assert!(matches!(
            DuoError::from_failure(42901, Some("Too Many Requests"), None),
            DuoError::RateLimited
        ));
        assert!(matches!(
            DuoError::from_failure(50001, None, None),
            DuoError::Unavailable(_)
        ));
        match DuoError::from_failure(40002, Some("Invalid request parameters"), Some("user_id")) {
            DuoError::BadRequest { code, message } => {
                assert_eq!(code, 40002);
                assert_eq!(message, "Invalid request parameters: user_id");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn forbidden_names_the_permission_only_when_duo_does() {
        let generic = DuoError::from_failure(40301, Some("Access forbidden"), None);
        assert_eq!(
            generic.to_string(),
            "the Duo application lacks an API permission (code 40301)"
        );
        let named = DuoError::from_failure(
            40301,
            Some("Access forbidden"),
            Some("Grant write resource"),
        );
        assert!(
            named
                .to_string()
                .ends_with(": Access forbidden: Grant write resource"),
            "{named}"
        );
    }

    #[test]
    fn display_keeps_duo_messages_out_of_bad_requests() {
        let error = DuoError::from_failure(40002, Some("Invalid request parameters"), Some("x"));
        assert_eq!(error.to_string(), "Duo refused the request (code 40002)");
    }
}
