//! Security-key enrolment links: the help desk e-mails the person a single-use link to a page
//! the service serves, where they register a key in their own browser.
//!
//! The code in the link is 256 random bits and the only credential: the service keeps its keyed
//! hash ([`crate::token`]), never the code. A link works until the first of: a key registered
//! through it (`used_at`, set by a conditional update in the registration's own unit of work,
//! so of concurrent answers exactly one wins), its expiry (at most 24 hours), or
//! [`MAX_REJECTED`] refused answers. Each link records who sent it, for the audit trail.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use recovery_api::Secret;
use sqlx::Row;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::{
    clock::{from_unix, to_unix},
    directory::PersonId,
    storage::{Database, UnitOfWork},
    token::{self, TokenHasher},
};

const PURPOSE: &str = "security-key-link";
/// Random bytes in a code (256 bits).
const CODE_BYTES: usize = 32;
/// The longest a link may work.
pub const MAX_VALID: Duration = Duration::hours(24);
/// Refused answers (a wrong or forged credential, a foreign registration) that end a link.
pub const MAX_REJECTED: i64 = 5;
/// Registrations a link may begin: each writes a row, and a person needs a few at most.
pub const MAX_STARTED: i64 = 20;

/// A link code as it arrives in an address: only its shape is checked here.
#[derive(Clone, PartialEq, Eq)]
pub struct LinkCode(Secret);

impl std::fmt::Debug for LinkCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkCode(<redacted>)")
    }
}

impl LinkCode {
    /// The code when `text` is one this service could have made (base64url of 32 bytes).
    pub fn parse(text: &str) -> Option<Self> {
        let decoded = URL_SAFE_NO_PAD.decode(text.as_bytes()).ok()?;
        (decoded.len() == CODE_BYTES).then(|| Self(Secret::new(text)))
    }

    fn generate() -> Self {
        Self(token::generate_bytes(CODE_BYTES))
    }

    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

/// Who sent a link: an agent (and their session), or the service's operator at the CLI.
#[derive(Debug, Clone)]
pub struct LinkSender {
    pub username: String,
    pub agent_session: Option<String>,
}

/// A link just made; its code goes into the e-mail and nowhere else.
#[derive(Debug)]
pub struct NewLink {
    pub id: String,
    pub code: LinkCode,
    pub expires_at: OffsetDateTime,
}

/// A link that still works.
#[derive(Debug, Clone)]
pub struct OpenLink {
    pub id: String,
    pub person_id: PersonId,
    pub created_by: String,
    pub expires_at: OffsetDateTime,
    pub rejected: i64,
}

#[derive(Debug, Clone)]
pub struct SecurityKeyLinks {
    db: Database,
    tokens: TokenHasher,
}

impl SecurityKeyLinks {
    pub fn new(db: Database, tokens: TokenHasher) -> Self {
        Self { db, tokens }
    }

    /// Stores a new link for the person in `work`; earlier links of theirs keep working until
    /// they end (each is single-use and short-lived).
    pub async fn create(
        &self,
        work: &mut UnitOfWork,
        person: &PersonId,
        sender: &LinkSender,
        valid_for: Duration,
        now: OffsetDateTime,
    ) -> Result<NewLink, sqlx::Error> {
        let code = LinkCode::generate();
        let id = Uuid::new_v4().to_string();
        let expires_at = now + valid_for.min(MAX_VALID);
        sqlx::query(
            "INSERT INTO security_key_links (id, person_id, code_hash, created_by, agent_session, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(&person.0)
        .bind(self.hash(&code))
        .bind(&sender.username)
        .bind(sender.agent_session.as_deref())
        .bind(to_unix(now))
        .bind(to_unix(expires_at))
        .execute(work.conn().await?)
        .await?;
        Ok(NewLink {
            id,
            code,
            expires_at,
        })
    }

    /// The link the code opens, if it still works.
    pub async fn find_open(
        &self,
        code: &LinkCode,
        now: OffsetDateTime,
    ) -> Result<Option<OpenLink>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT id, person_id, created_by, expires_at, rejected FROM security_key_links \
             WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2 AND rejected < $3",
        )
        .bind(self.hash(code))
        .bind(to_unix(now))
        .bind(MAX_REJECTED)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|row| {
            Ok(OpenLink {
                id: row.try_get("id")?,
                person_id: PersonId(row.try_get("person_id")?),
                created_by: row.try_get("created_by")?,
                expires_at: from_unix(row.try_get("expires_at")?),
                rejected: row.try_get("rejected")?,
            })
        })
        .transpose()
    }

    /// Counts a registration begun through the link, in `work`; `false` when the link no
    /// longer works or has begun [`MAX_STARTED`] already.
    pub async fn count_start(
        &self,
        work: &mut UnitOfWork,
        link_id: &str,
        now: OffsetDateTime,
    ) -> Result<bool, sqlx::Error> {
        let counted = sqlx::query(
            "UPDATE security_key_links SET started = started + 1 WHERE id = $1 \
             AND used_at IS NULL AND expires_at > $2 AND rejected < $3 AND started < $4",
        )
        .bind(link_id)
        .bind(to_unix(now))
        .bind(MAX_REJECTED)
        .bind(MAX_STARTED)
        .execute(work.conn().await?)
        .await?;
        Ok(counted.rows_affected() == 1)
    }

    /// Spends the link in `work`, with the key it registered: `false` when another answer
    /// spent it first, or it ended meanwhile.
    pub async fn spend(
        &self,
        work: &mut UnitOfWork,
        link_id: &str,
        now: OffsetDateTime,
    ) -> Result<bool, sqlx::Error> {
        let spent = sqlx::query(
            "UPDATE security_key_links SET used_at = $1 WHERE id = $2 \
             AND used_at IS NULL AND expires_at > $1 AND rejected < $3",
        )
        .bind(to_unix(now))
        .bind(link_id)
        .bind(MAX_REJECTED)
        .execute(work.conn().await?)
        .await?;
        Ok(spent.rows_affected() == 1)
    }

    /// Counts a refused answer in `work`; returns how many more the link takes (0: it ended).
    pub async fn reject(&self, work: &mut UnitOfWork, link_id: &str) -> Result<i64, sqlx::Error> {
        let row = sqlx::query(
            "UPDATE security_key_links SET rejected = rejected + 1 WHERE id = $1 \
             AND used_at IS NULL RETURNING rejected",
        )
        .bind(link_id)
        .fetch_optional(work.conn().await?)
        .await?;
        let rejected: i64 = match row {
            Some(row) => row.try_get("rejected")?,
            None => MAX_REJECTED,
        };
        Ok((MAX_REJECTED - rejected).max(0))
    }

    fn hash(&self, code: &LinkCode) -> String {
        self.tokens.hash(PURPOSE, code.expose())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_codes_of_the_right_shape_parse() {
        let code = LinkCode::generate();
        assert_eq!(code.expose().len(), 43);
        assert!(LinkCode::parse(code.expose()).is_some());
        for bad in [
            "",
            "short",
            &code.expose()[..42],
            &format!("{}A", code.expose()),
            &format!("{}=", &code.expose()[..42]),
            "../../etc/passwd",
            &"é".repeat(43),
        ] {
            assert!(LinkCode::parse(bad).is_none(), "{bad}");
        }
        assert!(!format!("{code:?}").contains(code.expose()));
    }
}
