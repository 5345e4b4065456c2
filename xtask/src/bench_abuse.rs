//! `cargo xtask bench abuse`: the load generator of `benches/abuse` (crate `abuse-bench`), in
//! release, against a release `recovery-server`: the workspace's, built here, unless `--server`
//! names one. `--baseline PATH` measures a second binary in the same run; the other arguments
//! are the bench's (`cargo xtask bench abuse -- --help`).

use std::path::PathBuf;

use anyhow::Result;

use crate::{cargo, run_command, system_packages, target_dir};

pub fn run(args: &[String]) -> Result<()> {
    system_packages::ensure(system_packages::BUILD)?;
    let mut args = args.to_vec();
    let names_server = args
        .iter()
        .any(|arg| arg == "--server" || arg.starts_with("--server="));
    if !names_server {
        run_command(cargo().args(["build", "--release", "--package", "recovery-server"]))?;
        let binary: PathBuf = target_dir().join("release").join("recovery-server");
        args.push("--server".to_owned());
        args.push(binary.to_string_lossy().into_owned());
    }
    run_command(
        cargo()
            .args(["run", "--release", "--package", "abuse-bench", "--"])
            .args(&args),
    )
}
