//! `cargo xtask test`: every check, in order, stopping at the first failure. `.ci/run` runs
//! exactly this: formatting, the UI's checks, unit tests and build, clippy, every Rust test (on
//! SQLite and PostgreSQL, the LDAP ones against a private slapd), schemathesis against the API,
//! the `.deb` package check, and the end-to-end suite over WebDriver (the app under Xvfb, then
//! the service's enrolment page in headless Chromium).

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::postgres::Cluster;
use crate::privacyidea::PrivacyIdea;
use crate::slapd::Slapd;
use crate::{api_fuzz, bundle, cargo, e2e, run_command, system_packages, ui};

/// The environment variable that tells the tests where PostgreSQL is: a superuser URL; each test
/// creates its own database.
const POSTGRES_URL_VAR: &str = "RECOVERY_TEST_POSTGRES_URL";

const STEPS: [&str; 7] = ["fmt", "ui", "clippy", "test", "api-fuzz", "package", "e2e"];

pub fn run() -> Result<()> {
    let started = Instant::now();
    check_components()?;
    system_packages::ensure(system_packages::BUILD)?;
    system_packages::ensure(system_packages::DESKTOP_TESTS)?;
    system_packages::ensure(system_packages::BROWSER_TESTS)?;
    let locked = Path::new("Cargo.lock").exists();
    if !locked {
        eprintln!("note: no Cargo.lock yet, so cargo runs without --locked");
    }

    step(1, || {
        run_command(cargo().args(["fmt", "--all", "--", "--check"]))
    })?;

    // Before any cargo step: the app crate embeds ui/dist when it compiles.
    step(2, || {
        ui::check()?;
        ui::build()
    })?;

    step(3, || {
        let mut cmd = cargo();
        cmd.args(["clippy", "--workspace", "--all-targets"]);
        if locked {
            cmd.arg("--locked");
        }
        run_command(cmd.args(["--", "-D", "warnings"]))
    })?;

    let mut postgres = String::new();
    step(4, || {
        // Stopped when dropped, whether the tests pass, fail or panic.
        let cluster = Cluster::start().context("cannot start the test PostgreSQL cluster")?;
        let privacyidea = PrivacyIdea::start(&crate::target_dir())
            .context("cannot start the test privacyIDEA server")?;
        let slapd = Slapd::start().context("cannot start the test OpenLDAP slapd")?;
        let mut cmd = cargo();
        cmd.env(POSTGRES_URL_VAR, cluster.url())
            .envs(privacyidea.env())
            .envs(slapd.env())
            .args(["test", "--workspace"]);
        if locked {
            cmd.arg("--locked");
        }
        run_command(&mut cmd)?;
        postgres = format!(
            "{} (privacyIDEA: {}; LDAP tests on {})",
            cluster.description(),
            privacyidea.description(),
            slapd.description()
        );
        slapd.stop()?;
        privacyidea.stop()?;
        cluster.stop()
    })?;

    step(5, api_fuzz::run)?;

    step(6, bundle::check_package)?;

    step(7, || {
        e2e::run(None, None)?;
        e2e::browser()
    })?;

    eprintln!(
        "\nxtask test: all {} steps passed in {} ({}; tests ran on SQLite and {postgres})",
        STEPS.len(),
        format_duration(started.elapsed()),
        STEPS.join(", "),
    );
    Ok(())
}

/// Runs step `number` (1-based), naming it in the progress line and in the error.
fn step(number: usize, body: impl FnOnce() -> Result<()>) -> Result<()> {
    let name = STEPS[number - 1];
    let total = STEPS.len();
    eprintln!("\n==> [{number}/{total}] {name}");
    let started = Instant::now();
    body()
        .with_context(|| format!("`cargo xtask test` failed at step {number}/{total} ({name})"))?;
    eprintln!(
        "==> [{number}/{total}] {name}: ok ({})",
        format_duration(started.elapsed())
    );
    Ok(())
}

/// Fails early, with the fix, when rustfmt or clippy is not installed.
fn check_components() -> Result<()> {
    let missing: Vec<&str> = ["fmt", "clippy"]
        .into_iter()
        .filter(|tool| {
            !cargo()
                .args([tool, "--version"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let components = missing
        .iter()
        .map(|tool| if *tool == "fmt" { "rustfmt" } else { tool })
        .collect::<Vec<_>>()
        .join(" ");
    bail!(
        "`cargo {}` is not installed; install it with:\n\n    rustup component add {components}\n",
        missing.join("` and `cargo ")
    )
}

fn format_duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    if seconds >= 60 {
        format!("{}m {:02}s", seconds / 60, seconds % 60)
    } else {
        format!("{:.1}s", duration.as_secs_f64())
    }
}
