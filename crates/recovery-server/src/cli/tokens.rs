use std::{fs::File, path::PathBuf};

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use serde_json::json;

use crate::{
    app::App,
    audit::{AuditEvent, AuditRecord, Outcome},
    client::Client,
    config::ProviderKind,
    mfa::builtin::read_tokens_csv,
};

#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Import code-generating hardware tokens (HOTP) from the vendor's seed file; one bad line
    /// changes nothing.
    Import(ImportArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// CSV with serial, secret (base32), counter, owner (username).
    file: PathBuf,
}

impl TokensCommand {
    pub async fn run(self, app: &App) -> anyhow::Result<()> {
        let Self::Import(args) = self;
        if app.config.provider != ProviderKind::Builtin {
            bail!("hardware tokens live in the MFA system of record; import them there (Duo: Admin Panel → 2FA Devices → Hardware Tokens)");
        }
        let file = File::open(&args.file)
            .with_context(|| format!("cannot open {}", args.file.display()))?;
        let tokens = read_tokens_csv(file)?;
        let mut owned = Vec::with_capacity(tokens.len());
        for token in tokens {
            let Some(owner) = app.directory.find_by_username(&token.owner).await? else {
                bail!(
                    "token {}: no person with the username `{}`",
                    token.serial,
                    token.owner
                );
            };
            owned.push((owner, token));
        }
        let count = app
            .builtin_provider()
            .import_tokens(&owned, app.clock.now())
            .await?;
        let record = AuditRecord {
            event: AuditEvent::HardwareTokensImported,
            outcome: Outcome::Success,
            person: None,
            client: &Client::admin_cli().label,
            detail: json!({ "count": count }),
        };
        app.audit.record(app.clock.now(), record).await?;
        let noun = if count == 1 { "token" } else { "tokens" };
        println!("Imported {count} hardware {noun}.");
        Ok(())
    }
}
