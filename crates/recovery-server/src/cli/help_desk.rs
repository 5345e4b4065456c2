//! `recovery-server help-desk …`: the help desk's actions for scripting on the service host.
//! The command acts as the service's operator (client "the help desk", caller verification
//! "operator"): whoever runs it answers for having checked the person, and says why.

use anyhow::bail;
use clap::{Args, Subcommand};
use recovery_api::fields;

use crate::{
    app::App,
    flows::help_desk::{acting::Acting, security_key_link},
    help_desk::guard::check_reason,
};

#[derive(Debug, Subcommand)]
pub enum HelpDeskCommand {
    /// List the agents the configuration names, with their roles.
    Agents,
    /// E-mail a person a single-use link where they register a security key in their browser.
    #[command(name = "security-key-link")]
    SecurityKeyLink(LinkArgs),
}

#[derive(Debug, Args)]
pub struct LinkArgs {
    username: String,
    /// Why, for the audit log (1–200 characters on one line, e.g. "lost keys, ticket 4711").
    #[arg(long)]
    reason: String,
    /// Hours the link works (default and ceiling: `help_desk.security_key_link_hours`).
    #[arg(long)]
    valid_hours: Option<u32>,
}

impl HelpDeskCommand {
    pub async fn run(self, app: &App) -> anyhow::Result<()> {
        match self {
            Self::Agents => {
                let agents = &app.config.help_desk.agents;
                if agents.is_empty() {
                    println!("No agents are configured in [[help_desk.agents]].");
                }
                for agent in agents {
                    println!("{}\t{}", agent.username, agent.role.as_str());
                }
                Ok(())
            }
            Self::SecurityKeyLink(args) => {
                let reason = check_reason(&args.reason).map_err(|_| {
                    anyhow::anyhow!("--reason must say why, in up to 200 characters on one line")
                })?;
                let username = fields::normalize_username(&args.username)?;
                let Some(person) = app.directory.find_by_username(&username).await? else {
                    bail!("there is no one with the username `{username}`");
                };
                let acting = Acting::operator(person, &reason);
                let sent = security_key_link::send_as(app, &acting, args.valid_hours).await?;
                println!(
                    "E-mailed a security-key link for `{username}` to {}; it works once, until {} UTC.",
                    sent.sent_to.join(", "),
                    sent.expires_at
                );
                Ok(())
            }
        }
    }
}
