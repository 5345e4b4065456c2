//! What the private test servers (PostgreSQL, slapd, privacyIDEA) share: a free loopback port,
//! quiet set-up commands, and finding the directories that killed xtasks left behind.

use std::env;
use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{self, Command};

use anyhow::{bail, Context, Result};

use crate::display;

pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("cannot find a free TCP port")?;
    Ok(listener.local_addr()?.port())
}

/// Runs a command without showing its output, unless it fails.
pub fn run_quiet(cmd: &mut Command) -> Result<()> {
    let shown = display(cmd);
    let output = cmd
        .output()
        .with_context(|| format!("cannot start `{shown}`"))?;
    if !output.status.success() {
        bail!(
            "`{shown}` failed ({})\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// The temporary directories `<prefix><pid>` whose xtask no longer runs (killed, e.g. by
/// Ctrl-C: the servers run on and must be stopped). Only on Linux, where `/proc` tells;
/// elsewhere none.
pub fn abandoned_dirs(prefix: &str) -> Vec<PathBuf> {
    if !Path::new("/proc/self").exists() {
        return Vec::new();
    }
    let Ok(entries) = fs::read_dir(env::temp_dir()) else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok())
        .filter(|entry| {
            entry
                .file_name()
                .to_str()
                .and_then(|name| name.strip_prefix(prefix))
                .and_then(|pid| pid.parse::<u32>().ok())
                .is_some_and(|pid| pid != process::id() && !is_running(pid))
        })
        .map(|entry| entry.path())
        .collect()
}

/// Whether the process exists and is no zombie (an xtask killed a moment ago may not have
/// been reaped yet).
fn is_running(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X")
    })
}
