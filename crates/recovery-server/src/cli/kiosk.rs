use clap::{Args, Subcommand};

use crate::{app::App, flows};

#[derive(Debug, Subcommand)]
pub enum KioskCommand {
    /// Create a one-time enrollment token for a new kiosk and print it once.
    Token(TokenArgs),
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The name people will read in notifications, e.g. "Help Desk Kiosk 2".
    #[arg(long)]
    name: String,
}

impl KioskCommand {
    pub async fn run(self, app: &App) -> anyhow::Result<()> {
        let Self::Token(args) = self;
        let (kiosk, token) = flows::kiosk::create_enrollment(app, &args.name).await?;
        println!(
            "Enrollment token for kiosk \"{}\" ({}):",
            kiosk.name, kiosk.id
        );
        println!("{}", token.expose());
        println!(
            "Enter it on the kiosk within {} hours. It works once and is not shown again.",
            app.config.kiosk.enrollment_valid_hours
        );
        Ok(())
    }
}
