//! The web view's front end in `ui/`: npm packages installed from the lock file, checks, unit
//! tests (Vitest) and the production build that the app embeds (`ui/dist`).

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::run_command;

/// Oldest Node.js that Vite 7 and Vitest 4 run on.
const NODE_MIN: (u32, u32) = (20, 19);

/// `npm ci` when `ui/node_modules` is missing or older than the lock file, then the production
/// build. The Tauri crate embeds `ui/dist` at compile time, so this runs before any cargo step.
pub fn build() -> Result<()> {
    install()?;
    if dist_is_fresh() {
        eprintln!("ui/dist is newer than every UI source: not rebuilt");
        return Ok(());
    }
    run_command(npm().args(["run", "build"]))
}

/// Whether `ui/dist` was built after the last change to anything it is built from. Rebuilding
/// it needlessly would make cargo recompile the app crate, which embeds it.
fn dist_is_fresh() -> bool {
    let Ok(built) = Path::new("ui/dist/index.html")
        .metadata()
        .and_then(|m| m.modified())
    else {
        return false;
    };
    let inputs = [
        "ui/src",
        "ui/public",
        "ui/scripts",
        "ui/index.html",
        "ui/package-lock.json",
        "ui/vite.config.ts",
        "ui/svelte.config.js",
        "ui/tsconfig.json",
    ];
    inputs
        .iter()
        .all(|input| newest_change(Path::new(input)).is_none_or(|changed| changed <= built))
}

/// The latest modification time of `path` or of anything under it; `None` if it is absent.
fn newest_change(path: &Path) -> Option<std::time::SystemTime> {
    let meta = path.metadata().ok()?;
    let mut newest = meta.modified().ok()?;
    if meta.is_dir() {
        for entry in std::fs::read_dir(path).ok()?.flatten() {
            if let Some(changed) = newest_change(&entry.path()) {
                newest = newest.max(changed);
            }
        }
    }
    Some(newest)
}

/// svelte-check and the Vitest suite.
pub fn check() -> Result<()> {
    install()?;
    run_command(npm().args(["run", "check"]))?;
    run_command(npm().args(["test"]))
}

/// The `tauri` command-line tool that `npm ci` installed (for bundling and icons), by absolute
/// path so that it runs from any directory.
pub fn tauri_cli() -> Result<Command> {
    install()?;
    let path = std::env::current_dir()?.join("ui/node_modules/.bin/tauri");
    Ok(Command::new(path))
}

fn install() -> Result<()> {
    check_node()?;
    let stamp = Path::new("ui/node_modules/.package-lock.json");
    let lock = Path::new("ui/package-lock.json");
    let fresh = match (stamp.metadata(), lock.metadata()) {
        (Ok(stamp), Ok(lock)) => stamp.modified()? >= lock.modified()?,
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    run_command(npm().args(["ci", "--no-audit", "--no-fund"]))
}

fn npm() -> Command {
    let mut cmd = Command::new("npm");
    cmd.current_dir("ui");
    cmd
}

fn check_node() -> Result<()> {
    let output = Command::new("node")
        .args(["-p", "process.versions.node"])
        .output()
        .context("cannot run `node`: install Node.js 20.19 or newer")?;
    let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let found = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    if found < NODE_MIN {
        bail!(
            "Node.js {version} is too old for the UI build; install Node.js {}.{} or newer (https://nodejs.org)",
            NODE_MIN.0,
            NODE_MIN.1
        );
    }
    Ok(())
}
