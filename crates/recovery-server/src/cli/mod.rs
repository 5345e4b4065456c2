//! The `recovery-server` command: `serve`, and the help desk's admin commands. Each command
//! builds the [`App`] from the same configuration and calls a flow.

mod audit;
mod bypass_code;
mod directory;
mod help_desk;
mod kiosk;
mod recovery_pin;
mod serve;
mod tokens;
mod unlock;

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};

use crate::{
    app::{App, AppOptions},
    config::Config,
    storage::Database,
};

#[derive(Debug, Parser)]
#[command(
    name = "recovery-server",
    version,
    about = "The Recovery Desk service and its admin commands"
)]
pub struct Cli {
    /// A TOML configuration file; `RECOVERY_*` environment variables override it.
    #[arg(long, global = true, env = "RECOVERY_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API.
    Serve(serve::ServeArgs),
    /// Manage the builtin directory, and HR facts for any directory.
    #[command(subcommand)]
    Directory(directory::DirectoryCommand),
    /// Issue bypass codes for the help desk.
    #[command(subcommand, name = "bypass-code")]
    BypassCode(bypass_code::BypassCodeCommand),
    /// The help desk's actions, as the service's operator.
    #[command(subcommand, name = "help-desk")]
    HelpDesk(help_desk::HelpDeskCommand),
    /// Unlock self-service for a person locked out by too many attempts.
    Unlock(unlock::UnlockArgs),
    /// Clear a person's recovery PIN so they set a new one.
    #[command(subcommand, name = "recovery-pin")]
    RecoveryPin(recovery_pin::RecoveryPinCommand),
    /// Read the audit log, and check that it was not tampered with.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Bring the database schema up to date and exit; run it as the schema's owner when the
    /// service's own role may not change the schema (docs/postgres-roles.md).
    Migrate,
    /// Enroll help-desk kiosks.
    #[command(subcommand)]
    Kiosk(kiosk::KioskCommand),
    /// Manage code-generating hardware tokens.
    #[command(subcommand)]
    Tokens(tokens::TokensCommand),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve(args) => serve::run(config, args).await,
        Command::Directory(command) => command.run(&open(config).await?).await,
        Command::BypassCode(command) => command.run(&open(config).await?).await,
        Command::HelpDesk(command) => command.run(&open(config).await?).await,
        Command::Unlock(args) => args.run(&open(config).await?).await,
        Command::RecoveryPin(command) => command.run(&open(config).await?).await,
        Command::Audit(command) => {
            let app = match command.needs_database() {
                true => Some(open(config).await?),
                false => None,
            };
            command.run(app.as_ref()).await
        }
        Command::Migrate => {
            let db = Database::open(&config.database_url).await?;
            db.close().await;
            println!("The database schema is up to date.");
            Ok(())
        }
        Command::Kiosk(command) => command.run(&open(config).await?).await,
        Command::Tokens(command) => command.run(&open(config).await?).await,
    }
}

async fn open(config: Config) -> anyhow::Result<App> {
    Ok(App::build(config, AppOptions::default()).await?)
}
