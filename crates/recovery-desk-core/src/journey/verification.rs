//! Signing in: username and password first, then date of birth + recovery PIN, or a passcode.
//! The service gets all of it in one request, so a failure never says which part was wrong.

use recovery_api::{fields, session::CreateSession, Secret};

use super::{Journey, Session, SessionToken, Stage};
use crate::{error::FlowError, view::SessionView};

impl Journey {
    /// Keeps the username and password until the second check. Starting over ends any session.
    pub async fn begin_sign_in(&self, username: &str, password: Secret) -> Result<(), FlowError> {
        let username = fields::normalize_username(username)
            .map_err(|_| FlowError::InvalidInput { field: "username" })?;
        fields::check_password(password.expose())
            .map_err(|_| FlowError::InvalidInput { field: "password" })?;
        self.finish().await;
        *self.stage.lock().await = Stage::SigningIn { username, password };
        Ok(())
    }

    pub async fn verify_pin(
        &self,
        date_of_birth: &str,
        pin: Secret,
    ) -> Result<SessionView, FlowError> {
        let date =
            fields::parse_date_of_birth(date_of_birth, time::OffsetDateTime::now_utc().date())
                .map_err(|_| FlowError::InvalidInput {
                    field: "date_of_birth",
                })?;
        fields::check_pin(pin.expose()).map_err(|_| FlowError::InvalidInput { field: "pin" })?;
        let date_of_birth = date.to_string();
        self.verify(|username, password| CreateSession {
            username,
            password,
            date_of_birth: Some(date_of_birth),
            pin: Some(pin),
            passcode: None,
        })
        .await
    }

    pub async fn verify_passcode(&self, passcode: Secret) -> Result<SessionView, FlowError> {
        let (digits, _) = fields::normalize_passcode(passcode.expose())
            .map_err(|_| FlowError::InvalidInput { field: "passcode" })?;
        let passcode = Secret::new(digits);
        self.verify(|username, password| CreateSession {
            username,
            password,
            date_of_birth: None,
            pin: None,
            passcode: Some(passcode),
        })
        .await
    }

    /// Sends the sign-in with the second check. On a refusal the username and password stay, so
    /// the person can correct the second check without typing them again.
    async fn verify(
        &self,
        request: impl FnOnce(String, Secret) -> CreateSession,
    ) -> Result<SessionView, FlowError> {
        let request = match &*self.stage.lock().await {
            Stage::SigningIn { username, password } => request(username.clone(), password.clone()),
            _ => return Err(FlowError::NotSignedIn),
        };
        let created = self.client.create_session(&request).await?;
        drop(request);
        let view = SessionView {
            display_name: created.person.display_name.clone(),
            expires_at: created.expires_at,
        };
        *self.stage.lock().await = Stage::Verified(Session {
            token: SessionToken(created.token),
            display_name: created.person.display_name,
            expires_at: created.expires_at,
            last_code: None,
        });
        Ok(view)
    }

    /// The verified person, if any.
    pub async fn session(&self) -> Option<SessionView> {
        match &*self.stage.lock().await {
            Stage::Verified(session) => Some(SessionView {
                display_name: session.display_name.clone(),
                expires_at: session.expires_at,
            }),
            _ => None,
        }
    }
}
