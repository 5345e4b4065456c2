use anyhow::bail;
use clap::{Args, Subcommand};
use recovery_api::fields;
use time::Duration;

use crate::{app::App, client::Client, flows, mfa::BypassCodeOrigin};

#[derive(Debug, Subcommand)]
pub enum BypassCodeCommand {
    /// Issue a one-use bypass code for a person and print it once.
    Issue(IssueArgs),
}

#[derive(Debug, Args)]
pub struct IssueArgs {
    username: String,
    /// Minutes the code stays valid (default: `bypass_code.valid_seconds` of the configuration).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1440))]
    valid_minutes: Option<u32>,
}

impl BypassCodeCommand {
    pub async fn run(self, app: &App) -> anyhow::Result<()> {
        let Self::Issue(args) = self;
        let username = fields::normalize_username(&args.username)?;
        let Some(person) = app.directory.find_by_username(&username).await? else {
            bail!("no person with the username `{username}` in the directory");
        };
        let valid_for = args.valid_minutes.map(|m| Duration::minutes(i64::from(m)));
        let issued = flows::bypass_code::issue(
            app,
            &Client::admin_cli(),
            &person,
            BypassCodeOrigin::HelpDesk,
            valid_for,
        )
        .await?;
        let code = issued.code.secret().expose();
        println!(
            "Bypass code for {} ({username}): {} {} {}",
            person.display_name,
            &code[0..3],
            &code[3..6],
            &code[6..9]
        );
        println!(
            "Valid once, until {} UTC. It is not shown again.",
            issued.expires_at
        );
        Ok(())
    }
}
