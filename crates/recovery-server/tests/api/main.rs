//! HTTP-level tests of the recovery service: the real router on a real socket, driven with
//! reqwest, each test on a fresh SQLite file and again on a fresh PostgreSQL database.
//! One test binary, many modules: one link instead of one per file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

mod audit_and_notifications;
mod audit_chain;
mod bad_input;
mod bypass_codes;
mod cancel_safety;
mod cli;
mod clients;
mod connections;
mod crash_safety;
mod duo;
mod enrolment_browser;
mod equal_work;
mod every_route;
mod field_rules;
mod hardware_tokens;
mod health_and_metrics;
mod help_desk_actions;
mod help_desk_activation;
mod help_desk_caller;
mod help_desk_sign_in;
mod help_desk_support;
mod kiosks;
mod landlines;
mod ldap_active_directory;
mod ldap_directory;
mod ldap_http;
mod openapi;
mod outbox;
mod phone_app;
mod privacyidea;
mod recovery_pin;
mod removal;
mod security_key_links;
mod security_keys;
mod sending_limits;
mod sessions;
mod throttle;
mod throttle_deadline;
