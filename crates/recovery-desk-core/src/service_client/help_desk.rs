//! The help desk's routes (`/v1/help-desk/…`, docs/help-desk.md): an agent's sign-in and
//! session, the person's record, caller verification and the actions. The bearer token is the
//! agent's (`help_desk_session`), never a person's.

use recovery_api::{
    authenticator::Authenticator,
    bypass_code::BypassCodeIssued,
    help_desk::{
        ActionContext, AddPhoneForPerson, AgentKeyRegistered, AgentSessionCreated, AgentSummary,
        CallerVerification, CheckCallerCode, CreateAgentSession, IssueHelpDeskCode,
        KeySignInStarted, LinkSent, PersonRecord, PhoneAddedForPerson, RecoveryPinCleared,
        RemoveDeviceForPerson, SendActivation, SendSecurityKeyLink, StartCallerVerification,
        StartKeySignIn, Unlocked, VerifyPhoneForPerson,
    },
    security_key::{FinishRegistration, RegistrationStarted},
    Secret,
};
use reqwest::{Method, StatusCode};

use super::{expect_empty, expect_json, segment, send, ClientError, PhoneCheck, ServiceClient};

/// `/v1/help-desk/people/{username}` and below.
fn person_path(username: &str, rest: &str) -> String {
    format!("/v1/help-desk/people/{}{rest}", segment(username))
}

impl ServiceClient {
    /// Assertion options for the agent's keys (of the same shape for anyone, agent or not).
    pub async fn start_agent_key_sign_in(
        &self,
        request: &StartKeySignIn,
    ) -> Result<KeySignInStarted, ClientError> {
        let response = self
            .request(Method::POST, "/v1/help-desk/sign-in/security-key", None)
            .json(request);
        expect_json(send(response).await?, StatusCode::CREATED).await
    }

    pub async fn create_agent_session(
        &self,
        request: &CreateAgentSession,
    ) -> Result<AgentSessionCreated, ClientError> {
        let response = self
            .request(Method::POST, "/v1/help-desk/sessions", None)
            .json(request);
        expect_json(send(response).await?, StatusCode::CREATED).await
    }

    pub async fn agent_me(&self, token: &Secret) -> Result<AgentSummary, ClientError> {
        let response = self.request(Method::GET, "/v1/help-desk/me", Some(token));
        expect_json(send(response).await?, StatusCode::OK).await
    }

    pub async fn end_agent_session(&self, token: &Secret) -> Result<(), ClientError> {
        let response = self.request(
            Method::DELETE,
            "/v1/help-desk/sessions/current",
            Some(token),
        );
        expect_empty(send(response).await?).await
    }

    /// Creation options for a key the agent signs in with later.
    pub async fn start_agent_key_registration(
        &self,
        token: &Secret,
    ) -> Result<RegistrationStarted, ClientError> {
        let response = self.request(
            Method::POST,
            "/v1/help-desk/me/security-keys/registrations",
            Some(token),
        );
        expect_json(send(response).await?, StatusCode::CREATED).await
    }

    pub async fn finish_agent_key_registration(
        &self,
        token: &Secret,
        id: &str,
        request: &FinishRegistration,
    ) -> Result<AgentKeyRegistered, ClientError> {
        let path = format!(
            "/v1/help-desk/me/security-keys/registrations/{}",
            segment(id)
        );
        let response = self.request(Method::POST, &path, Some(token)).json(request);
        expect_json(send(response).await?, StatusCode::CREATED).await
    }

    /// The person's record, by exact username (audited at the service).
    pub async fn person_record(
        &self,
        token: &Secret,
        username: &str,
    ) -> Result<PersonRecord, ClientError> {
        let response = self.request(Method::GET, &person_path(username, ""), Some(token));
        expect_json(send(response).await?, StatusCode::OK).await
    }

    pub async fn start_caller_verification(
        &self,
        token: &Secret,
        username: &str,
        request: &StartCallerVerification,
    ) -> Result<CallerVerification, ClientError> {
        let path = person_path(username, "/caller-verifications");
        let response = self.request(Method::POST, &path, Some(token)).json(request);
        expect_json(send(response).await?, StatusCode::CREATED).await
    }

    pub async fn check_caller_code(
        &self,
        token: &Secret,
        username: &str,
        id: &str,
        request: &CheckCallerCode,
    ) -> Result<CallerVerification, ClientError> {
        let path = person_path(
            username,
            &format!("/caller-verifications/{}/code", segment(id)),
        );
        let response = self.request(Method::POST, &path, Some(token)).json(request);
        expect_json(send(response).await?, StatusCode::OK).await
    }

