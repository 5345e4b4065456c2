use std::io::Write;

use clap::{Args, Subcommand};

use crate::app::App;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Print the audit log as JSON lines, oldest first.
    Export(ExportArgs),
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Only records after this sequence number (to continue an earlier export).
    #[arg(long, default_value_t = 0)]
    after: i64,
}

impl AuditCommand {
    pub async fn run(self, app: &App) -> anyhow::Result<()> {
        let Self::Export(args) = self;
        let records = app.audit.export(args.after).await?;
        let mut out = std::io::stdout().lock();
        for record in records {
            serde_json::to_writer(&mut out, &record)?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
        Ok(())
    }
}
