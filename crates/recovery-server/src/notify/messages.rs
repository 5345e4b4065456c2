//! The words of each notification. Plain, specific, and always with whom to call.

use time::{macros::format_description, OffsetDateTime};

use crate::config::Organisation;

/// Something that changed the account and that the person must hear about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountEvent {
    BypassCodeCreated,
    HelpDeskBypassCodeCreated,
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
        let what = match self.event {
            AccountEvent::BypassCodeCreated | AccountEvent::HelpDeskBypassCodeCreated => {
                "A bypass code was created for your account"
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
        let what = match self.event {
            AccountEvent::BypassCodeCreated => format!(
                "A one-time bypass code was created for your account at {when} from {}.",
                self.from
            ),
            AccountEvent::HelpDeskBypassCodeCreated => format!(
                "The help desk created a one-time bypass code for your account at {when} ({}).",
                self.from
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
