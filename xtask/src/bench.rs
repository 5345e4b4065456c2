//! `cargo xtask bench <name>`: benchmarks, always in the release profile (`cargo bench`).

use anyhow::{bail, Result};

use crate::{cargo, run_command, strip_separator, system_packages};

/// Benchmark name → (package, bench target).
const BENCHES: &[(&str, &str, &str)] = &[
    ("service", "recovery-server", "service"),
    ("ctap", "recovery-desk-core", "ctap"),
];

pub fn run(args: &[String]) -> Result<()> {
    let names = BENCHES
        .iter()
        .map(|(name, _, _)| *name)
        .collect::<Vec<_>>()
        .join(", ");
    let Some((name, extra_args)) = args.split_first() else {
        bail!("`cargo xtask bench` needs a benchmark name; benchmarks: {names}");
    };
    if name == "app" {
        return crate::bench_app::run(strip_separator(extra_args));
    }
    if name == "abuse" {
        return crate::bench_abuse::run(strip_separator(extra_args));
    }
    let Some((_, package, target)) = BENCHES.iter().find(|(n, _, _)| n == name) else {
        bail!("unknown benchmark `{name}`; benchmarks: {names}, app, abuse");
    };
    system_packages::ensure(system_packages::BUILD)?;
    let extra_args = strip_separator(extra_args);
    let mut cmd = cargo();
    cmd.args(["bench", "--package", package, "--bench", target]);
    if !extra_args.is_empty() {
        cmd.arg("--").args(extra_args);
    }
    run_command(&mut cmd)
}
