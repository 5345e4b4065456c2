use clap::{Args, Subcommand};

use crate::{app::App, client::Client, flows};

#[derive(Debug, Subcommand)]
pub enum RecoveryPinCommand {
    /// Clear a person's recovery PIN (forgotten, or told to someone). They are told on every
    /// notification address, and set a new one with "Set up account recovery".
    Clear(ClearArgs),
}

#[derive(Debug, Args)]
pub struct ClearArgs {
    username: String,
    /// Why, for the audit log (e.g. "forgotten, caller verified by ticket 4711").
    #[arg(long)]
    reason: String,
}

impl RecoveryPinCommand {
    pub async fn run(self, app: &App) -> anyhow::Result<()> {
        let Self::Clear(args) = self;
        let reason = args.reason.as_str();
        let username = args.username.trim();
        match flows::recovery_pin::clear(app, &Client::admin_cli(), username, reason).await {
            Ok(true) => println!(
                "Cleared the recovery PIN of `{username}`; they were told, and can set a new one."
            ),
            Ok(false) => println!("`{username}` has no recovery PIN; nothing was changed."),
            Err(crate::error::RecoveryError::NotFound) => {
                anyhow::bail!("there is no one with the username `{username}`")
            }
            Err(crate::error::RecoveryError::InvalidField(field)) => {
                anyhow::bail!("--{}: {}", field.field, field.message)
            }
            Err(error) => return Err(error.into()),
        }
        Ok(())
    }
}
