//! The e-mail that carries a single-use link to the person (a security-key enrolment page, a
//! phone-app activation). Unlike an [`EventNotice`](super::EventNotice) its body is a
//! credential: it goes only to the person's own addresses, is sealed in the outbox, and is
//! never logged.

use recovery_api::Secret;
use time::{macros::format_description, OffsetDateTime};

use crate::config::Organisation;

/// What the link does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkPurpose {
    /// Register a security key in the browser.
    SecurityKey,
    /// Set up the phone app on a new phone (replacing the named device).
    PhoneApp { device: String },
}

/// One link e-mail: who it is for, the link, until when it works, who sent it.
#[derive(Debug)]
pub struct LinkMail<'a> {
    pub purpose: LinkPurpose,
    pub display_name: &'a str,
    pub url: &'a Secret,
    pub expires_at: OffsetDateTime,
    /// "agent hopper at Help Desk Kiosk 2".
    pub from: &'a str,
}

impl LinkMail<'_> {
    pub fn subject(&self, organisation: &Organisation) -> String {
        let what = match self.purpose {
            LinkPurpose::SecurityKey => "Your link to add a security key",
            LinkPurpose::PhoneApp { .. } => "Your link to set up your phone app",
        };
        format!("{}: {what}", organisation.name)
    }

    /// The body, with the link in it: a secret until it is delivered.
    pub fn body(&self, organisation: &Organisation) -> Secret {
        let until = self
            .expires_at
            .format(format_description!(
                "[hour]:[minute] UTC on [day padding:none] [month repr:long] [year]"
            ))
            .unwrap_or_else(|_| self.expires_at.to_string());
        let (task, step) = match &self.purpose {
            LinkPurpose::SecurityKey => (
                "add a security key to your account".to_owned(),
                "Open the link on the computer where your security key is plugged in, choose \
                 \"Add my security key\", then touch the key when it blinks.",
            ),
            LinkPurpose::PhoneApp { device } => (
                format!("set up your phone app on a new phone (replacing \"{device}\")"),
                "Open the link on the new phone and follow the steps.",
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
        Secret::new(format!(
            "Hello {},\n\nThe help desk ({}) sent you this link to {task}:\n\n{}\n\n{step}\n\
             The link works once, until {until}. Do not forward it: whoever opens it can use it.\n\n\
             If you did not ask the help desk for this, do not open the link and call {contact} \
             right away: someone may be trying to get into your account.\n\n\
             {} Recovery Desk\n",
            self.display_name,
            self.from,
            self.url.expose(),
            organisation.name
        ))
    }
}

/// An address as the help desk may see it: `a•••@example.org`.
pub fn masked_address(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}•••@{domain}")
        }
        None => "•••".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mail_names_the_sender_the_deadline_and_whom_to_call() {
        let organisation = Organisation {
            name: "Example University".to_owned(),
            help_desk_phone: "+1 201 555 0100".to_owned(),
            help_desk_url: String::new(),
        };
        let url = Secret::new("https://recovery.example.org/v1/enrolments/abc");
        let mail = LinkMail {
            purpose: LinkPurpose::SecurityKey,
            display_name: "Ada Lovelace",
            url: &url,
            expires_at: time::macros::datetime!(2026-12-06 21:30 UTC),
            from: "agent hopper at Help Desk Kiosk 2",
        };
        let body = mail.body(&organisation);
        assert!(body.expose().contains(url.expose()));
        assert!(body.expose().contains("21:30 UTC on 6 December 2026"));
        assert!(body.expose().contains("agent hopper at Help Desk Kiosk 2"));
        assert!(body.expose().contains("+1 201 555 0100"));
        assert_eq!(
            masked_address("ada.lovelace@example.org"),
            "a•••@example.org"
        );
        assert_eq!(masked_address("nobody"), "•••");
        assert_eq!(
            mail.subject(&organisation),
            "Example University: Your link to add a security key"
        );
    }
}
