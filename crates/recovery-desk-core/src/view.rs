//! What the web view may see: only what the screen shows, in camelCase JSON (docs/ipc.md).
//! No type here holds a password, PIN or session token.

use recovery_api::{
    authenticator::{Authenticator, AuthenticatorKind, AuthenticatorStatus, PhoneType},
    demo::{Channel, OutboxMessage},
    help_desk::{
        AgentRole, AgentSignInMethod, AgentSummary, CallerVerification, CallerVerificationMethod,
        CallerVerificationStatus, HelpDeskPermission, LinkSent, LockKind, PersonRecord,
        RecentEvent,
    },
    phone::CodeDelivery,
    recovery_pin::RecoveryPinStatus,
};
use serde::Serialize;
use time::OffsetDateTime;

use crate::config::{DeskConfig, Locale};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    pub display_name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceView {
    pub id: String,
    pub kind: AuthenticatorKind,
    pub name: String,
    pub status: AuthenticatorStatus,
    pub phone: Option<PhoneView>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneView {
    pub number_hint: String,
    pub phone_type: PhoneType,
    pub platform: Option<String>,
    pub app_activated: bool,
}

impl From<Authenticator> for DeviceView {
    fn from(device: Authenticator) -> Self {
        Self {
            id: device.id,
            kind: device.kind,
            name: device.name,
            status: device.status,
            phone: device.phone.map(|phone| PhoneView {
                number_hint: phone.number_hint,
                phone_type: phone.phone_type,
                platform: phone.platform,
                app_activated: phone.app_activated,
            }),
            created_at: device.created_at,
        }
    }
}

/// The bypass code is the one secret the screen must show: once, large, with its countdown.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BypassCodeView {
    pub code: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

impl std::fmt::Debug for BypassCodeView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BypassCodeView")
            .field("code", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl Drop for BypassCodeView {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.code);
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LandlineAdded {
    pub id: String,
    pub number_hint: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    pub delivery: CodeDelivery,
}

/// Whether the person has a recovery PIN, and whether this session may set one. Nothing of
/// the PIN itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryPinStatusView {
    pub set: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub set_at: Option<OffsetDateTime>,
    /// The session was opened with a passcode, so the PIN may be set or changed in it.
    pub can_set: bool,
    /// The digits a new PIN may have (the organisation's policy), for the screen's hint.
    pub min_digits: u8,
    pub max_digits: u8,
}

impl From<RecoveryPinStatus> for RecoveryPinStatusView {
    fn from(status: RecoveryPinStatus) -> Self {
        Self {
            set: status.set,
            set_at: status.set_at,
            can_set: status.can_set,
            min_digits: status.min_digits,
            max_digits: status.max_digits,
        }
    }
}

/// A recovery PIN was set (`changed`: it replaced an earlier one). The PIN is not in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryPinSetView {
    pub changed: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub set_at: OffsetDateTime,
}

/// The activation link as a QR code only: the link itself is not shown as text.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivationQr {
    pub qr_svg_data_uri: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

impl std::fmt::Debug for ActivationQr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActivationQr")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivationSent {
    pub number_hint: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxMessageView {
    pub id: i64,
    pub channel: Channel,
    pub to: String,
    pub subject: Option<String>,
    pub body: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<OutboxMessage> for OutboxMessageView {
    fn from(message: OutboxMessage) -> Self {
        Self {
            id: message.id,
            channel: message.channel,
            to: message.to,
            subject: message.subject,
            body: message.body,
            created_at: message.created_at,
        }
    }
}

/// Which console the app is: the person's own recovery, or the help desk's (agent mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AppMode {
    Person,
    HelpDesk,
}

