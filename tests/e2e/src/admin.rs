//! The admin CLI (`recovery-server`), run against one test's demo database.

use std::process::Command;

use anyhow::{ensure, Context, Result};

use crate::desk::Desk;

impl Desk {
    /// Runs the admin CLI against this app's demo database.
    pub fn admin(&self, args: &[&str]) -> Result<String> {
        let db = format!("sqlite://{}", self.demo_dir().join("demo.db").display());
        let output = Command::new(&self.suite.server)
            .args(args)
            .env("RECOVERY_DATABASE_URL", &db)
            .env_remove("RECOVERY_CONFIG")
            .env("HOME", self.home())
            .output()
            .with_context(|| format!("running {}", self.suite.server.display()))?;
        ensure!(
            output.status.success(),
            "recovery-server {} failed ({}): {}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }
}
