//! privacyIDEA's REST API as the service's admin. The admin signs in with `POST /auth` and
//! sends the JWT raw (no `Bearer`) in `PI-Authorization`; when privacyIDEA says it expired
//! (4304/4305) the client signs in again once and repeats the call.
//!
//! A 3.14 API client key goes in `X-API-Key` on every request as well. In 3.14 that header
//! *identifies* the calling application (privacyIDEA's audit, `last_used_at`, and what
//! `/validate/...` endpoints gate on API clients); it does not authenticate an admin, so the
//! admin's JWT is still needed (read in privacyIDEA 3.14's `api/before_after.py`
//! `identify_api_client` and `api/auth.py` `check_auth_token`).

use std::{sync::Arc, time::Duration};

use recovery_api::Secret;
use reqwest::{Method, RequestBuilder};
use tokio::sync::Mutex;
use url::Url;

use super::{
    config::{PrivacyIdeaConfig, PrivacyIdeaConfigError},
    envelope::{self, Answer},
    error::PiError,
};

/// The admin's credentials, its current JWT (shared by clones) and the API client key.
struct AdminAuth {
    user: String,
    password: Secret,
    api_key: Option<Secret>,
    jwt: Mutex<Option<Secret>>,
}

/// One admin connection to privacyIDEA. Cheap to clone.
#[derive(Clone)]
pub struct PiClient {
    http: reqwest::Client,
    base: Url,
    auth: Arc<AdminAuth>,
}

impl std::fmt::Debug for PiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PiClient")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

/// A request: path segments under the base URL, query and form fields, and the `Origin`
/// header WebAuthn enrolment needs.
#[derive(Debug, Default)]
pub struct Call<'a> {
    pub query: &'a [(&'a str, &'a str)],
    pub form: &'a [(&'a str, &'a str)],
    pub origin: Option<&'a str>,
}

impl PiClient {
    /// Builds its own HTTP client: no redirects (a redirect must not carry the admin's
    /// token elsewhere), the configured timeout, and the private CA when one is named.
    pub fn new(config: &PrivacyIdeaConfig) -> Result<Self, PrivacyIdeaConfigError> {
        config.validate()?;
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(config.timeout_seconds));
        if let Some(path) = &config.ca_file {
            let pem = std::fs::read(path)
                .map_err(|e| PrivacyIdeaConfigError::CaFile(format!("{}: {e}", path.display())))?;
            let ca = reqwest::Certificate::from_pem(&pem)
                .map_err(|e| PrivacyIdeaConfigError::CaFile(e.to_string()))?;
            builder = builder.add_root_certificate(ca);
        }
        let http = builder
            .build()
            .map_err(|e| PrivacyIdeaConfigError::Http(e.to_string()))?;
        let password = config
            .admin_password
            .clone()
            .ok_or(PrivacyIdeaConfigError::NoCredentials)?;
        Ok(Self {
            http,
            base: config.endpoint()?,
            auth: Arc::new(AdminAuth {
                user: config.admin_user.clone(),
                password,
                api_key: config
                    .api_key
                    .clone()
                    .filter(|key| !key.expose().is_empty()),
                jwt: Mutex::new(None),
            }),
        })
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// A call as the admin; signs in (again) when needed.
    pub async fn admin(
        &self,
        method: Method,
        segments: &[&str],
        call: Call<'_>,
    ) -> Result<Answer, PiError> {
        let first = self.try_admin(method.clone(), segments, &call, false).await;
        match first {
            Err(PiError::SessionExpired) => {
                tracing::info!("privacyIDEA admin session expired; signing in again");
                self.try_admin(method, segments, &call, true).await
            }
            other => other,
        }
    }

    async fn try_admin(
        &self,
        method: Method,
        segments: &[&str],
        call: &Call<'_>,
        fresh: bool,
    ) -> Result<Answer, PiError> {
        let jwt = self.jwt(fresh).await?;
        let request = self
            .request(method, segments, call)
            .header("PI-Authorization", jwt.expose());
        send(request).await
    }

    /// A call without the admin's credentials (`/validate/check`).
    pub async fn public(
        &self,
        method: Method,
        segments: &[&str],
        call: Call<'_>,
    ) -> Result<Answer, PiError> {
        send(self.request(method, segments, &call)).await
    }

    fn request(&self, method: Method, segments: &[&str], call: &Call<'_>) -> RequestBuilder {
        let mut request = self.http.request(method, self.url(segments));
        if !call.query.is_empty() {
            request = request.query(call.query);
        }
        if !call.form.is_empty() {
            request = request.form(call.form);
        }
        if let Some(origin) = call.origin {
            request = request.header(reqwest::header::ORIGIN, origin);
        }
        if let Some(key) = &self.auth.api_key {
            request = request.header("X-API-Key", key.expose());
        }
        request
    }

    /// The current JWT, or a new one from `POST /auth` when there is none or `fresh`.
    async fn jwt(&self, fresh: bool) -> Result<Secret, PiError> {
        let mut current = self.auth.jwt.lock().await;
        if let (Some(jwt), false) = (current.as_ref(), fresh) {
            return Ok(jwt.clone());
        }
        let form = [
            ("username", self.auth.user.as_str()),
            ("password", self.auth.password.expose()),
        ];
        let call = Call {
            form: &form,
            ..Call::default()
        };
        let answer = send(self.request(Method::POST, &["auth"], &call)).await?;
        let jwt = answer.value["token"]
            .as_str()
            .filter(|t| !t.is_empty())
            // Admin login with a second factor (`login_mode`) answers a challenge instead.
            .ok_or_else(|| PiError::Protocol("POST /auth gave no token".to_owned()))?;
        let jwt = Secret::new(jwt);
        *current = Some(jwt.clone());
        Ok(jwt)
    }
}

async fn send(request: RequestBuilder) -> Result<Answer, PiError> {
    let response = request.send().await.map_err(|e| {
        // reqwest's text may hold the URL, never a secret (none travels in URLs here).
        PiError::Unavailable(e.without_url().to_string())
    })?;
    let status = response.status().as_u16();
    let body = response
        .bytes()
        .await
        .map_err(|e| PiError::Unavailable(e.without_url().to_string()))?;
    envelope::parse(status, &body)
}
