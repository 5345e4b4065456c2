//! The help desk's half of recovery (`/v1/help-desk/…`): an agent signs in with their own strong
//! credential, finds the caller's account by exact username, verifies the caller by a method
//! that does not rely on the lost device, then acts. Every action names the caller
//! verification it rests on and a reason; the service audits both and tells the person.
//!
//! Agent sessions are their own kind of bearer token (security scheme `help_desk_session`),
//! never a recovery session: a person's token opens nothing here, and an agent's opens nothing
//! under `/v1/me`.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{
    authenticator::Authenticator,
    phone::{PhoneAdded, RemovalReason},
    Secret,
};
pub use webauthn_rs_proto::{PublicKeyCredential, RequestChallengeResponse};

/// What an agent may be allowed to do. The service decides per role; the app shows only what
/// the session's `permissions` list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HelpDeskPermission {
    /// Find a person by exact username and see their record.
    LookUp,
    /// Verify a caller (sent code, date of birth + PIN, in person).
    VerifyCaller,
    IssueBypassCode,
    /// Send the phone-app activation link by text or e-mail.
    SendActivation,
    AddPhone,
    /// E-mail a single-use link where the person registers a security key in a browser.
    SendSecurityKeyLink,
    /// Register a security key at the help-desk PC while the person is there.
    RegisterSecurityKey,
    /// Lift the 15-minute lock after consecutive failures.
    UnlockTemporary,
    /// Lift the lock that holds until the help desk unlocks (admins only by default).
    UnlockDaily,
    ClearRecoveryPin,
    RemoveDevice,
    /// Act on an account that is itself an agent's (admins only).
    ActOnAgents,
}

impl HelpDeskPermission {
    pub const ALL: [HelpDeskPermission; 12] = [
        Self::LookUp,
        Self::VerifyCaller,
        Self::IssueBypassCode,
        Self::SendActivation,
        Self::AddPhone,
        Self::SendSecurityKeyLink,
        Self::RegisterSecurityKey,
        Self::UnlockTemporary,
        Self::UnlockDaily,
        Self::ClearRecoveryPin,
        Self::RemoveDevice,
        Self::ActOnAgents,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::LookUp => "look_up",
            Self::VerifyCaller => "verify_caller",
            Self::IssueBypassCode => "issue_bypass_code",
            Self::SendActivation => "send_activation",
            Self::AddPhone => "add_phone",
            Self::SendSecurityKeyLink => "send_security_key_link",
            Self::RegisterSecurityKey => "register_security_key",
            Self::UnlockTemporary => "unlock_temporary",
            Self::UnlockDaily => "unlock_daily",
            Self::ClearRecoveryPin => "clear_recovery_pin",
            Self::RemoveDevice => "remove_device",
            Self::ActOnAgents => "act_on_agents",
        }
    }
}

/// An agent's role. `help_desk` has every permission but [`HelpDeskPermission::UnlockDaily`]
/// and [`HelpDeskPermission::ActOnAgents`]; `admin` has all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AgentRole {
    HelpDesk,
    Admin,
}

impl AgentRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HelpDesk => "help_desk",
            Self::Admin => "admin",
        }
    }

    pub fn permissions(self) -> Vec<HelpDeskPermission> {
        HelpDeskPermission::ALL
            .into_iter()
            .filter(|permission| self.allows(*permission))
            .collect()
    }

    pub fn allows(self, permission: HelpDeskPermission) -> bool {
        match self {
            Self::Admin => true,
            Self::HelpDesk => !matches!(
                permission,
                HelpDeskPermission::UnlockDaily | HelpDeskPermission::ActOnAgents
            ),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Signing in
// ---------------------------------------------------------------------------------------------

/// `POST /v1/help-desk/sign-in/security-key`: the assertion options for the agent's registered
/// keys. A username that is not an agent, or has no key, gets options of the same shape (a
/// credential id derived from the username), so the answer tells nothing.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StartKeySignIn {
    pub username: String,
}

/// `201` answer to [`StartKeySignIn`]; valid for 2 minutes, one use.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeySignInStarted {
    pub challenge_id: String,
    /// Asks for user verification (the key's PIN) and names the agent's keys.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub options: RequestChallengeResponse,
    /// The origin the app's CTAP client must report.
    pub origin: String,
}

/// The security-key proof of [`CreateAgentSession`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct KeyAssertion {
    pub challenge_id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub credential: PublicKeyCredential,
}

/// `POST /v1/help-desk/sessions`: the agent's password, then exactly one of their own passcode
/// (a code from their device) or a security-key assertion. A wrong password, a wrong second
/// factor, an unknown username and a person who is not an agent all get `verification_failed`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateAgentSession {
    pub username: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Password))]
    pub password: Secret,
    /// 6 digits from the agent's own device (9 for a bypass code is refused: an agent cannot
    /// sign in with a code the help desk hands out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Password))]
    pub passcode: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_key: Option<KeyAssertion>,
}

