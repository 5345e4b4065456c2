//! Project automation for Recovery Desk, in the style of rust-analyzer's xtask:
//! `cargo xtask <command>` (the alias lives in `.cargo/config.toml`).
//!
//! Each command has its own module; this file parses the arguments by hand and holds the few
//! helpers they share. No product logic belongs here.

mod api_fuzz;
mod bench;
mod bench_abuse;
mod bench_app;
mod bundle;
mod e2e;
mod postgres;
mod privacyidea;
mod run;
mod slapd;
mod system_packages;
mod test;
mod test_servers;
mod ui;

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{bail, Context, Result};

const USAGE: &str = "\
Usage: cargo xtask <command> [args]

Commands:
  run [-- ARGS]           Build the UI and run the desktop app on the embedded demo service
                          (cargo run -p recovery-desk -- ARGS; for example `-- --kiosk`).
  test                    Every check, in order: cargo fmt --check; the UI's svelte-check,
                          Vitest and build; clippy -D warnings; every Rust test on SQLite and on
                          a private PostgreSQL cluster and a private OpenLDAP slapd that xtask
                          starts (and, as root, installs with apt-get); schemathesis against `recovery-server serve --demo`;
                          the .deb package check; the end-to-end suite.
  api-fuzz                Schemathesis (pinned, from PyPI into a virtual environment under the
                          target directory) with every check against `serve --demo`.
  privacyidea [-- ARGS]   The privacyIDEA provider's tests alone, against the private
                          privacyIDEA 3.14 and PostgreSQL that `test` also starts (cargo test
                          -p recovery-server --test api ARGS; ARGS default to `privacyidea`).
  with-ldap -- CMD...      Run CMD with the test OpenLDAP slapd started and RECOVERY_TEST_LDAP_*
                          set, then stop it (e.g. `cargo xtask with-ldap -- cargo test -p
                          recovery-server --test api ldap`).
  e2e [-- FILTER]         The end-to-end suite alone: the built app over WebDriver under Xvfb
                          (only the tests whose names contain FILTER, when given).
  bundle                  Build the release .deb with the Tauri bundler (target/release/bundle).
  screenshots [-- FILTER] Regenerate docs/screenshots/ from the end-to-end suite (with FILTER,
                          add the missing pictures of those tests and keep the others).
  bench <name> [-- ARGS]  Run a benchmark. Benchmarks: service, app, ctap, abuse.
  help                    Show this message.
";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    match try_main(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("\nerror: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn try_main(args: &[String]) -> Result<()> {
    let root = project_root()?;
    env::set_current_dir(&root)
        .with_context(|| format!("cannot change directory to {}", root.display()))?;

    let Some((command, rest)) = args.split_first() else {
        eprint!("{USAGE}");
        bail!("no command given");
    };
    match command.as_str() {
        "run" => run::run(strip_separator(rest)),
        "test" => {
            if let Some(extra) = rest.first() {
                bail!("`cargo xtask test` takes no arguments (got `{extra}`)");
            }
            test::run()
        }
        "bench" => bench::run(rest),
        "bundle" => bundle::run(strip_separator(rest)),
        "api-fuzz" => api_fuzz::run(),
        "privacyidea" => privacyidea::run_tests(strip_separator(rest)),
        "with-ldap" => with_ldap(strip_separator(rest)),
        "e2e" => e2e::run(None, strip_separator(rest).first().map(String::as_str)),
        "screenshots" => e2e::run(
            Some(Path::new("docs/screenshots")),
            strip_separator(rest).first().map(String::as_str),
        ),
        "help" | "-h" | "--help" => {
            print!("{USAGE}");
            Ok(())
        }
        other => {
            eprint!("{USAGE}");
            bail!("unknown command `{other}`; the commands are: run, test, api-fuzz, privacyidea, with-ldap, e2e, bundle, screenshots, bench, help")
        }
    }
}

/// Runs one command while the test slapd serves, then stops it.
fn with_ldap(command: &[String]) -> Result<()> {
    let Some((program, args)) = command.split_first() else {
        bail!("usage: cargo xtask with-ldap -- CMD [ARGS...]");
    };
    let server = slapd::Slapd::start()?;
    let result = run_command(Command::new(program).args(args).envs(server.env()));
    server.stop()?;
    result
}

/// The workspace root: the parent of this crate's directory.
fn project_root() -> Result<PathBuf> {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .context("the xtask crate has no parent directory")
}

/// Drops one leading `--`, so that `cargo xtask run -- --flag` and `cargo xtask run --flag` mean
/// the same.
fn strip_separator(args: &[String]) -> &[String] {
    match args.split_first() {
        Some((first, rest)) if first == "--" => rest,
        _ => args,
    }
}

/// Cargo's target directory: `CARGO_TARGET_DIR` when set (CI keeps it outside the clone),
/// else `target/` in the workspace.
fn target_dir() -> PathBuf {
    env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from)
}

/// `cargo`, the one that runs xtask (Cargo sets `CARGO` for the programs it runs).
fn cargo() -> Command {
    Command::new(env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo")))
}

/// Prints the command, runs it with inherited stdio, and fails unless it exits successfully.
fn run_command(cmd: &mut Command) -> Result<()> {
    let shown = display(cmd);
    eprintln!("$ {shown}");
    let status = cmd
        .status()
        .with_context(|| format!("cannot start `{shown}`"))?;
    if !status.success() {
        bail!("`{shown}` failed ({status})");
    }
    Ok(())
}

/// A command as a person would type it in a shell (environment variables first).
fn display(cmd: &Command) -> String {
    let mut words = Vec::new();
    for (key, value) in cmd.get_envs() {
        if let Some(value) = value {
            words.push(format!(
                "{}={}",
                key.to_string_lossy(),
                quote(&value.to_string_lossy())
            ));
        }
    }
    let program = Path::new(cmd.get_program());
    if program.file_stem().is_some_and(|stem| stem == "cargo") {
        words.push("cargo".to_owned());
    } else {
        words.push(quote(&program.to_string_lossy()));
    }
    words.extend(cmd.get_args().map(|arg| quote(&arg.to_string_lossy())));
    words.join(" ")
}

fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_=+/.,:@%^".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}
