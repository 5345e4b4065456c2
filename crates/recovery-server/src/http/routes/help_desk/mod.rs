//! `/v1/help-desk/…`: the help-desk console's doors (docs/help-desk.md). Every route but the
//! sign-in ones takes a help-desk session (`help_desk_session`), never a recovery session.

pub mod actions;
pub mod caller_verifications;
pub mod links_and_devices;
pub mod people;
pub mod sessions;