/// How the agent signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AgentSignInMethod {
    SecurityKey,
    Passcode,
}

/// `201` answer to [`CreateAgentSession`]. The token stays in the app's Rust side.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentSessionCreated {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub token: Secret,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    pub agent: AgentSummary,
}

/// `GET /v1/help-desk/me`, and part of [`AgentSessionCreated`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentSummary {
    pub username: String,
    pub display_name: String,
    pub role: AgentRole,
    pub method: AgentSignInMethod,
    pub permissions: Vec<HelpDeskPermission>,
    /// How many security keys the agent has registered for signing in here.
    pub security_keys: u32,
}

/// `201` answer to `POST /v1/help-desk/me/security-keys/registrations/{id}` (which takes
/// `FinishRegistration`): the key now signs the agent in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentKeyRegistered {
    /// The name given, or the key model's.
    pub name: String,
}

// ---------------------------------------------------------------------------------------------
// The person's record
// ---------------------------------------------------------------------------------------------

/// `GET /v1/help-desk/people/{username}`: exact username only (no search, no listing). Every
/// look-up is audited with the agent.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonRecord {
    pub username: String,
    pub display_name: String,
    /// Masked (`a•••@example.org`): where sent codes and notices go.
    pub notification_addresses: Vec<String>,
    /// Masked phone numbers on record in the directory (`•••• 0178`).
    pub directory_phones: Vec<String>,
    /// Devices, numbers masked, as the person's own list shows them.
    pub authenticators: Vec<Authenticator>,
    pub lock: LockState,
    pub recovery_pin_set: bool,
    /// The person is an agent: only admins act on their account.
    pub is_agent: bool,
    /// The account is the signed-in agent's own: no action is allowed on it.
    pub own_account: bool,
    /// The newest first, at most 20.
    pub recent_events: Vec<RecentEvent>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LockState {
    pub state: LockKind,
    /// When a temporary lock ends.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub until: Option<OffsetDateTime>,
    /// Failed verifications in the last 24 hours.
    pub failures_last_day: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LockKind {
    Open,
    /// Consecutive failures: locked until `until`.
    Temporary,
    /// Too many failures in 24 hours: locked until the help desk unlocks.
    UntilHelpDesk,
}

/// One audit record of the person's, as the agent may see it (no details beyond these).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecentEvent {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The audit event name (`session_opened`, `verification_failed`, `bypass_code_issued`…).
    pub event: String,
    /// `success`, `failure` or `refused`.
    pub outcome: String,
    /// From where ("Help Desk Kiosk 2", "the device at 192.0.2.7", "agent hopper").
    pub client: String,
}

// ---------------------------------------------------------------------------------------------
// Verifying the caller
// ---------------------------------------------------------------------------------------------

/// `POST /v1/help-desk/people/{username}/caller-verifications`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum StartCallerVerification {
    /// A 6-digit code goes to the person's notification addresses (`email`) or by text to the
    /// phones on record in the directory (`text`); the caller reads it back.
    SentCode { channel: SentCodeChannel },
    /// The agent types what the caller says. The same throttle and locks as self-service.
    DateOfBirthAndPin {
        #[cfg_attr(feature = "openapi", schema(example = "1985-12-10"))]
        date_of_birth: String,
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Password))]
        pin: Secret,
    },
    /// The agent attests they saw the person with photo ID. Only from an enrolled (attended)
    /// kiosk; `id_document` says which document, without its number ("passport", "staff card").
    InPerson { id_document: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SentCodeChannel {
    Email,
    Text,
}

/// `POST /v1/help-desk/people/{username}/caller-verifications/{id}/code`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CheckCallerCode {
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "123456"))]
    pub code: Secret,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CallerVerificationMethod {
    SentCode,
    DateOfBirthAndPin,
    InPerson,
}

impl CallerVerificationMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SentCode => "sent_code",
            Self::DateOfBirthAndPin => "date_of_birth_and_pin",
            Self::InPerson => "in_person",
        }
    }

    /// Date of birth + PIN is weak knowledge: it never alone gets a bypass code, a new phone
    /// or a security key registered at the desk over the phone.
    pub fn is_strong(self) -> bool {
        !matches!(self, Self::DateOfBirthAndPin)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CallerVerificationStatus {
    /// A code was sent; waiting for the caller to read it back.
    Pending,
    Verified,
}

/// `201` answer to [`StartCallerVerification`], `200` to [`CheckCallerCode`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallerVerification {
    pub id: String,
    pub method: CallerVerificationMethod,
    pub status: CallerVerificationStatus,
    /// Masked addresses or numbers a code went to (`sent_code` only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sent_to: Vec<String>,
    /// Pending: when the code stops working. Verified: when actions stop accepting it.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

// ---------------------------------------------------------------------------------------------
// Actions
// ---------------------------------------------------------------------------------------------

/// What every action carries: the caller verification it rests on (verified, by this agent, for
/// this person, not expired) and the agent's reason (1–200 characters, one line: a ticket
/// number, "lost phone"). Both go to the audit record.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ActionContext {
    pub caller_verification: String,
    pub reason: String,
}

