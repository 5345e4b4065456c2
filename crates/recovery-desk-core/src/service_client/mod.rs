//! The service's HTTP API, spoken with the wire types of `recovery-api`. The help desk's routes
//! (`/v1/help-desk/…`) are in [`help_desk`].
//!
//! Every answer is either the route's value or a [`ClientError`]: the service's problem
//! document, or the reason no usable answer came back.

use std::time::Duration;

use recovery_api::{
    authenticator::{Authenticator, AuthenticatorList},
    bypass_code::BypassCodeIssued,
    demo::Outbox,
    hardware_token::ResyncToken,
    kiosk::{EnrollKiosk, KioskEnrolled, KIOSK_CREDENTIAL_HEADER},
    phone::{ActivationCreated, ActivationSent, AddPhone, PhoneAdded, RemovalReason, VerifyPhone},
    recovery_pin::{RecoveryPinSet, RecoveryPinStatus, SetRecoveryPin},
    security_key::{FinishRegistration, RegistrationStarted, RenameAuthenticator},
    session::{CreateSession, SessionCreated},
    Problem, Secret,
};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use url::Url;

mod help_desk;

/// How long one request may take before the person is told the service is unreachable.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The service answered with a problem document.
    #[error("the service refused: {}", .0.code)]
    Problem(Box<Problem>),
    /// No answer: connection refused, DNS, TLS or a timeout.
    #[error("the service cannot be reached: {0}")]
    Unreachable(reqwest::Error),
    /// An answer that is not what the API promises (a proxy's error page, a bug).
    #[error("the service answered {status} with an unexpected body")]
    Unexpected { status: StatusCode },
}

/// The outcome of checking a phone: verified, or (for a call that must be answered) not yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneCheck {
    Verified(Authenticator),
    Waiting,
}

/// A client for one service. Cheap to clone.
#[derive(Clone)]
pub struct ServiceClient {
    http: reqwest::Client,
    base: Url,
    kiosk_credential: Option<Secret>,
}

impl std::fmt::Debug for ServiceClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceClient")
            .field("base", &self.base.as_str())
            .field("kiosk", &self.kiosk_credential.is_some())
            .finish()
    }
}