    pub async fn issue_help_desk_code(
        &self,
        token: &Secret,
        username: &str,
        request: &IssueHelpDeskCode,
    ) -> Result<BypassCodeIssued, ClientError> {
        let path = person_path(username, "/bypass-codes");
        let response = self.request(Method::POST, &path, Some(token)).json(request);
        expect_json(send(response).await?, StatusCode::CREATED).await
    }

    pub async fn send_activation_for_person(
        &self,
        token: &Secret,
        username: &str,
        phone_id: &str,
        request: &SendActivation,
    ) -> Result<LinkSent, ClientError> {
        let path = person_path(
            username,
            &format!("/phones/{}/activation", segment(phone_id)),
        );
        let response = self.request(Method::POST, &path, Some(token)).json(request);
        expect_json(send(response).await?, StatusCode::ACCEPTED).await
    }

    pub async fn add_phone_for_person(
        &self,
        token: &Secret,
        username: &str,
        request: &AddPhoneForPerson,
    ) -> Result<PhoneAddedForPerson, ClientError> {
        let path = person_path(username, "/phones");
        let response = self.request(Method::POST, &path, Some(token)).json(request);
        expect_json(send(response).await?, StatusCode::CREATED).await
    }

    /// Verified, or (a call the person must answer) not yet: `202`, as for `/v1/me/phones`.
    pub async fn verify_phone_for_person(
        &self,
        token: &Secret,
        username: &str,
        phone_id: &str,
        request: &VerifyPhoneForPerson,
    ) -> Result<PhoneCheck, ClientError> {
        let path = person_path(username, &format!("/phones/{}/verify", segment(phone_id)));
        let response = send(self.request(Method::POST, &path, Some(token)).json(request)).await?;
        if response.status() == StatusCode::ACCEPTED {
            return Ok(PhoneCheck::Waiting);
        }
        Ok(PhoneCheck::Verified(
            expect_json(response, StatusCode::OK).await?,
        ))
    }

    pub async fn send_security_key_link(
        &self,
        token: &Secret,
        username: &str,
        request: &SendSecurityKeyLink,
    ) -> Result<LinkSent, ClientError> {
        let path = person_path(username, "/security-key-links");
        let response = self.request(Method::POST, &path, Some(token)).json(request);
        expect_json(send(response).await?, StatusCode::ACCEPTED).await
    }

    /// Creation options for a key the person registers at the help-desk PC.
    pub async fn start_key_registration_for_person(
        &self,
        token: &Secret,
        username: &str,
        request: &ActionContext,
    ) -> Result<RegistrationStarted, ClientError> {
        let path = person_path(username, "/security-keys/registrations");
        let response = self.request(Method::POST, &path, Some(token)).json(request);
        expect_json(send(response).await?, StatusCode::CREATED).await
    }

    pub async fn finish_key_registration_for_person(
        &self,
        token: &Secret,
        username: &str,
        id: &str,
        request: &FinishRegistration,
    ) -> Result<Authenticator, ClientError> {
        let path = person_path(
            username,
            &format!("/security-keys/registrations/{}", segment(id)),
        );
        let response = self.request(Method::POST, &path, Some(token)).json(request);
        expect_json(send(response).await?, StatusCode::CREATED).await
    }

    pub async fn unlock_person(
        &self,
        token: &Secret,
        username: &str,
        request: &ActionContext,
    ) -> Result<Unlocked, ClientError> {
        let path = person_path(username, "/unlock");
        let response = self.request(Method::POST, &path, Some(token)).json(request);
        expect_json(send(response).await?, StatusCode::OK).await
    }

    pub async fn clear_person_recovery_pin(
        &self,
        token: &Secret,
        username: &str,
        request: &ActionContext,
    ) -> Result<RecoveryPinCleared, ClientError> {
        let path = person_path(username, "/recovery-pin/clear");
        let response = self.request(Method::POST, &path, Some(token)).json(request);
        expect_json(send(response).await?, StatusCode::OK).await
    }

    pub async fn remove_device_for_person(
        &self,
        token: &Secret,
        username: &str,
        device_id: &str,
        request: &RemoveDeviceForPerson,
    ) -> Result<(), ClientError> {
        let path = person_path(
            username,
            &format!("/authenticators/{}/removal", segment(device_id)),
        );
        let response = self.request(Method::POST, &path, Some(token)).json(request);
        let _: serde_json::Value = expect_json(send(response).await?, StatusCode::OK).await?;
        Ok(())
    }
}
