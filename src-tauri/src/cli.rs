//! The command line: the app itself, or the help desk's kiosk enrollment commands.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "recovery-desk",
    version,
    about = "Get back into your account when your second factor is lost or broken."
)]
pub struct Cli {
    /// The organisation's configuration file (besides the system-wide one).
    #[arg(long, global = true, env = "RECOVERY_DESK_CONFIG")]
    pub config: Option<PathBuf>,
    /// Kiosk mode: fullscreen, locked down, cleared when idle.
    #[arg(long)]
    pub kiosk: bool,
    /// Agent mode: the help desk's console (agents sign in, verify callers, act on accounts).
    #[arg(long)]
    pub help_desk: bool,
    /// Demo mode only: keep the demo service's database in DIR (for end-to-end tests, which
    /// reach it with `recovery-server bypass-code issue`).
    #[arg(long, env = "RECOVERY_DESK_DEMO_DATA_DIR", hide = true)]
    pub demo_data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Enroll this computer as a help-desk kiosk, or check or forget its enrollment.
    #[command(subcommand)]
    Kiosk(KioskCommand),
}

#[derive(Debug, Subcommand)]
pub enum KioskCommand {
    /// Trade a one-time enrollment token (from `recovery-server kiosk token`) for this kiosk's
    /// credential, kept in the OS keyring.
    Enroll {
        /// The recovery service's URL (default: `service_url` from the configuration).
        #[arg(long)]
        server: Option<url::Url>,
        /// The one-time enrollment token. Prefer the environment variable, which stays out of
        /// the shell history.
        #[arg(long, env = "RECOVERY_DESK_ENROLLMENT_TOKEN", hide_env_values = true)]
        token: String,
    },
    /// Whether this computer holds a kiosk credential for the service.
    Status {
        #[arg(long)]
        server: Option<url::Url>,
    },
    /// Remove this computer's kiosk credential from the keyring.
    Forget {
        #[arg(long)]
        server: Option<url::Url>,
    },
}