impl ServiceClient {
    /// `base` is the service's root (`https://recovery.example.edu`); the client adds `/v1/…`.
    /// `kiosk_credential`, when enrolled, goes with every request.
    pub fn new(base: Url, kiosk_credential: Option<Secret>) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("recovery-desk/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(ClientError::Unreachable)?;
        Ok(Self {
            http,
            base,
            kiosk_credential,
        })
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    pub async fn create_session(
        &self,
        request: &CreateSession,
    ) -> Result<SessionCreated, ClientError> {
        let response = self
            .request(Method::POST, "/v1/recovery/sessions", None)
            .json(request);
        expect_json(send(response).await?, StatusCode::CREATED).await
    }

    pub async fn end_session(&self, token: &Secret) -> Result<(), ClientError> {
        let response = self.request(Method::DELETE, "/v1/recovery/sessions/current", Some(token));
        expect_empty(send(response).await?).await
    }

    pub async fn authenticators(&self, token: &Secret) -> Result<Vec<Authenticator>, ClientError> {
        let response = self.request(Method::GET, "/v1/me/authenticators", Some(token));
        let list: AuthenticatorList = expect_json(send(response).await?, StatusCode::OK).await?;
        Ok(list.authenticators)
    }

    pub async fn remove_authenticator(
        &self,
        token: &Secret,
        id: &str,
        reason: RemovalReason,
    ) -> Result<(), ClientError> {
        let path = format!("/v1/me/authenticators/{}", segment(id));
        let response = self
            .request(Method::DELETE, &path, Some(token))
            .query(&[("reason", reason.as_str())]);
        expect_empty(send(response).await?).await
    }

    pub async fn rename_authenticator(
        &self,
        token: &Secret,
        id: &str,
        request: &RenameAuthenticator,
    ) -> Result<Authenticator, ClientError> {
        let path = format!("/v1/me/authenticators/{}", segment(id));
        let response = self
            .request(Method::PATCH, &path, Some(token))
            .json(request);
        expect_json(send(response).await?, StatusCode::OK).await
    }

    pub async fn issue_bypass_code(&self, token: &Secret) -> Result<BypassCodeIssued, ClientError> {
        let response = self.request(Method::POST, "/v1/me/bypass-codes", Some(token));
        expect_json(send(response).await?, StatusCode::CREATED).await
    }

    pub async fn recovery_pin_status(
        &self,
        token: &Secret,
    ) -> Result<RecoveryPinStatus, ClientError> {
        let response = self.request(Method::GET, "/v1/me/recovery-pin", Some(token));
        expect_json(send(response).await?, StatusCode::OK).await
    }

    /// Sets or replaces the recovery PIN; the service checks its policy and tells the person.
    pub async fn set_recovery_pin(
        &self,
        token: &Secret,
        request: &SetRecoveryPin,
    ) -> Result<RecoveryPinSet, ClientError> {
        let response = self
            .request(Method::PUT, "/v1/me/recovery-pin", Some(token))
            .json(request);
        expect_json(send(response).await?, StatusCode::OK).await
    }

    pub async fn add_phone(
        &self,
        token: &Secret,
        request: &AddPhone,
    ) -> Result<PhoneAdded, ClientError> {
        let response = self
            .request(Method::POST, "/v1/me/phones", Some(token))
            .json(request);
        expect_json(send(response).await?, StatusCode::CREATED).await
    }

    pub async fn verify_phone(
        &self,
        token: &Secret,
        id: &str,
        request: &VerifyPhone,
    ) -> Result<PhoneCheck, ClientError> {
        let path = format!("/v1/me/phones/{}/verify", segment(id));
        let response = send(self.request(Method::POST, &path, Some(token)).json(request)).await?;
        if response.status() == StatusCode::ACCEPTED {
            return Ok(PhoneCheck::Waiting);
        }
        Ok(PhoneCheck::Verified(
            expect_json(response, StatusCode::OK).await?,
        ))
    }

    pub async fn create_activation(
        &self,
        token: &Secret,
        phone_id: &str,
    ) -> Result<ActivationCreated, ClientError> {
        let path = format!("/v1/me/phones/{}/activation", segment(phone_id));
        let response = self.request(Method::POST, &path, Some(token));
        expect_json(send(response).await?, StatusCode::CREATED).await
    }

    pub async fn text_activation(
        &self,
        token: &Secret,
        phone_id: &str,
    ) -> Result<ActivationSent, ClientError> {
        let path = format!("/v1/me/phones/{}/activation/sms", segment(phone_id));
        let response = self.request(Method::POST, &path, Some(token));
        expect_json(send(response).await?, StatusCode::ACCEPTED).await
    }

    pub async fn resync_token(
        &self,
        token: &Secret,
        id: &str,
        request: &ResyncToken,
    ) -> Result<Authenticator, ClientError> {
        let path = format!("/v1/me/hardware-tokens/{}/resync", segment(id));
        let response = self.request(Method::POST, &path, Some(token)).json(request);
        expect_json(send(response).await?, StatusCode::OK).await
    }

    /// Creation options (the person's keys excluded) and the origin the key must be told.
    pub async fn start_security_key_registration(
        &self,
        token: &Secret,
    ) -> Result<RegistrationStarted, ClientError> {
        let response = self.request(
            Method::POST,
            "/v1/me/security-keys/registrations",
            Some(token),
        );
        expect_json(send(response).await?, StatusCode::CREATED).await
    }

    /// The key's answer; the service checks it and keeps the credential.
    pub async fn finish_security_key_registration(
        &self,
        token: &Secret,
        id: &str,
        request: &FinishRegistration,
    ) -> Result<Authenticator, ClientError> {
        let path = format!("/v1/me/security-keys/registrations/{}", segment(id));
        let response = self.request(Method::POST, &path, Some(token)).json(request);
        expect_json(send(response).await?, StatusCode::CREATED).await
    }

    pub async fn enroll_kiosk(&self, request: &EnrollKiosk) -> Result<KioskEnrolled, ClientError> {
        let response = self
            .request(Method::POST, "/v1/kiosks/enrollments", None)
            .json(request);
        expect_json(send(response).await?, StatusCode::CREATED).await
    }

    /// Demo mode only: what the service would have sent.
    pub async fn demo_outbox(&self) -> Result<Outbox, ClientError> {
        let response = self.request(Method::GET, "/v1/demo/outbox", None);
        expect_json(send(response).await?, StatusCode::OK).await
    }

    pub(super) fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&Secret>,
    ) -> RequestBuilder {
        let mut url = self.base.clone();
        let base_path = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{base_path}{path}"));
        let mut request = self.http.request(method, url);
        if let Some(token) = token {
            request = request.bearer_auth(token.expose());
        }
        if let Some(credential) = &self.kiosk_credential {
            request = request.header(KIOSK_CREDENTIAL_HEADER, credential.expose());
        }
        request
    }
}

/// Ids come from the service, but are still escaped: a path is never built from raw text.
pub(super) fn segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}

pub(super) async fn send(request: RequestBuilder) -> Result<Response, ClientError> {
    request.send().await.map_err(ClientError::Unreachable)
}

pub(super) async fn expect_json<T: DeserializeOwned>(
    response: Response,
    expected: StatusCode,
) -> Result<T, ClientError> {
    let status = response.status();
    if status != expected {
        return Err(problem(response).await);
    }
    response
        .json::<T>()
        .await
        .map_err(|_| ClientError::Unexpected { status })
}

pub(super) async fn expect_empty(response: Response) -> Result<(), ClientError> {
    if response.status() == StatusCode::NO_CONTENT {
        Ok(())
    } else {
        Err(problem(response).await)
    }
}

async fn problem(response: Response) -> ClientError {
    let status = response.status();
    match response.json::<Problem>().await {
        Ok(problem) => ClientError::Problem(Box::new(problem)),
        Err(_) => ClientError::Unexpected { status },
    }
}
