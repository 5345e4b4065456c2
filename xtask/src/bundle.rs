//! `cargo xtask bundle`: the release `.deb`, built by the Tauri bundler (`tauri build --bundles
//! deb`, the npm CLI in `ui/node_modules`), and signed for the updater when a key is given; and
//! the package check of `cargo xtask test`, which builds the same package in the debug profile
//! and reads it back with `dpkg-deb`.
//!
//! What goes into the package is declared in `src-tauri/tauri.conf.json` (`bundle`); the
//! Windows and macOS packages are described in `docs/packaging.md`.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{bail, Context, Result};

use crate::{display, run_command, system_packages, target_dir, ui};

/// The binary, as installed by the package (`mainBinaryName` in tauri.conf.json).
const BINARY: &str = "recovery-desk";

/// The updater key: a path or the key itself (`tauri signer generate`).
const SIGNING_KEY_VAR: &str = "TAURI_SIGNING_PRIVATE_KEY";

/// Its public half (the content of the `.pub` file). The bundler checks each signature it makes
/// against it; when the private key is a path, `PATH.pub` is read instead.
const PUBLIC_KEY_VAR: &str = "TAURI_SIGNING_PUBLIC_KEY";

/// Runtime dependencies the package must declare. The Tauri CLI adds the first two itself
/// (listing them again in `bundle.linux.deb.depends` would repeat them in `Depends`); other
/// libraries go in that list: libudev1 for USB security keys (fido-hid-rs links libudev).
const DEPENDS: &[&str] = &["libwebkit2gtk-4.1-0", "libgtk-3-0", "libudev1"];

/// The desktop entry: the bundler names it after `productName`.
const DESKTOP_ENTRY: &str = "usr/share/applications/*.desktop";

/// What the package must install: `(path in the package, what it is)`, where `*` stands for any
/// characters but `/`. A later file (a udev rule, say) is one more line here and one more entry
/// in `bundle.linux.deb.files` in tauri.conf.json.
const CONTENTS: &[(&str, &str)] = &[
    ("usr/bin/recovery-desk", "the app's binary"),
    (DESKTOP_ENTRY, "the desktop entry"),
    (
        "usr/share/icons/hicolor/*/apps/recovery-desk.png",
        "an icon",
    ),
    (
        "usr/share/recovery-desk/config.example.toml",
        "the sample organisation configuration, from bundle.linux.deb.files",
    ),
    (
        UDEV_RULE,
        "the udev rule that lets the person at the seat open FIDO security keys, from bundle.linux.deb.files",
    ),
];

/// The udev rule. udev reads /usr/lib/udev/rules.d; the number sorts before
/// 73-seat-late.rules, which applies the rule's `uaccess` tag.
const UDEV_RULE: &str = "usr/lib/udev/rules.d/70-recovery-desk-fido.rules";

/// Installed files that must be copies of files in the repository: `(path in the package,
/// source)`.
const COPIES: &[(&str, &str)] = &[
    (
        "usr/share/recovery-desk/config.example.toml",
        "src-tauri/config.example.toml",
    ),
    (
        UDEV_RULE,
        "src-tauri/packaging/linux/70-recovery-desk-fido.rules",
    ),
];

/// Maintainer scripts (`postInstallScript`, `postRemoveScript`): they apply and withdraw the
/// udev rule for keys already plugged in.
const SCRIPTS: &[(&str, &str)] = &[
    ("postinst", "src-tauri/packaging/linux/postinst"),
    ("postrm", "src-tauri/packaging/linux/postrm"),
];

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Release,
    Debug,
}

impl Profile {
    fn dir(self) -> &'static str {
        match self {
            Profile::Release => "release",
            Profile::Debug => "debug",
        }
    }
}

/// `cargo xtask bundle`.
/// `cargo xtask bundle --check` runs only the package check of `cargo xtask test`.
pub fn run(args: &[String]) -> Result<()> {
    match args {
        [] => {}
        [flag] if flag == "--check" => return check_package(),
        [extra, ..] => bail!("`cargo xtask bundle` takes no arguments but --check (got `{extra}`)"),
    }
    let started = Instant::now();
    let signed = env::var_os(SIGNING_KEY_VAR).is_some_and(|key| !key.is_empty());
    let deb = release_deb(signed)?;
    let size = file_size(&deb)?;

    println!();
    println!("Package:  {}", deb.display());
    println!("Size:     {}", format_size(size));
    if signed {
        let signature = signature_of(&deb)?;
        println!("Updater:  signed-update-ready");
        println!("          {}", signature.display());
        println!(
            "          (its content is the `signature` of the update manifest: docs/packaging.md)"
        );
    } else {
        println!(
            "Updater:  not signed ({SIGNING_KEY_VAR} is not set). To publish an update, either \
             build with the key:\n\n    \
             {SIGNING_KEY_VAR}=~/.tauri/recovery-desk.key \
             TAURI_SIGNING_PRIVATE_KEY_PASSWORD=… cargo xtask bundle\n\n          \
             or sign this file and put the printed signature in the update manifest \
             (docs/packaging.md):\n\n    \
             ui/node_modules/.bin/tauri signer sign -f ~/.tauri/recovery-desk.key '{}'",
            deb.display()
        );
    }
    println!("Took:     {}", format_duration(started.elapsed()));
    Ok(())
}

