use std::{io::Write, path::PathBuf};

use anyhow::{bail, Context};
use clap::{Args, Subcommand};

use crate::{
    app::App,
    audit::{chain, ExportedRecord},
};

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Print the audit log as JSON lines, oldest first, each with its links in the hash chain.
    Export(ExportArgs),
    /// Check the hash chain: report the first record altered, deleted, inserted or reordered,
    /// or a log cut short; exit non-zero when the chain is broken.
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Only records after this sequence number (to continue an earlier export).
    #[arg(long, default_value_t = 0)]
    after: i64,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Check an export (`audit export` output) instead of the database. An export has no head:
    /// compare its last hash with the one `audit verify` prints for the database.
    #[arg(long, value_name = "FILE")]
    export: Option<PathBuf>,
}

impl AuditCommand {
    /// `audit verify --export` needs no database; everything else does.
    pub fn needs_database(&self) -> bool {
        !matches!(self, Self::Verify(VerifyArgs { export: Some(_) }))
    }

    pub async fn run(self, app: Option<&App>) -> anyhow::Result<()> {
        match (self, app) {
            (Self::Export(args), Some(app)) => export(app, args.after).await,
            (Self::Verify(VerifyArgs { export: Some(file) }), _) => verify_export(&file),
            (Self::Verify(VerifyArgs { export: None }), Some(app)) => {
                report(app.audit.verify().await?)
            }
            _ => bail!("this command needs the database"),
        }
    }
}

async fn export(app: &App, after: i64) -> anyhow::Result<()> {
    let records = app.audit.export(after).await?;
    let mut out = std::io::stdout().lock();
    for record in records {
        serde_json::to_writer(&mut out, &record)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

fn verify_export(file: &std::path::Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read the export {}", file.display()))?;
    let mut records = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let record: ExportedRecord = serde_json::from_str(line)
            .with_context(|| format!("line {} of the export is not an audit record", number + 1))?;
        records.push(record);
    }
    report(chain::verify(records, None))
}

fn report(result: Result<chain::Verified, chain::Break>) -> anyhow::Result<()> {
    match result {
        Ok(verified) => {
            println!(
                "The audit chain is intact: {} records chained, up to record {}.",
                verified.chained, verified.last_seq
            );
            if let Some(hash) = &verified.last_hash {
                println!("Last hash: {hash}");
            }
            if verified.before_chain > 0 {
                println!(
                    "{} older records were written before the chain existed and are not covered.",
                    verified.before_chain
                );
            }
            Ok(())
        }
        Err(broken) => bail!("the audit chain is broken: {broken}"),
    }
}
