use std::{fs::File, path::PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::json;

use crate::{
    app::App,
    audit::{AuditEvent, AuditRecord, Outcome},
    client::Client,
    directory::{read_facts_csv, read_people_csv},
};

#[derive(Debug, Subcommand)]
pub enum DirectoryCommand {
    /// Add or update people from HR's CSV export; one bad line changes nothing.
    Import(ImportArgs),
    /// HR facts (dates of birth) for a directory that holds the passwords itself (LDAP).
    #[command(subcommand)]
    Facts(FactsCommand),
}

#[derive(Debug, Subcommand)]
pub enum FactsCommand {
    /// Add or replace dates of birth from a CSV with `username` and `date_of_birth`
    /// (YYYY-MM-DD) columns and no secrets; one bad line changes nothing.
    Import(FactsImportArgs),
}

#[derive(Debug, Args)]
pub struct FactsImportArgs {
    file: PathBuf,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// CSV with username, display_name, notification_emails, phone_numbers, date_of_birth,
    /// password or password_hash, and optionally recovery_pin.
    file: PathBuf,
    /// Region for phone numbers written without a country code (ISO 3166, e.g. US, GB, ES).
    #[arg(long, default_value = "US")]
    phone_region: String,
}

impl DirectoryCommand {
    pub async fn run(self, app: &App) -> anyhow::Result<()> {
        match self {
            Self::Import(args) => args.run(app).await,
            Self::Facts(FactsCommand::Import(args)) => import_facts(app, args).await,
        }
    }
}

async fn import_facts(app: &App, args: FactsImportArgs) -> anyhow::Result<()> {
    let file =
        File::open(&args.file).with_context(|| format!("cannot open {}", args.file.display()))?;
    let facts = read_facts_csv(file, app.clock.now().date())?;
    app.hr_facts.import(&facts, app.clock.now()).await?;
    let record = AuditRecord {
        event: AuditEvent::HrFactsImported,
        outcome: Outcome::Success,
        person: None,
        client: &Client::admin_cli().label,
        detail: json!({ "people": facts.len() }),
    };
    app.audit.record(app.clock.now(), record).await?;
    match facts.len() {
        1 => println!("Imported the date of birth of 1 person."),
        n => println!("Imported the dates of birth of {n} people."),
    }
    Ok(())
}

impl ImportArgs {
    async fn run(self, app: &App) -> anyhow::Result<()> {
        let args = self;
        let file = File::open(&args.file)
            .with_context(|| format!("cannot open {}", args.file.display()))?;
        let people = read_people_csv(file, &args.phone_region, app.clock.now().date())?;
        let summary = app
            .builtin_directory()
            .import(&people, app.clock.now())
            .await?;
        let record = AuditRecord {
            event: AuditEvent::DirectoryImported,
            outcome: Outcome::Success,
            person: None,
            client: &Client::admin_cli().label,
            detail: json!({ "added": summary.added, "updated": summary.updated }),
        };
        app.audit.record(app.clock.now(), record).await?;
        println!(
            "Imported {} people: {} added, {} updated.",
            people.len(),
            summary.added,
            summary.updated
        );
        Ok(())
    }
}
