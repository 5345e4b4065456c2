//! `cargo xtask run`: the recovery service in demo mode, on the embedded demo directory.
//!
//! Later this starts the desktop app (which talks to the demo service) instead.

use anyhow::Result;

use crate::{cargo, run_command, system_packages};

pub fn run(extra_args: &[String]) -> Result<()> {
    system_packages::ensure(system_packages::BUILD)?;
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
