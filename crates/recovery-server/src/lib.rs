//! The Recovery Desk service: the authority that verifies a locked-out person, throttles
//! guessing, changes their MFA state through the `MfaProvider` seam, audits and notifies.
//!
//! Map: [`flows`] is what the service does; [`directory`] and [`mfa`] are the two seams a new
//! backend touches; [`http`] and [`cli`] are the thin doors in; [`app`] wires it all.

pub mod app;
pub mod audit;
pub mod cli;
pub mod client;
pub mod clock;
pub mod config;
pub mod demo;
pub mod directory;
pub mod embedded;
pub mod error;
pub mod flows;
pub mod hash_dummies;
pub mod help_desk;
pub mod hr_facts;
pub mod http;
pub mod kiosk;
pub mod metrics;
pub mod mfa;
pub mod notify;
pub mod otp;
pub mod phone_number;
pub mod recovery_pin;
pub mod sealed;
pub mod security_key;
pub mod security_key_link;
pub mod sending_caps;
pub mod session;
pub mod slow_hash;
pub mod storage;
pub mod telephony;
pub mod throttle;
pub mod token;
pub mod verification_queue;
