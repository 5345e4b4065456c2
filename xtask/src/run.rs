//! `cargo xtask run`: the desktop app on the embedded demo service (no configuration), built
//! with the production UI embedded.

use anyhow::{bail, Result};

use crate::{cargo, run_command, system_packages, ui};

pub fn run(extra_args: &[String]) -> Result<()> {
    system_packages::ensure(system_packages::BUILD)?;
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        bail!(
            "no display: the app needs a desktop session (DISPLAY or WAYLAND_DISPLAY). To try \\
             the service alone: cargo run -p recovery-server -- serve --demo"
        );
    }
    ui::build()?;
    run_command(
        cargo()
            .args(["run", "--package", "recovery-desk", "--"])
            .args(extra_args),
    )
}