/// The UI build, then the release `.deb` (with updater artifacts when `signed`); returns the
/// package's path. `cargo xtask bench app` uses it too: the app binary it times is the one in
/// the package (`target/release/recovery-desk`).
pub fn release_deb(signed: bool) -> Result<PathBuf> {
    system_packages::ensure(system_packages::BUILD)?;
    ui::build()?;
    build_deb(Profile::Release, signed)
}

/// The package check of `cargo xtask test` (step 5): the `.deb` in the debug profile, which
/// reuses the debug build of the earlier steps, then its control fields and contents.
pub fn check_package() -> Result<()> {
    system_packages::ensure(&[("dpkg-deb", "dpkg")])?;
    let started = Instant::now();
    let deb = build_deb(Profile::Debug, false)?;
    let built = started.elapsed();
    check_deb(&deb)?;
    eprintln!(
        "package check: {} ({}) has {}; built in {}, checked in {}",
        deb.display(),
        format_size(file_size(&deb)?),
        CONTENTS
            .iter()
            .map(|(_, what)| *what)
            .collect::<Vec<_>>()
            .join(", "),
        format_duration(built),
        format_duration(started.elapsed() - built),
    );
    Ok(())
}

/// `tauri build --bundles deb` in `src-tauri/` (where it finds tauri.conf.json). The UI must be
/// built already. Returns the `.deb` this run wrote.
fn build_deb(profile: Profile, signed: bool) -> Result<PathBuf> {
    let started = SystemTime::now();
    let mut cmd = ui::tauri_cli()?;
    cmd.current_dir("src-tauri")
        .env("CI", "true")
        .arg("build")
        .args(["--bundles", "deb"]);
    if profile == Profile::Debug {
        cmd.arg("--debug");
    }
    if signed {
        // The app's update key belongs to the organisation (its configuration file), so
        // tauri.conf.json has none; the bundler needs one to check what it signed.
        let pubkey = public_key()?;
        cmd.arg("--config").arg(format!(
            r#"{{"bundle":{{"createUpdaterArtifacts":true}},"plugins":{{"updater":{{"pubkey":"{pubkey}"}}}}}}"#
        ));
    } else {
        // A key in the environment is used only when asked for.
        cmd.env_remove(SIGNING_KEY_VAR);
    }
    run_command(&mut cmd)?;

    let dir = target_dir().join(profile.dir()).join("bundle").join("deb");
    newest_deb(&dir, started)
}

/// The `.deb` in `dir` written at or after `since`.
fn newest_deb(dir: &Path, since: SystemTime) -> Result<PathBuf> {
    let mut newest: Option<(SystemTime, PathBuf)> = None;
    let entries =
        fs::read_dir(dir).with_context(|| format!("the bundler wrote no {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_none_or(|ext| ext != "deb") {
            continue;
        }
        let modified = path.metadata()?.modified()?;
        if newest.as_ref().is_none_or(|(time, _)| modified > *time) {
            newest = Some((modified, path));
        }
    }
    match newest {
        // Coarse file-system clocks: allow a second.
        Some((modified, path)) if modified + Duration::from_secs(1) >= since => Ok(path),
        _ => bail!("the bundler wrote no new .deb in {}", dir.display()),
    }
}

/// The updater signature the bundler wrote next to the package (`<package>.sig`).
fn signature_of(deb: &Path) -> Result<PathBuf> {
    let mut name = deb.as_os_str().to_owned();
    name.push(".sig");
    let signature = PathBuf::from(name);
    let fresh = match (signature.metadata(), deb.metadata()) {
        (Ok(sig), Ok(deb)) => sig.modified()? >= deb.modified()?,
        _ => false,
    };
    if !fresh {
        bail!(
            "{SIGNING_KEY_VAR} is set but the bundler wrote no signature {}",
            signature.display()
        );
    }
    Ok(signature)
}

/// The public key: `TAURI_SIGNING_PUBLIC_KEY`, else the `.pub` file next to the private key.
fn public_key() -> Result<String> {
    let key = find_public_key()?;
    if !key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "+/=".contains(c))
    {
        bail!("the updater public key is not base64 (the content of the .pub file)");
    }
    Ok(key)
}

