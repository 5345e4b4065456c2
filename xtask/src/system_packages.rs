//! System packages that the build or the tests need, checked and (as root, with apt-get)
//! installed.
//!
//! A requirement is a pair `(probe, debian_package)`. The probe says what must exist:
//! - a command name without `/` (`"pkg-config"`) must be an executable file on `PATH`;
//! - an absolute path must exist, where a path component that is exactly `*` matches any entry
//!   (`"/usr/lib/postgresql/*/bin/initdb"`, `"/usr/lib/*/pkgconfig/webkit2gtk-4.1.pc"`).

use std::env;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

use crate::run_command;

/// `(probe, debian_package)`; see the module documentation.
pub type Requirement = (&'static str, &'static str);

/// What building the workspace needs: webauthn-rs links OpenSSL, found through pkg-config; the
/// desktop app links WebKitGTK and GTK (Tauri's documented Debian prerequisites); USB security
/// keys (fido-hid-rs) link libudev and generate their hidraw bindings with bindgen, which loads
/// libclang.
pub const BUILD: &[Requirement] = &[
    ("pkg-config", "pkg-config"),
    ("/usr/include/openssl/ssl.h", "libssl-dev"),
    (
        "/usr/lib/*/pkgconfig/webkit2gtk-4.1.pc",
        "libwebkit2gtk-4.1-dev",
    ),
    ("/usr/lib/*/pkgconfig/gtk+-3.0.pc", "libgtk-3-dev"),
    ("/usr/lib/*/pkgconfig/libsoup-3.0.pc", "libsoup-3.0-dev"),
    (
        "/usr/lib/*/pkgconfig/ayatana-appindicator3-0.1.pc",
        "libayatana-appindicator3-dev",
    ),
    ("/usr/lib/*/pkgconfig/librsvg-2.0.pc", "librsvg2-dev"),
    ("/usr/include/xdo.h", "libxdo-dev"),
    ("/usr/lib/*/pkgconfig/libudev.pc", "libudev-dev"),
    ("/usr/lib/*/lib/libclang.so", "libclang-dev"),
    ("npm", "npm"),
];

/// What the app's end-to-end tests and screenshots need besides the build: a virtual X
/// display, WebKitGTK's WebDriver, a D-Bus session, and dpkg-deb for the package check.
pub const DESKTOP_TESTS: &[Requirement] = &[
    ("Xvfb", "xvfb"),
    ("xauth", "xauth"),
    ("WebKitWebDriver", "webkit2gtk-driver"),
    ("dbus-run-session", "dbus"),
    ("dpkg-deb", "dpkg"),
];

/// What the browser check of the service's own pages needs: Debian's Chromium and its
/// WebDriver, whose virtual authenticator stands in for a security key.
pub const BROWSER_TESTS: &[Requirement] = &[
    ("chromium", "chromium"),
    ("chromedriver", "chromium-driver"),
];

/// Makes sure every probe is satisfied, installing the missing packages with apt-get when
/// running as root, and otherwise failing with the one command that installs them.
pub fn ensure(requirements: &[Requirement]) -> Result<()> {
    let absent = missing(requirements);
    if absent.is_empty() {
        return Ok(());
    }
    let packages = packages(&absent);
    let what = absent
        .iter()
        .map(|(probe, package)| format!("{package} (for {probe})"))
        .collect::<Vec<_>>()
        .join(", ");

    if !on_path("apt-get") {
        bail!(
            "missing system packages: {what}. This machine has no apt-get; install the \
             equivalent of the Debian packages `{}` with its package manager",
            packages.join(" ")
        );
    }
    if !is_root()? {
        bail!(
            "missing system packages: {what}. Install them with:\n\n    \
             sudo apt-get install -y {}\n",
            packages.join(" ")
        );
    }

    eprintln!("Installing missing system packages: {what}");
    run_command(Command::new("apt-get").arg("update"))?;
    run_command(
        Command::new("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "--no-install-recommends"])
            .args(&packages),
    )?;

    let still_missing = missing(requirements);
    if !still_missing.is_empty() {
        let probes = still_missing
            .iter()
            .map(|(probe, _)| *probe)
            .collect::<Vec<_>>()
            .join(", ");
        bail!(
            "installed {} but still missing: {probes}",
            packages.join(" ")
        );
    }
    Ok(())
}

/// Whether this process runs as root (`id -u` prints 0).
pub fn is_root() -> Result<bool> {
    let output = Command::new("id")
        .arg("-u")
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run `id -u`")?;
    if !output.status.success() {
        bail!("`id -u` failed ({})", output.status);
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim() == "0")
}

fn missing(requirements: &[Requirement]) -> Vec<Requirement> {
    requirements
        .iter()
        .copied()
        .filter(|(probe, _)| !satisfied(probe))
        .collect()
}

/// The distinct packages, in order.
fn packages(requirements: &[Requirement]) -> Vec<&'static str> {
    let mut packages = Vec::new();
    for (_, package) in requirements {
        if !packages.contains(package) {
            packages.push(*package);
        }
    }
    packages
}

fn satisfied(probe: &str) -> bool {
    if probe.contains('/') {
        !expand(Path::new(probe)).is_empty()
    } else {
        on_path(probe)
    }
}

fn on_path(command: &str) -> bool {
    env::var_os("PATH")
        .is_some_and(|path| env::split_paths(&path).any(|dir| is_executable(&dir.join(command))))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// The existing paths that match `pattern`, where a component `*` matches any directory entry.
fn expand(pattern: &Path) -> Vec<PathBuf> {
    let mut matches = vec![PathBuf::new()];
    for component in pattern.components() {
        matches = match component {
            Component::Normal(name) if name == "*" => matches
                .iter()
                .filter_map(|dir| std::fs::read_dir(dir).ok())
                .flatten()
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .collect(),
            other => matches.iter().map(|path| path.join(other)).collect(),
        };
    }
    matches.retain(|path| path.exists());
    matches
}