/// What the web view needs to know at start: mode, organisation, help desk, kiosk timing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: String,
    pub mode: AppMode,
    pub demo: bool,
    pub kiosk: bool,
    pub organisation: OrganisationView,
    pub help_desk: HelpDeskView,
    pub kiosk_idle: KioskIdleView,
    pub locale: Locale,
    pub copy_allowed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrganisationView {
    pub name: String,
    pub logo_data_uri: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HelpDeskView {
    pub phone: Option<String>,
    pub url: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KioskIdleView {
    pub warn_after_seconds: u32,
    pub reset_after_seconds: u32,
}

impl AppInfo {
    /// `demo`: the embedded demo service is in use; `kiosk`: from `--kiosk` or the config;
    /// `mode`: from `--help-desk` or `[help_desk] enabled`.
    pub fn new(
        config: &DeskConfig,
        mode: AppMode,
        demo: bool,
        kiosk: bool,
        version: &str,
        logo_data_uri: Option<String>,
        system_locale: Locale,
    ) -> Self {
        let help = &config.help_desk;
        let configured = help.phone.is_some() || help.url.is_some() || help.email.is_some();
        let help_desk = if demo && !configured {
            HelpDeskView {
                phone: Some("+1 201 555 0100".to_owned()),
                url: None,
                email: Some("helpdesk@example.org".to_owned()),
            }
        } else {
            HelpDeskView {
                phone: help.phone.clone(),
                url: help.url.as_ref().map(ToString::to_string),
                email: help.email.clone(),
            }
        };
        // The demo names the organisation of its demo people rather than repeating the app's name.
        let name = if demo && config.organisation == crate::config::Organisation::default() {
            "Example Organisation (demo)".to_owned()
        } else {
            config.organisation.name.clone()
        };
        Self {
            version: version.to_owned(),
            mode,
            demo,
            kiosk,
            organisation: OrganisationView {
                name,
                logo_data_uri,
            },
            help_desk,
            kiosk_idle: KioskIdleView {
                warn_after_seconds: config.kiosk.idle_warning_seconds,
                reset_after_seconds: config.kiosk.idle_reset_seconds,
            },
            locale: config.locale.unwrap_or(system_locale),
            copy_allowed: !kiosk,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The help desk (agent mode)
// ---------------------------------------------------------------------------------------------

/// The signed-in agent. The token stays in Rust.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentView {
    pub username: String,
    pub display_name: String,
    pub role: AgentRole,
    pub method: AgentSignInMethod,
    /// What the screens may offer (the service still checks each action).
    pub permissions: Vec<HelpDeskPermission>,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    pub security_keys: u32,
}

impl AgentView {
    pub fn new(agent: AgentSummary, expires_at: OffsetDateTime) -> Self {
        Self {
            username: agent.username,
            display_name: agent.display_name,
            role: agent.role,
            method: agent.method,
            permissions: agent.permissions,
            expires_at,
            security_keys: agent.security_keys,
        }
    }
}

/// The person's record as the agent sees it: masked addresses and numbers, no secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonRecordView {
    pub username: String,
    pub display_name: String,
    pub notification_addresses: Vec<String>,
    pub directory_phones: Vec<String>,
    pub devices: Vec<DeviceView>,
    pub lock: LockView,
    pub recovery_pin_set: bool,
    pub is_agent: bool,
    pub own_account: bool,
    pub recent_events: Vec<RecentEventView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LockView {
    pub state: LockKind,
    #[serde(with = "time::serde::rfc3339::option")]
    pub until: Option<OffsetDateTime>,
    pub failures_last_day: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecentEventView {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub event: String,
    pub outcome: String,
    pub client: String,
}

impl From<RecentEvent> for RecentEventView {
    fn from(event: RecentEvent) -> Self {
        Self {
            at: event.at,
            event: event.event,
            outcome: event.outcome,
            client: event.client,
        }
    }
}

impl From<PersonRecord> for PersonRecordView {
    fn from(record: PersonRecord) -> Self {
        Self {
            username: record.username,
            display_name: record.display_name,
            notification_addresses: record.notification_addresses,
            directory_phones: record.directory_phones,
            devices: record
                .authenticators
                .into_iter()
                .map(DeviceView::from)
                .collect(),
            lock: LockView {
                state: record.lock.state,
                until: record.lock.until,
                failures_last_day: record.lock.failures_last_day,
            },
            recovery_pin_set: record.recovery_pin_set,
            is_agent: record.is_agent,
            own_account: record.own_account,
            recent_events: record
                .recent_events
                .into_iter()
                .map(RecentEventView::from)
                .collect(),
        }
    }
}

/// Where the caller's verification stands. Its id stays in Rust.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallerCheckView {
    pub status: CallerVerificationStatus,
    pub method: CallerVerificationMethod,
    /// Masked addresses or numbers a code went to (empty for other methods).
    pub sent_to: Vec<String>,
    /// Pending: when the code stops working. Verified: when actions stop accepting it.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

impl From<&CallerVerification> for CallerCheckView {
    fn from(check: &CallerVerification) -> Self {
        Self {
            status: check.status,
            method: check.method,
            sent_to: check.sent_to.clone(),
            expires_at: check.expires_at,
        }
    }
}

/// A link went to the person (never shown to the agent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkSentView {
    pub sent_to: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

impl From<LinkSent> for LinkSentView {
    fn from(sent: LinkSent) -> Self {
        Self {
            sent_to: sent.sent_to,
            expires_at: sent.expires_at,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UnlockedView {
    /// `temporary`, `until_help_desk`, or `none` (nothing was locked).
    pub lifted: LiftedLock,
}

/// What an unlock lifted: a lock kind, or `none` where the service says `open`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LiftedLock {
    None,
    Temporary,
    UntilHelpDesk,
}

impl From<LockKind> for LiftedLock {
    fn from(kind: LockKind) -> Self {
        match kind {
            LockKind::Open => Self::None,
            LockKind::Temporary => Self::Temporary,
            LockKind::UntilHelpDesk => Self::UntilHelpDesk,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryPinClearedView {
    /// `false` when the person had no PIN (nothing changed).
    pub cleared: bool,
}