fn find_public_key() -> Result<String> {
    if let Some(key) = env::var(PUBLIC_KEY_VAR)
        .ok()
        .filter(|k| !k.trim().is_empty())
    {
        return Ok(key.trim().to_owned());
    }
    let private = env::var_os(SIGNING_KEY_VAR).unwrap_or_default();
    let mut public = private;
    public.push(".pub");
    let public = PathBuf::from(public);
    match fs::read_to_string(&public) {
        Ok(key) if !key.trim().is_empty() => Ok(key.trim().to_owned()),
        _ => bail!(
            "{SIGNING_KEY_VAR} is set but the public key is unknown: set {PUBLIC_KEY_VAR} to the \
             content of the key's .pub file (or give {SIGNING_KEY_VAR} as a path, with the .pub \
             file next to it)"
        ),
    }
}

/// The control fields and the contents, read back with dpkg-deb; fails naming every problem.
fn check_deb(deb: &Path) -> Result<()> {
    let mut problems = Vec::new();

    let info = dpkg_deb(&["--info"], deb)?;
    let field = |name: &str| -> Option<String> {
        info.lines().find_map(|line| {
            let (key, value) = line.trim().split_once(':')?;
            (key == name).then(|| value.trim().to_owned())
        })
    };
    match field("Package") {
        Some(name) if name == BINARY => {}
        other => problems.push(format!("Package is {other:?}, expected \"{BINARY}\"")),
    }
    let version = env!("CARGO_PKG_VERSION");
    match field("Version") {
        Some(found) if found == version => {}
        other => problems.push(format!(
            "Version is {other:?}, expected the workspace version \"{version}\" (tauri.conf.json `version`)"
        )),
    }
    let depends = field("Depends").unwrap_or_default();
    let declared: Vec<&str> = depends
        .split(',')
        .map(|dep| dep.split_whitespace().next().unwrap_or(""))
        .collect();
    for dep in DEPENDS {
        match declared.iter().filter(|d| *d == dep).count() {
            0 => problems.push(format!("Depends ({depends:?}) lacks {dep}")),
            1 => {}
            _ => problems.push(format!(
                "Depends ({depends:?}) lists {dep} more than once: the Tauri CLI adds it, so \
                 leave it out of bundle.linux.deb.depends"
            )),
        }
    }

    let listing = dpkg_deb(&["--contents"], deb)?;
    let paths: Vec<&str> = listing.lines().filter_map(listed_path).collect();
    for (wanted, what) in CONTENTS {
        if !paths.iter().any(|path| matches(wanted, path)) {
            problems.push(format!("{wanted} ({what}) is not in the package"));
        }
    }

    problems.extend(check_files(deb, &paths)?);
    if !problems.is_empty() {
        bail!(
            "{} is not right:\n  - {}\n\ndpkg-deb --info:\n{info}\ndpkg-deb --contents:\n{listing}",
            deb.display(),
            problems.join("\n  - ")
        );
    }
    Ok(())
}

/// What the installed files say: the desktop entry starts the binary and names its icon, the
/// [`COPIES`] and [`SCRIPTS`] are the repository's. (A missing file is reported by the contents
/// check.)
fn check_files(deb: &Path, paths: &[&str]) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let Some(entry) = paths.iter().find(|path| matches(DESKTOP_ENTRY, path)) else {
        return Ok(problems);
    };
    let desktop = extract(deb, entry)?;
    let key = |name: &str| {
        desktop
            .lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix('='))
            .map(str::trim)
    };
    match key("Exec") {
        Some(exec) if exec.split_whitespace().next() == Some(BINARY) => {}
        other => problems.push(format!("{entry}: Exec is {other:?}, expected `{BINARY}`")),
    }
    match key("Icon") {
        Some(BINARY) => {}
        other => problems.push(format!("{entry}: Icon is {other:?}, expected `{BINARY}`")),
    }
    for (installed, source) in COPIES {
        let Some(member) = paths.iter().find(|path| matches(installed, path)) else {
            continue;
        };
        let packaged = extract(deb, member)?;
        let original =
            fs::read_to_string(source).with_context(|| format!("cannot read {source}"))?;
        if packaged != original {
            problems.push(format!("{installed} differs from {source}"));
        }
    }
    for (script, source) in SCRIPTS {
        let original =
            fs::read_to_string(source).with_context(|| format!("cannot read {source}"))?;
        match dpkg_deb_member(deb, script) {
            Ok(packaged) if packaged == original => {}
            Ok(_) => problems.push(format!("the package's {script} differs from {source}")),
            Err(error) => problems.push(format!("the package has no {script} ({error:#})")),
        }
    }
    Ok(problems)
}