/// `POST /v1/help-desk/people/{username}/bypass-codes`. A new help-desk code replaces the
/// person's previous help-desk code; self-service codes are not touched, and a self-service code
/// never revokes a help-desk code.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IssueHelpDeskCode {
    pub caller_verification: String,
    pub reason: String,
    /// Default `help_desk.bypass_code_minutes` (10); at most `help_desk.bypass_code_max_minutes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_minutes: Option<u32>,
}

/// `POST /v1/help-desk/people/{username}/phones/{id}/activation`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SendActivation {
    pub caller_verification: String,
    pub reason: String,
    pub channel: ActivationChannel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActivationChannel {
    /// To the phone itself.
    Text,
    /// To the person's notification addresses.
    Email,
}

/// `202` answer to [`SendActivation`] and to [`SendSecurityKeyLink`]: the link went to the
/// person, never to the agent.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LinkSent {
    /// Masked addresses or numbers.
    pub sent_to: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// `POST /v1/help-desk/people/{username}/phones`: a mobile or a landline, proven by a call the
/// person answers while the agent is on the line (`…/phones/{id}/verify`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AddPhoneForPerson {
    pub caller_verification: String,
    pub reason: String,
    pub number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<String>,
    #[serde(rename = "type")]
    pub phone_type: crate::authenticator::PhoneType,
}

/// `201` answer to [`AddPhoneForPerson`].
pub type PhoneAddedForPerson = PhoneAdded;

/// `POST /v1/help-desk/people/{username}/phones/{id}/verify`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VerifyPhoneForPerson {
    pub caller_verification: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "123456"))]
    pub code: Option<Secret>,
}

/// `POST /v1/help-desk/people/{username}/security-key-links`: a single-use link (at most 24
/// hours, default `help_desk.security_key_link_hours`) e-mailed to the person's notification
/// addresses, to a page the service serves where they register a key in their browser.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SendSecurityKeyLink {
    pub caller_verification: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_hours: Option<u32>,
}

/// `POST /v1/help-desk/people/{username}/security-keys/registrations` takes an
/// [`ActionContext`] and answers `RegistrationStarted`; `…/registrations/{id}` takes
/// `FinishRegistration` and answers the new `Authenticator`.
///
/// `POST /v1/help-desk/people/{username}/unlock` takes an [`ActionContext`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Unlocked {
    /// What was lifted: `temporary`, `until_help_desk`, or `open` (only failures were cleared,
    /// or nothing at all).
    pub lifted: LockKind,
}

/// `POST /v1/help-desk/people/{username}/recovery-pin/clear` takes an [`ActionContext`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecoveryPinCleared {
    /// `false` when the person had no PIN (nothing changed, nobody was told).
    pub cleared: bool,
}

/// `POST /v1/help-desk/people/{username}/authenticators/{id}/removal`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RemoveDeviceForPerson {
    pub caller_verification: String,
    pub reason: String,
    pub removal_reason: RemovalReason,
}

// ---------------------------------------------------------------------------------------------
// The security-key enrolment page (no agent; the link is the credential)
// ---------------------------------------------------------------------------------------------

/// `POST /v1/enrolments/{code}/registration` (after `POST /v1/enrolments/{code}/options`, which
/// answers `RegistrationStarted`): the browser's answer. The link is used up when a key is
/// registered; 5 rejected answers also end it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FinishLinkRegistration {
    pub registration_id: String,
    #[serde(default)]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub credential: crate::security_key::RegisterPublicKeyCredential,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_desk_agents_cannot_lift_daily_locks_or_act_on_agents() {
        let help_desk = AgentRole::HelpDesk.permissions();
        assert!(!help_desk.contains(&HelpDeskPermission::UnlockDaily));
        assert!(!help_desk.contains(&HelpDeskPermission::ActOnAgents));
        assert_eq!(help_desk.len(), HelpDeskPermission::ALL.len() - 2);
        assert_eq!(
            AgentRole::Admin.permissions().len(),
            HelpDeskPermission::ALL.len()
        );
    }

    #[test]
    fn caller_verification_is_tagged_by_method() {
        let parsed: Result<StartCallerVerification, _> =
            serde_json::from_value(serde_json::json!({"method": "sent_code", "channel": "email"}));
        assert!(matches!(
            parsed,
            Ok(StartCallerVerification::SentCode {
                channel: SentCodeChannel::Email
            })
        ));
        let unknown: Result<StartCallerVerification, _> =
            serde_json::from_value(serde_json::json!({"method": "guess"}));
        assert!(unknown.is_err());
    }
}
