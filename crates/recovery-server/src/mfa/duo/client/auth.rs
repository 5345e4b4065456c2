//! The Auth API calls the Duo provider needs: Duo's clock, checking a passcode (Duo Mobile,
//! SMS, hardware token or bypass code), and a phone call the person answers with a keypress
//! to prove they hold a landline. The Auth API is its own Duo application with its own keys;
//! its calls are v2-signed forms and query strings.

use recovery_api::Secret;
use reqwest::Method;
use serde::Deserialize;
use time::OffsetDateTime;

use super::{transport::decode, DuoClient, DuoError};

/// Whom an Auth API call is about: Duo takes exactly one of the two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DuoUserRef<'a> {
    UserId(&'a str),
    Username(&'a str),
}

impl<'a> DuoUserRef<'a> {
    fn param(self) -> Result<(&'static str, &'a str), DuoError> {
        let (key, value) = match self {
            Self::UserId(value) => ("user_id", value),
            Self::Username(value) => ("username", value),
        };
        if value.is_empty() {
            return Err(DuoError::InvalidInput("an empty user"));
        }
        Ok((key, value))
    }
}

/// Where an asynchronous authentication stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthStatus {
    /// The call is ringing or not yet answered; ask again.
    Waiting,
    Allow,
    /// Duo's `status_msg` (or `status`), e.g. "No keypress detected"; for the log.
    Deny(String),
}

/// `result`, `status`, `status_msg` of `/auth` and `/auth_status`.
#[derive(Deserialize)]
struct AuthResult {
    result: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    status_msg: Option<String>,
}

/// The Auth API application's client.
#[derive(Debug, Clone)]
pub struct DuoAuth {
    client: DuoClient,
}

impl DuoAuth {
    pub(crate) fn new(client: DuoClient) -> Self {
        Self { client }
    }

    /// The raw signed client, for calls not wrapped here.
    pub fn client(&self) -> &DuoClient {
        &self.client
    }

    /// `GET /auth/v2/ping` (unsigned): Duo's current time.
    pub async fn ping(&self) -> Result<OffsetDateTime, DuoError> {
        self.client.server_time().await
    }

    /// `GET /auth/v2/check` (signed): the Auth API keys work. 40102 means a wrong ikey.
    pub async fn check(&self) -> Result<(), DuoError> {
        self.client.call(Method::GET, "/auth/v2/check", &[]).await?;
        Ok(())
    }

    /// `POST /auth/v2/auth` with `factor=passcode`. `true` only for Duo's `allow`; a wrong
    /// code is `false`, not an error. A single-use bypass code is consumed by Duo here.
    pub async fn passcode_auth(
        &self,
        user: DuoUserRef<'_>,
        passcode: &Secret,
    ) -> Result<bool, DuoError> {
        let user = user.param()?;
        let answer: AuthResult = decode(
            self.client
                .call(
                    Method::POST,
                    "/auth/v2/auth",
                    &[
                        user,
                        ("factor", "passcode"),
                        ("passcode", passcode.expose()),
                    ],
                )
                .await?,
            "auth",
        )?;
        match answer.result.as_str() {
            "allow" => Ok(true),
            "deny" => Ok(false),
            _ => Err(DuoError::Protocol(
                "auth answered a result other than allow or deny".to_owned(),
            )),
        }
    }

    /// `POST /auth/v2/auth` with `factor=phone`, `device=<phone_id>`, `async=1`: Duo calls
    /// the phone and the person presses a key. Returns the `txid` for [`Self::auth_status`].
    pub async fn phone_call_async(
        &self,
        user: DuoUserRef<'_>,
        phone_id: &str,
    ) -> Result<String, DuoError> {
        #[derive(Deserialize)]
        struct Started {
            txid: String,
        }
        if phone_id.is_empty() {
            return Err(DuoError::InvalidInput("an empty device"));
        }
        let started: Started = decode(
            self.client
                .call(
                    Method::POST,
                    "/auth/v2/auth",
                    &[
                        user.param()?,
                        ("factor", "phone"),
                        ("device", phone_id),
                        ("async", "1"),
                    ],
                )
                .await?,
            "auth",
        )?;
        Ok(started.txid)
    }

