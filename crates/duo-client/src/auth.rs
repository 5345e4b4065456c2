//! The Auth API calls the Duo provider needs: Duo's clock, checking a passcode (Duo Mobile,
//! SMS, hardware token or bypass code), and a phone call the person answers with a keypress
//! to prove they hold a landline. The Auth API is its own Duo application with its own keys;
//! its calls are v2-signed forms and query strings.

use recovery_api::Secret;
use reqwest::Method;
use serde::Deserialize;
use time::OffsetDateTime;

use crate::{envelope::decode, DuoClient, DuoError};

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
