//! Errors as `application/problem+json` (RFC 9457) with a stable `code`.
//!
//! The code is the contract: the app maps each one to a message and a next step, so a variant is
//! added only when a consumer acts on it, and never renamed.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub const CONTENT_TYPE: &str = "application/problem+json";

/// Every error the service answers with. Serialized in `snake_case`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body is not JSON, or not a JSON object.
    MalformedRequest,
    /// A field is missing, of the wrong type, or breaks its rule; `field` names it.
    InvalidField,
    /// The body is larger than the service accepts.
    PayloadTooLarge,
    /// The body is not `application/json`.
    UnsupportedMediaType,
    /// Username, password and the second check did not match. Deliberately says no more.
    VerificationFailed,
    /// Too many attempts from this client or for this account; `retry_at` says when to retry.
    TooManyAttempts,
    /// Self-service is locked for this account: until `retry_at`, or until the help desk
    /// unlocks it when `retry_at` is absent.
    Locked,
    /// A daily cap on calls, texts or notices for this person or session is reached; nothing
    /// was sent or changed. `retry_at` says when a slot frees.
    LimitReached,
    /// No recovery session, or it was ended.
    SessionInvalid,
    /// The recovery session ran out of time; verify again.
    SessionExpired,
    /// The kiosk credential is unknown or revoked.
    KioskCredentialInvalid,
    /// The kiosk enrollment token is unknown, expired or used.
    EnrollmentTokenInvalid,
    /// The number cannot be a real phone number, or the extension has other than digits.
    PhoneNumberInvalid,
    /// A landline was asked for, and the number belongs to a mobile-only range.
    PhoneNumberNotLandline,
    /// The code typed back does not match; `attempts_left` says how many tries remain.
    CodeIncorrect,
    /// The pending verification ran out of time or tries; the unverified phone was removed.
    VerificationExpired,
    /// The activation link is unknown, expired or already used.
    ActivationInvalid,
    /// The security-key registration is unknown, expired or already finished.
    RegistrationInvalid,
    /// The key's answer does not check out (another challenge, another site, a forged answer).
    SecurityKeyRejected,
    /// The key is already registered to this person.
    SecurityKeyAlreadyRegistered,
    /// The organisation accepts only certain models of security key.
    SecurityKeyModelNotAllowed,
    /// The consecutive codes do not match the token within the look-ahead window.
    ResyncFailed,
    /// Binding a new factor needs a verification from the last few minutes.
    ReverificationRequired,
    /// No such resource.
    NotFound,
    /// The route exists, but not with this method.
    MethodNotAllowed,
    /// The MFA system of record cannot do this; the app offers the next step instead.
    Unsupported,
    /// The service cannot talk to the MFA system of record as configured (an operator must
    /// fix keys or permissions).
    ServiceMisconfigured,
    /// Something failed inside the service; nothing about it is shown.
    Internal,
    /// A dependency of the service (database, MFA system) cannot be reached.
    Unavailable,
    /// Too many verifications are under way; nothing was checked. `Retry-After` says when.
    ServiceBusy,
    /// Setting the recovery PIN needs a session opened with a passcode from a device the
    /// person has (or a bypass code), not with the date of birth + PIN.
    PasscodeSignInRequired,
    /// The chosen recovery PIN is too easy to guess (a sequence, a repeat, the date of birth, or
    /// on the organisation's list); nothing was changed.
    RecoveryPinTooSimple,
    /// The organisation has no date of birth on record for this person, so no recovery PIN can
    /// be set; the help desk can fix the record.
    DateOfBirthUnknown,
    /// The agent's role does not allow this action (help desk: the daily lock and agents'
    /// accounts are for admins).
    PermissionDenied,
    /// An agent cannot act on their own account; another agent must.
    OwnAccount,
    /// The action needs a verified caller: the caller verification is missing, still pending,
    /// expired, or was made by another agent or for another person.
    CallerNotVerified,
    /// Date of birth + PIN alone does not allow this action; verify the caller with a sent
    /// code or in person.
    CallerVerificationTooWeak,
    /// "Seen in person" can only be attested at an enrolled, attended kiosk.
    InPersonNeedsKiosk,
    /// The security-key enrolment link is unknown, expired or already used.
    EnrolmentLinkInvalid,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 39] = [
        Self::MalformedRequest,
        Self::InvalidField,
        Self::PayloadTooLarge,
        Self::UnsupportedMediaType,
        Self::VerificationFailed,
        Self::TooManyAttempts,
        Self::Locked,
        Self::LimitReached,
        Self::SessionInvalid,
        Self::SessionExpired,
        Self::KioskCredentialInvalid,
        Self::EnrollmentTokenInvalid,
        Self::PhoneNumberInvalid,
        Self::PhoneNumberNotLandline,
        Self::CodeIncorrect,
        Self::VerificationExpired,
        Self::ActivationInvalid,
        Self::RegistrationInvalid,
        Self::SecurityKeyRejected,
        Self::SecurityKeyAlreadyRegistered,
        Self::SecurityKeyModelNotAllowed,
        Self::ResyncFailed,
        Self::ReverificationRequired,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::Unsupported,
        Self::ServiceMisconfigured,
        Self::Internal,
        Self::Unavailable,
        Self::ServiceBusy,
        Self::PasscodeSignInRequired,
        Self::RecoveryPinTooSimple,
        Self::DateOfBirthUnknown,
        Self::PermissionDenied,
        Self::OwnAccount,
        Self::CallerNotVerified,
        Self::CallerVerificationTooWeak,
        Self::InPersonNeedsKiosk,
        Self::EnrolmentLinkInvalid,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::MalformedRequest => "malformed_request",
            Self::InvalidField => "invalid_field",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::VerificationFailed => "verification_failed",
            Self::TooManyAttempts => "too_many_attempts",
            Self::Locked => "locked",
            Self::LimitReached => "limit_reached",
            Self::SessionInvalid => "session_invalid",
            Self::SessionExpired => "session_expired",
            Self::KioskCredentialInvalid => "kiosk_credential_invalid",
            Self::EnrollmentTokenInvalid => "enrollment_token_invalid",
            Self::PhoneNumberInvalid => "phone_number_invalid",
            Self::PhoneNumberNotLandline => "phone_number_not_landline",
            Self::CodeIncorrect => "code_incorrect",
            Self::VerificationExpired => "verification_expired",
            Self::ActivationInvalid => "activation_invalid",
            Self::RegistrationInvalid => "registration_invalid",
            Self::SecurityKeyRejected => "security_key_rejected",
            Self::SecurityKeyAlreadyRegistered => "security_key_already_registered",
            Self::SecurityKeyModelNotAllowed => "security_key_model_not_allowed",
            Self::ResyncFailed => "resync_failed",
            Self::ReverificationRequired => "reverification_required",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Unsupported => "unsupported",
            Self::ServiceMisconfigured => "service_misconfigured",
            Self::Internal => "internal",
            Self::Unavailable => "unavailable",
            Self::ServiceBusy => "service_busy",
            Self::PasscodeSignInRequired => "passcode_sign_in_required",
            Self::RecoveryPinTooSimple => "recovery_pin_too_simple",
            Self::DateOfBirthUnknown => "date_of_birth_unknown",
            Self::PermissionDenied => "permission_denied",
            Self::OwnAccount => "own_account",
            Self::CallerNotVerified => "caller_not_verified",
            Self::CallerVerificationTooWeak => "caller_verification_too_weak",
            Self::InPersonNeedsKiosk => "in_person_needs_kiosk",
            Self::EnrolmentLinkInvalid => "enrolment_link_invalid",
        }
    }

    /// The HTTP status that carries this code.
    pub fn status(self) -> u16 {
        match self {
            Self::MalformedRequest | Self::CodeIncorrect => 400,
            Self::VerificationFailed
            | Self::SessionInvalid
            | Self::SessionExpired
            | Self::KioskCredentialInvalid
            | Self::EnrollmentTokenInvalid
            | Self::ReverificationRequired => 401,
            Self::PasscodeSignInRequired
            | Self::PermissionDenied
            | Self::OwnAccount
            | Self::CallerNotVerified
            | Self::CallerVerificationTooWeak
            | Self::InPersonNeedsKiosk => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::RegistrationInvalid
            | Self::SecurityKeyAlreadyRegistered
            | Self::DateOfBirthUnknown => 409,
            Self::VerificationExpired | Self::ActivationInvalid | Self::EnrolmentLinkInvalid => 410,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::InvalidField
            | Self::PhoneNumberInvalid
            | Self::PhoneNumberNotLandline
            | Self::SecurityKeyRejected
            | Self::SecurityKeyModelNotAllowed
            | Self::ResyncFailed
            | Self::RecoveryPinTooSimple => 422,
            Self::TooManyAttempts | Self::Locked | Self::LimitReached => 429,
            Self::Internal => 500,
            Self::Unsupported => 501,
            Self::Unavailable | Self::ServiceMisconfigured | Self::ServiceBusy => 503,
        }
    }

    /// The problem's `title`: short, the same for every occurrence of the code.
    pub fn title(self) -> &'static str {
        match self {
            Self::MalformedRequest => "The request body is not valid JSON",
            Self::InvalidField => "A field is missing or not valid",
            Self::PayloadTooLarge => "The request body is too large",
            Self::UnsupportedMediaType => "The request body must be JSON",
            Self::VerificationFailed => "We could not verify who you are",
            Self::TooManyAttempts => "Too many attempts",
            Self::Locked => "Self-service recovery is locked for this account",
            Self::LimitReached => "Today's limit of calls, texts or e-mails is reached",
            Self::SessionInvalid => "There is no active recovery session",
            Self::SessionExpired => "The recovery session has expired",
            Self::KioskCredentialInvalid => "This kiosk is not enrolled",
            Self::EnrollmentTokenInvalid => "The enrollment token is not valid",
            Self::PhoneNumberInvalid => "The phone number is not valid",
            Self::PhoneNumberNotLandline => "This number is a mobile number",
            Self::CodeIncorrect => "The code is not correct",
            Self::VerificationExpired => "The verification is over",
            Self::ActivationInvalid => "The activation link is not valid",
            Self::RegistrationInvalid => "The registration is not valid",
            Self::SecurityKeyRejected => "The security key's answer was not accepted",
            Self::SecurityKeyAlreadyRegistered => "This security key is already registered",
            Self::SecurityKeyModelNotAllowed => "This model of security key is not allowed",
            Self::ResyncFailed => "The codes could not be matched",
            Self::ReverificationRequired => "Verify again to add a device",
            Self::NotFound => "Not found",
            Self::MethodNotAllowed => "Method not allowed",
            Self::Unsupported => "Not supported by your organisation's MFA system",
            Self::ServiceMisconfigured => "The recovery service is not set up correctly",
            Self::Internal => "Something went wrong on our side",
            Self::Unavailable => "The service is temporarily unavailable",
            Self::ServiceBusy => "The service is busy",
            Self::PasscodeSignInRequired => "Sign in with a passcode to set your recovery PIN",
            Self::RecoveryPinTooSimple => "This recovery PIN is too easy to guess",
            Self::DateOfBirthUnknown => "No date of birth is on record",
            Self::PermissionDenied => "Your role does not allow this",
            Self::OwnAccount => "You cannot act on your own account",
            Self::CallerNotVerified => "Verify the caller first",
            Self::CallerVerificationTooWeak => "Verify the caller with a sent code or in person",
            Self::InPersonNeedsKiosk => "In-person checks need an attended kiosk",
            Self::EnrolmentLinkInvalid => "The security-key link is not valid",
        }
    }

    /// The problem's `type` URI.
    pub fn type_uri(self) -> String {
        format!("urn:recovery-desk:problem:{}", self.as_str())
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An RFC 9457 problem document with the service's extensions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    pub code: ErrorCode,
    /// What happened in this case; safe to show to the person.
    pub detail: String,
    /// The request field at fault, for `invalid_field` (a JSON path such as `date_of_birth`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// When to try again, for `too_many_attempts`, `service_busy`, `limit_reached` and a
    /// temporary `locked`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub retry_at: Option<OffsetDateTime>,
    /// Tries that remain, for `code_incorrect`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts_left: Option<u32>,
}

impl Problem {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            type_uri: code.type_uri(),
            title: code.title().to_owned(),
            status: code.status(),
            code,
            detail: detail.into(),
            field: None,
            retry_at: None,
            attempts_left: None,
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn with_attempts_left(mut self, attempts_left: u32) -> Self {
        self.attempts_left = Some(attempts_left);
        self
    }

    pub fn with_retry_at(mut self, at: OffsetDateTime) -> Self {
        self.retry_at = Some(at);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialize_as_their_stable_names() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).ok();
            assert_eq!(json, Some(format!("\"{}\"", code.as_str())));
        }
    }

    #[test]
    fn problem_json_is_pinned() {
        let problem = Problem::new(ErrorCode::InvalidField, "Use the form YYYY-MM-DD.")
            .with_field("date_of_birth");
        let json = serde_json::to_value(&problem).ok();
        assert_eq!(
            json,
            Some(serde_json::json!({
                "type": "urn:recovery-desk:problem:invalid_field",
                "title": "A field is missing or not valid",
                "status": 422,
                "code": "invalid_field",
                "detail": "Use the form YYYY-MM-DD.",
                "field": "date_of_birth",
            }))
        );
    }
}
