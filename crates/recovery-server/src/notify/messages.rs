//! The words of each notification. Plain, specific, and always with whom to call.

use time::{macros::format_description, OffsetDateTime};

use crate::config::Organisation;

/// Something that changed the account and that the person must hear about. Device names are
/// the names the person sees, numbers only as hints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountEvent {
    BypassCodeCreated,
    HelpDeskBypassCodeCreated,
    LandlineAdded {
        number_hint: String,
    },
    LandlineVerified {
        number_hint: String,
    },
    ActivationLinkCreated {
        device: String,
    },
    PhoneAppReactivated {
        device: String,
    },
    SecurityKeyRegistered {
        device: String,
    },
    HardwareTokenResynced {
        device: String,
    },
    DeviceRemoved {
        device: String,
        reason: String,
    },
    RecoveryPinSet,
    RecoveryPinChanged,
    RecoveryPinCleared,
    /// The help desk lifted a lock on self-service recovery.
    AccountUnlocked,
    /// An agent registered a security key for signing in to the help-desk console.
    HelpDeskKeyRegistered {
        device: String,
    },
}

/// What to tell: the event, when, and from where ("Help Desk Kiosk 2", "127.0.0.1").
#[derive(Debug, Clone)]
pub struct EventNotice<'a> {
    pub event: AccountEvent,
    pub display_name: &'a str,
    pub at: OffsetDateTime,
    pub from: &'a str,
}

impl EventNotice<'_> {
    pub fn subject(&self, organisation: &Organisation) -> String {
        let what = match &self.event {
            AccountEvent::BypassCodeCreated | AccountEvent::HelpDeskBypassCodeCreated => {
                "A bypass code was created for your account"
            }
            AccountEvent::LandlineAdded { .. } | AccountEvent::LandlineVerified { .. } => {
                "A phone was added to your account"
            }
            AccountEvent::ActivationLinkCreated { .. } => {
                "A link to set up your phone app was created"
            }
            AccountEvent::PhoneAppReactivated { .. } => "Your phone app was set up on a new phone",
            AccountEvent::SecurityKeyRegistered { .. } => {
                "A security key was added to your account"
            }
            AccountEvent::HardwareTokenResynced { .. } => "Your hardware token was resynced",
            AccountEvent::DeviceRemoved { .. } => "A device was removed from your account",
            AccountEvent::RecoveryPinSet => "A recovery PIN was set for your account",
            AccountEvent::RecoveryPinChanged => "Your recovery PIN was changed",
            AccountEvent::RecoveryPinCleared => "Your recovery PIN was cleared by the help desk",
            AccountEvent::AccountUnlocked => "Self-service recovery was unlocked by the help desk",
            AccountEvent::HelpDeskKeyRegistered { .. } => {
                "A security key was added to your help-desk sign-in"
            }
        };
        format!("{}: {what}", organisation.name)
    }

    pub fn body(&self, organisation: &Organisation) -> String {
        let when = self
            .at
            .format(format_description!(
                "[hour]:[minute] UTC on [day padding:none] [month repr:long] [year]"
            ))
            .unwrap_or_else(|_| self.at.to_string());
        let from = self.from;
        let what = match &self.event {
            AccountEvent::BypassCodeCreated => {
                format!("A one-time bypass code was created for your account at {when} from {from}.")
            }
            AccountEvent::HelpDeskBypassCodeCreated => format!(
                "The help desk created a one-time bypass code for your account at {when} ({from})."
            ),
            AccountEvent::LandlineAdded { number_hint } => format!(
                "The phone number ending {number_hint} was added to your account at {when} from {from}. \
                 It works once it is verified with the code we are calling it with."
            ),
            AccountEvent::LandlineVerified { number_hint } => format!(
                "The phone number ending {number_hint} was verified at {when} from {from} and can now be used to sign in."
            ),
            AccountEvent::ActivationLinkCreated { device } => format!(
                "A link to set up your phone app on a new phone (replacing \"{device}\") was created at {when} from {from}."
            ),
            AccountEvent::PhoneAppReactivated { device } => format!(
                "Your phone app for \"{device}\" was set up on a new phone at {when}. The app on the old phone no longer works."
            ),
            AccountEvent::SecurityKeyRegistered { device } => format!(
                "The security key \"{device}\" was added to your account at {when} from {from}."
            ),
            AccountEvent::HardwareTokenResynced { device } => format!(
                "Your hardware token \"{device}\" was resynced at {when} from {from}."
            ),
            AccountEvent::DeviceRemoved { device, reason } => format!(
                "\"{device}\" was removed from your account at {when} from {from} (reported {reason}). It can no longer be used to sign in."
            ),
            AccountEvent::RecoveryPinSet => format!(
                "A recovery PIN was set for your account at {when} from {from}. With your password and date of birth it lets you recover your account if you lose your devices."
            ),
            AccountEvent::RecoveryPinChanged => format!(
                "Your recovery PIN was changed at {when} from {from}. The old PIN no longer works."
            ),
            AccountEvent::RecoveryPinCleared => format!(
                "The help desk cleared your recovery PIN at {when} ({from}). Set a new one in Recovery Desk with \"Set up account recovery\"."
            ),
            AccountEvent::AccountUnlocked => format!(
                "The help desk unlocked self-service recovery for your account at {when} ({from}), after too many failed attempts. You can try recovering again."
            ),
            AccountEvent::HelpDeskKeyRegistered { device } => format!(
                "The security key \"{device}\" was added to your sign-in to the help-desk console at {when} from {from}."
            ),
        };
        let contact = if organisation.help_desk_url.is_empty() {
            organisation.help_desk_phone.clone()
        } else {
            format!(
                "{} ({})",
                organisation.help_desk_phone, organisation.help_desk_url
            )
        };
        format!(
            "Hello {},\n\n{what}\n\nIf this was you, there is nothing more to do.\n\
             If this was not you, call {contact} right away: someone may be trying to get into your account.\n\n\
             {} Recovery Desk\n",
            self.display_name, organisation.name
        )
    }
}
