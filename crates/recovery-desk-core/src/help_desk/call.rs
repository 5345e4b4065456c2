//! The call: the agent finds the caller's account by exact username, verifies the caller
//! (a code sent to the person's own addresses, date of birth + PIN, or in person at a kiosk),
//! and ends the call, which forgets both.

use recovery_api::{
    fields,
    help_desk::{
        CallerVerification, CallerVerificationStatus, CheckCallerCode, SentCodeChannel,
        StartCallerVerification,
    },
    Secret,
};

use super::{Call, CallerCheck, HelpDesk, Session, Stage};
use crate::{
    error::FlowError,
    view::{CallerCheckView, PersonRecordView},
};

/// Digits of the code the caller reads back.
const CALLER_CODE_DIGITS: usize = 6;
/// Longest id-document description ("passport", "staff card"), never its number.
const ID_DOCUMENT_MAX_CHARS: usize = 40;

impl HelpDesk {
    /// The person's record. Another person than the one on the line starts a new call (the
    /// caller verification is forgotten); the same one keeps it (the record is refreshed).
    pub async fn find_person(&self, username: &str) -> Result<PersonRecordView, FlowError> {
        let username = fields::normalize_username(username)
            .map_err(|_| FlowError::InvalidInput { field: "username" })?;
        let token = self.token().await?;
        let result = self.client.person_record(token.secret(), &username).await;
        let record = self.settle(result).await?;
        if let Stage::SignedIn(session) = &mut *self.stage.lock().await {
            if session.call.as_ref().map(|call| call.username.as_str()) != Some(&record.username) {
                session.call = Some(Call {
                    username: record.username.clone(),
                    check: None,
                });
            }
        }
        Ok(PersonRecordView::from(record))
    }

    /// Forgets the person and the caller verification; the agent stays signed in.
    pub async fn end_call(&self) {
        self.ceremony.cancel();
        if let Stage::SignedIn(Session { call, .. }) = &mut *self.stage.lock().await {
            *call = None;
        }
    }

    /// Sends a 6-digit code to the person's notification addresses (`email`) or by text to
    /// the phones on record (`text`); the caller reads it back ([`Self::check_caller_code`]).
    pub async fn send_caller_code(
        &self,
        channel: SentCodeChannel,
    ) -> Result<CallerCheckView, FlowError> {
        self.start_check(StartCallerVerification::SentCode { channel })
            .await
    }

    pub async fn check_caller_code(&self, code: Secret) -> Result<CallerCheckView, FlowError> {
        // As the caller reads it out: "690 788".
        let code = Secret::new(
            code.expose()
                .chars()
                .filter(|c| !matches!(c, ' ' | '-'))
                .collect::<String>(),
        );
        if code.expose().len() != CALLER_CODE_DIGITS
            || !code.expose().bytes().all(|b| b.is_ascii_digit())
        {
            return Err(FlowError::InvalidInput { field: "code" });
        }
        let (token, username) = self.call().await?;
        let pending = match &*self.stage.lock().await {
            Stage::SignedIn(Session {
                call: Some(call), ..
            }) => call.check.clone().filter(|check| !check.verified),
            _ => None,
        };
        // No code was sent in this call (or it was already checked).
        let pending = pending.ok_or(FlowError::InvalidInput { field: "code" })?;
        let result = self
            .client
            .check_caller_code(
                token.secret(),
                &username,
                &pending.id,
                &CheckCallerCode { code },
            )
            .await;
        let checked = self.settle(result).await?;
        Ok(self.record_check(&username, checked).await)
    }

    /// Date of birth and recovery PIN, as the caller says them (the person's own throttle and
    /// locks apply at the service).
    pub async fn verify_caller_pin(
        &self,
        date_of_birth: &str,
        pin: Secret,
    ) -> Result<CallerCheckView, FlowError> {
        let date =
            fields::parse_date_of_birth(date_of_birth, time::OffsetDateTime::now_utc().date())
                .map_err(|_| FlowError::InvalidInput {
                    field: "date_of_birth",
                })?;
        fields::check_pin(pin.expose()).map_err(|_| FlowError::InvalidInput { field: "pin" })?;
        self.start_check(StartCallerVerification::DateOfBirthAndPin {
            date_of_birth: date.to_string(),
            pin,
        })
        .await
    }

    /// The agent saw the person with photo ID (only accepted from an enrolled kiosk).
    pub async fn verify_caller_in_person(
        &self,
        id_document: &str,
    ) -> Result<CallerCheckView, FlowError> {
        let id_document = id_document.trim();
        if id_document.is_empty()
            || id_document.chars().count() > ID_DOCUMENT_MAX_CHARS
            || id_document.chars().any(char::is_control)
        {
            return Err(FlowError::InvalidInput {
                field: "id_document",
            });
        }
        self.start_check(StartCallerVerification::InPerson {
            id_document: id_document.to_owned(),
        })
        .await
    }

    async fn start_check(
        &self,
        request: StartCallerVerification,
    ) -> Result<CallerCheckView, FlowError> {
        let (token, username) = self.call().await?;
        let result = self
            .client
            .start_caller_verification(token.secret(), &username, &request)
            .await;
        drop(request);
        let started = self.settle(result).await?;
        Ok(self.record_check(&username, started).await)
    }

    async fn record_check(&self, username: &str, check: CallerVerification) -> CallerCheckView {
        let view = CallerCheckView::from(&check);
        self.remember_check(
            username,
            CallerCheck {
                id: check.id,
                verified: check.status == CallerVerificationStatus::Verified,
                expires_at: check.expires_at,
            },
        )
        .await;
        view
    }
}