    /// `GET /auth/v2/auth_status?txid=`.
    pub async fn auth_status(&self, txid: &str) -> Result<AuthStatus, DuoError> {
        if txid.is_empty() {
            return Err(DuoError::InvalidInput("an empty txid"));
        }
        let answer: AuthResult = decode(
            self.client
                .call(Method::GET, "/auth/v2/auth_status", &[("txid", txid)])
                .await?,
            "auth_status",
        )?;
        match answer.result.as_str() {
            "waiting" => Ok(AuthStatus::Waiting),
            "allow" => Ok(AuthStatus::Allow),
            "deny" => Ok(AuthStatus::Deny(
                answer.status_msg.or(answer.status).unwrap_or_default(),
            )),
            _ => Err(DuoError::Protocol(
                "auth_status answered an unknown result".to_owned(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::fake::{FakeDuo, Reply};
    use super::*;

    #[tokio::test]
    async fn a_passcode_is_allowed_or_denied() {
        let fake = FakeDuo::start().await;
        let clients = fake.clients();
        fake.reply(Reply::ok(
            json!({"result": "allow", "status": "allow", "status_msg": "Success. Logging you in..."}),
        ));
        fake.reply(Reply::ok(json!({"result": "deny", "status": "deny",
            "status_msg": "Incorrect passcode. Please try again."})));
        let passcode = Secret::new("016931781");
        assert!(clients
            .auth
            .passcode_auth(DuoUserRef::Username("jdoe"), &passcode)
            .await
            .unwrap());
        assert!(!clients
            .auth
            .passcode_auth(DuoUserRef::Username("jdoe"), &passcode)
            .await
            .unwrap());
        let seen = fake.seen();
        assert_eq!(seen[0].method, "POST");
        assert_eq!(seen[0].path, "/auth/v2/auth");
        assert_eq!(
            seen[0].body,
            "factor=passcode&passcode=016931781&username=jdoe"
        );
        assert_eq!(seen[0].signed_by.as_deref(), Some(FakeDuo::AUTH_IKEY));
    }

    #[tokio::test]
    async fn a_phone_call_is_started_and_polled() {
        let fake = FakeDuo::start().await;
        let clients = fake.clients();
        fake.reply(Reply::ok(
            json!({"txid": "45f7c92b-f45f-4862-8545-e0f58e78075a"}),
        ));
        let txid = clients
            .auth
            .phone_call_async(
                DuoUserRef::UserId("DU3RP9I2WOC59VZX672N"),
                "DPLANDLINE0000000001",
            )
            .await
            .unwrap();
        assert_eq!(txid, "45f7c92b-f45f-4862-8545-e0f58e78075a");
        fake.reply(Reply::ok(json!({"result": "waiting", "status": "calling",
            "status_msg": "Dialing XXX-XXX-0111..."})));
        fake.reply(Reply::ok(json!({"result": "allow", "status": "allow",
            "status_msg": "Success. Logging you in..."})));
        fake.reply(Reply::ok(json!({"result": "deny", "status": "deny",
            "status_msg": "No keypress detected"})));
        assert_eq!(
            clients.auth.auth_status(&txid).await.unwrap(),
            AuthStatus::Waiting
        );
        assert_eq!(
            clients.auth.auth_status(&txid).await.unwrap(),
            AuthStatus::Allow
        );
        assert_eq!(
            clients.auth.auth_status(&txid).await.unwrap(),
            AuthStatus::Deny("No keypress detected".to_owned())
        );
        let seen = fake.seen();
        assert_eq!(
            seen[0].body,
            "async=1&device=DPLANDLINE0000000001&factor=phone&user_id=DU3RP9I2WOC59VZX672N"
        );
        assert_eq!(seen[1].method, "GET");
        assert_eq!(seen[1].path, "/auth/v2/auth_status");
        assert_eq!(
            seen[1].query.as_deref(),
            Some("txid=45f7c92b-f45f-4862-8545-e0f58e78075a")
        );
    }

    #[tokio::test]
    async fn ping_is_unsigned_and_check_is_signed() {
        let fake = FakeDuo::start().await;
        let clients = fake.clients();
        fake.reply(Reply::ok(json!({"time": 1357020061})));
        fake.reply(Reply::ok(json!("valid")));
        let time = clients.auth.ping().await.unwrap();
        assert_eq!(time.unix_timestamp(), 1_357_020_061);
        clients.auth.check().await.unwrap();
        let seen = fake.seen();
        assert_eq!(seen[0].path, "/auth/v2/ping");
        assert!(!seen[0].had_authorization);
        assert_eq!(seen[1].path, "/auth/v2/check");
        assert_eq!(seen[1].signed_by.as_deref(), Some(FakeDuo::AUTH_IKEY));
    }

    #[tokio::test]
    async fn no_capable_device_is_a_bad_request() {
        let fake = FakeDuo::start().await;
        let clients = fake.clients();
        fake.reply(Reply::fail(
            400,
            40002,
            "Invalid request parameters",
            Some("no capable device"),
        ));
        let error = clients
            .auth
            .phone_call_async(DuoUserRef::Username("jdoe"), "DP1")
            .await
            .unwrap_err();
        match error {
            DuoError::BadRequest { code, message } => {
                assert_eq!(code, 40002);
                assert_eq!(message, "Invalid request parameters: no capable device");
            }
            other => panic!("{other:?}"),
        }
    }
}
