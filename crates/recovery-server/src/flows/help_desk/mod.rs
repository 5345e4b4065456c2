//! What the help desk does to a person's account. Every action has passed the guard
//! ([`crate::help_desk::Authorized`]), changes the account through the same flows and provider
//! as self-service, and audits with the help-desk detail in the same unit of work.

pub mod acting;
pub mod security_key_link;
