//! `cargo xtask bench app`: cold start and idle memory of the app against a bare Tauri app
//! built the same way in the same run, and the `.deb` size. (Being written.)

use anyhow::Result;

pub fn run(_args: &[String]) -> Result<()> {
    anyhow::bail!("`cargo xtask bench app` is not written yet")
}
