//! `cargo xtask run`: the recovery service in demo mode, on the embedded demo directory.
//!
//! Later this starts the desktop app (which talks to the demo service) instead.

use anyhow::Result;

use crate::{cargo, run_command};

pub fn run(extra_args: &[String]) -> Result<()> {
    run_command(
        cargo()
            .args([
                "run",
                "--package",
                "recovery-server",
                "--",
                "serve",
                "--demo",
            ])
            .args(extra_args),
    )
}
