//! What the web view may see: only what the screen shows, in camelCase JSON (docs/ipc.md).
//! No type here holds a password, PIN or session token.

use recovery_api::{
    authenticator::{Authenticator, AuthenticatorKind, AuthenticatorStatus, PhoneType},
    demo::{Channel, OutboxMessage},
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

/// What the web view needs to know at start: mode, organisation, help desk, kiosk timing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: String,
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
    /// `demo`: the embedded demo service is in use; `kiosk`: from `--kiosk` or the config.
    pub fn new(
        config: &DeskConfig,
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
