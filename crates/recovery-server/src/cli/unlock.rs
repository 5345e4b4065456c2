use clap::Args;

use crate::{app::App, client::Client, flows};

#[derive(Debug, Args)]
pub struct UnlockArgs {
    username: String,
}

impl UnlockArgs {
    pub async fn run(self, app: &App) -> anyhow::Result<()> {
        if flows::unlock::unlock(app, &Client::admin_cli(), &self.username).await? {
            println!(
                "Unlocked `{}`: self-service recovery can be tried again.",
                self.username.trim()
            );
        } else {
            println!(
                "`{}` was not locked and had no failed attempts.",
                self.username.trim()
            );
        }
        Ok(())
    }
}