/// The archive member in one line of `dpkg-deb --contents` (`-rw-r--r-- 0/0 123 2024-01-01
/// 00:00 usr/bin/x`), as stored: `usr/…` or `./usr/…` depending on the tool that made the
/// package. A symbolic link's ` -> target` is dropped.
fn listed_path(line: &str) -> Option<&str> {
    let mut rest = line.trim_start();
    for _ in 0..5 {
        let end = rest.find(char::is_whitespace)?;
        rest = rest[end..].trim_start();
    }
    rest.split(" -> ").next()
}

/// Whether the archive member `path` matches `pattern`, where `*` matches any characters but `/`.
fn matches(pattern: &str, path: &str) -> bool {
    matches_from(pattern, path.strip_prefix("./").unwrap_or(path))
}

fn matches_from(pattern: &str, path: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == path,
        Some((head, tail)) => {
            let Some(rest) = path.strip_prefix(head) else {
                return false;
            };
            rest.char_indices()
                .map(|(i, _)| i)
                .chain([rest.len()])
                .take_while(|&i| !rest[..i].contains('/'))
                .any(|i| matches_from(tail, &rest[i..]))
        }
    }
}

fn dpkg_deb(args: &[&str], deb: &Path) -> Result<String> {
    let mut cmd = Command::new("dpkg-deb");
    cmd.args(args).arg(deb);
    output(&mut cmd)
}

/// One control member's text (`dpkg-deb --info DEB postinst`).
fn dpkg_deb_member(deb: &Path, member: &str) -> Result<String> {
    output(Command::new("dpkg-deb").arg("--info").arg(deb).arg(member))
}

/// One file's text from the package (`dpkg-deb --fsys-tarfile | tar -xO`).
fn extract(deb: &Path, path: &str) -> Result<String> {
    let mut tarfile = Command::new("dpkg-deb")
        .arg("--fsys-tarfile")
        .arg(deb)
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot run dpkg-deb")?;
    let stdout = tarfile
        .stdout
        .take()
        .context("dpkg-deb --fsys-tarfile gave no output")?;
    let text = output(
        Command::new("tar")
            .args(["-xO", "-f", "-", "--"])
            .arg(path)
            .stdin(stdout),
    );
    let status = tarfile.wait()?;
    let text = text.with_context(|| format!("cannot read {path} from {}", deb.display()))?;
    if !status.success() {
        bail!(
            "`dpkg-deb --fsys-tarfile {}` failed ({status})",
            deb.display()
        );
    }
    Ok(text)
}

/// Runs the command and returns its standard output; fails with its standard error.
fn output(cmd: &mut Command) -> Result<String> {
    let shown = display(cmd);
    let out = cmd
        .output()
        .with_context(|| format!("cannot run `{shown}`"))?;
    if !out.status.success() {
        bail!(
            "`{shown}` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    String::from_utf8(out.stdout).with_context(|| format!("`{shown}` printed non-UTF-8 text"))
}

pub fn file_size(path: &Path) -> Result<u64> {
    Ok(path
        .metadata()
        .with_context(|| format!("cannot read {}", path.display()))?
        .len())
}

/// Bytes as MB (10^6 bytes, as the size aim is written) and MiB.
pub fn format_size(bytes: u64) -> String {
    format!(
        "{:.2} MB ({:.2} MiB, {bytes} bytes)",
        bytes as f64 / 1e6,
        bytes as f64 / (1024.0 * 1024.0)
    )
}

pub fn format_duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    if seconds >= 60 {
        format!("{}m {:02}s", seconds / 60, seconds % 60)
    } else {
        format!("{:.1}s", duration.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_member_of_a_contents_line() {
        let line = "-rw-r--r-- 0/0             231 2026-11-23 11:29 usr/share/applications/Recovery Desk.desktop";
        assert_eq!(
            listed_path(line),
            Some("usr/share/applications/Recovery Desk.desktop")
        );
        let link = "lrwxrwxrwx root/root         0 2024-01-01 00:00 ./usr/bin/x -> ../lib/x";
        assert_eq!(listed_path(link), Some("./usr/bin/x"));
    }

    #[test]
    fn star_stands_for_one_path_component() {
        assert!(matches(
            DESKTOP_ENTRY,
            "usr/share/applications/Recovery Desk.desktop"
        ));
        assert!(matches(
            "usr/share/icons/hicolor/*/apps/recovery-desk.png",
            "./usr/share/icons/hicolor/256x256@2/apps/recovery-desk.png"
        ));
        assert!(!matches(
            DESKTOP_ENTRY,
            "usr/share/applications/x/y.desktop"
        ));
        assert!(!matches(DESKTOP_ENTRY, "usr/share/applications/"));
        assert!(matches("usr/bin/recovery-desk", "./usr/bin/recovery-desk"));
        assert!(!matches("usr/bin/recovery-desk", "usr/bin/recovery-desk-x"));
    }
}
