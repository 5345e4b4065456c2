//! `cargo xtask bundle`: the `.deb` (Tauri bundler), and the package check of `cargo xtask test`.
//! (Being written: see the closing note of the desktop-app issue.)

use anyhow::Result;

pub fn run(_args: &[String]) -> Result<()> {
    anyhow::bail!("`cargo xtask bundle` is not written yet")
}

pub fn check_package() -> Result<()> {
    Ok(())
}
