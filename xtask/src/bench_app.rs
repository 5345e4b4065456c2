//! `cargo xtask bench app`: cold start to the first interactive screen and idle memory of
//! Recovery Desk against a bare Tauri app (`benches/bare-app`) built the same way in the same
//! run, and the size of the `.deb`.
//!
//! Both apps are built in release by the Tauri CLI (`tauri build`), started in turn (A B A B …)
//! on a private Xvfb display and D-Bus session, each run with fresh HOME, XDG and temporary
//! folders. Start-up is the wall time from spawning the binary to the `first screen ready` line
//! on its stderr (Recovery Desk logs it when the UI has rendered its first screen, with the
//! embedded demo service running; the bare app when its page has loaded). Memory is summed over
//! the process and all its descendants (WebKitWebProcess, WebKitNetworkProcess) after a few
//! idle seconds, from `/proc/PID/smaps_rollup`: PSS (shared pages split between the processes
//! that map them, so libraries the app's processes share are counted once) and RSS.
//!
//! Environment: `BENCH_RUNS` (runs of each app, default 5), `BENCH_IDLE_SECONDS` (default 3),
//! `BENCH_DROP_CACHES=0` to keep the page cache between runs.

use std::collections::HashMap;
use std::env;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::bundle::{self, file_size, format_duration, format_size};
use crate::{run_command, system_packages, target_dir, ui};

const READY: &str = "first screen ready";
const READY_TIMEOUT: Duration = Duration::from_secs(120);
const AIM_START: f64 = 1.25;
const AIM_MEMORY: f64 = 1.3;
const AIM_DEB_BYTES: u64 = 15_000_000;

struct App {
    name: &'static str,
    binary: PathBuf,
}

/// One run's figures.
struct Sample {
    start: Duration,
    /// What the app itself logged (`elapsed_ms`), from its own clock.
    logged_ms: Option<u64>,
    pss_kib: u64,
    rss_kib: u64,
    /// (process name, PSS in KiB), the app's own process first.
    processes: Vec<(String, u64)>,
}

pub fn run(args: &[String]) -> Result<()> {
    if let Some(extra) = args.first() {
        bail!("`cargo xtask bench app` takes no arguments (got `{extra}`); see BENCH_RUNS");
    }
    let runs = env_number("BENCH_RUNS", 5)?;
    if runs == 0 {
        bail!("BENCH_RUNS must be at least 1");
    }
    let idle = Duration::from_secs(env_number("BENCH_IDLE_SECONDS", 3)?);
    let started = Instant::now();
    system_packages::ensure(system_packages::BUILD)?;
    system_packages::ensure(system_packages::DESKTOP_TESTS)?;

    // Both in release, by the same CLI: the app as `cargo xtask bundle` builds it (the binary
    // in the .deb), the bare app with `tauri build --no-bundle`.
    let deb = bundle::release_deb(false)?;
    run_command(
        ui::tauri_cli()?
            .current_dir("benches/bare-app")
            .env("CI", "true")
            .args(["build", "--no-bundle"]),
    )?;
    let release = target_dir().join("release");
    let apps = [
        App {
            name: "Recovery Desk",
            binary: absolute(&release.join("recovery-desk"))?,
        },
        App {
            name: "bare Tauri app",
            binary: absolute(&release.join("bare-tauri-app"))?,
        },
    ];
    let built = started.elapsed();

    let cold = env::var("BENCH_DROP_CACHES").map_or(true, |v| v != "0") && can_drop_caches();
    let scratch = absolute(&target_dir().join("tmp").join("bench-app"))?;
    // Leftovers of an interrupted run.
    let _ = fs::remove_dir_all(&scratch);
    fs::create_dir_all(&scratch)?;
    let display = Xvfb::start(&scratch)?;
    let bus = SessionBus::start(&scratch)?;

    if !cold {
        // Warm the page cache and discard the figures, so that no app pays for the disk alone.
        for app in &apps {
            eprintln!("warm-up run of {} (discarded)", app.name);
            measure(app, &scratch.join("warm-up"), &display, &bus, idle, false)?;
        }
    }
    let mut samples: [Vec<Sample>; 2] = [Vec::new(), Vec::new()];
    for round in 1..=runs {
        for (app, samples) in apps.iter().zip(samples.iter_mut()) {
            let dir = scratch.join(format!("run-{round}"));
            let sample = measure(app, &dir, &display, &bus, idle, cold)?;
            eprintln!(
                "run {round}/{runs} {:<15} start {:>5} ms  PSS {:>6.1} MiB  RSS {:>6.1} MiB  ({})",
                app.name,
                sample.start.as_millis(),
                mib(sample.pss_kib),
                mib(sample.rss_kib),
                sample
                    .processes
                    .iter()
                    .map(|(name, pss)| format!("{name} {:.1}", mib(*pss)))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            samples.push(sample);
        }
    }
    drop(bus);
    drop(display);
    let _ = fs::remove_dir_all(&scratch);

    report(
        &apps,
        &samples,
        &deb,
        runs,
        cold,
        idle,
        built,
        started.elapsed(),
    )
}

#[allow(clippy::too_many_arguments)]
fn report(
    apps: &[App; 2],
    samples: &[Vec<Sample>; 2],
    deb: &Path,
    runs: u64,
    cold: bool,
    idle: Duration,
    built: Duration,
    total: Duration,
) -> Result<()> {
    let [app, bare] = samples;
    let ms = |s: &Sample| s.start.as_secs_f64() * 1000.0;
    let logged = |s: &Sample| s.logged_ms.map_or(f64::NAN, |ms| ms as f64);
    let pss = |s: &Sample| mib(s.pss_kib);
    let rss = |s: &Sample| mib(s.rss_kib);
    let deb_bytes = file_size(deb)?;

    println!();
    println!(
        "cargo xtask bench app: {runs} runs of each app, alternating, under Xvfb; {}; memory after {} s idle",
        if cold {
            "page cache dropped before every run (sync; echo 3 > /proc/sys/vm/drop_caches)"
        } else {
            "warm page cache (one discarded warm-up run of each)"
        },
        idle.as_secs()
    );
    println!();
    println!(
        "{:<44} {:>28} {:>28} {:>8} {:>8}",
        "", apps[0].name, apps[1].name, "ratio", "aim"
    );
    line(
        "start to first screen, ms",
        app,
        bare,
        ms,
        Some(AIM_START),
        0,
    );
    line("  (as logged by the app, ms)", app, bare, logged, None, 0);
    line(
        "idle memory, PSS of all, MiB",
        app,
        bare,
        pss,
        Some(AIM_MEMORY),
        1,
    );
    line("idle memory, RSS of all, MiB", app, bare, rss, None, 1);
    // PSS by process, matched by position (the app's own process, then WebKit's in the order
    // they started); names from the first run.
    let count = app
        .iter()
        .chain(bare)
        .map(|s| s.processes.len())
        .max()
        .unwrap_or(0);
    for index in 0..count {
        let name = |samples: &[Sample]| {
            samples
                .first()
                .and_then(|s| s.processes.get(index))
                .map_or("-".to_owned(), |(name, _)| name.clone())
        };
        let pss_of = |s: &Sample| s.processes.get(index).map_or(f64::NAN, |p| mib(p.1));
        let (a, b) = (name(app), name(bare));
        let label = if a == b {
            format!("  of which {a}")
        } else {
            format!("  of which {a} / {b}")
        };
        line(&label, app, bare, pss_of, None, 1);
    }
    println!();
    let deb_verdict = if deb_bytes <= AIM_DEB_BYTES {
        "within"
    } else {
        "OVER"
    };
    println!(
        ".deb size: {} — aim ≤ 15 MB: {deb_verdict}\n  {}",
        format_size(deb_bytes),
        deb.display()
    );
    println!();
    println!(
        "Figures are median (min–max). The memory aim is checked on PSS; RSS counts pages \
         the app's processes share once per process."
    );
    println!(
        "Took {} ({} building, {} measuring).",
        format_duration(total),
        format_duration(built),
        format_duration(total.saturating_sub(built))
    );
    Ok(())
}

/// One row: median (min–max) of each app, the ratio of the medians, and the verdict.
fn line(
    label: &str,
    app: &[Sample],
    bare: &[Sample],
    value: impl Fn(&Sample) -> f64,
    aim: Option<f64>,
    decimals: usize,
) {
    let (a, b) = (stats(app, &value), stats(bare, &value));
    let cell = |(median, min, max): (f64, f64, f64)| {
        format!("{median:.decimals$} ({min:.decimals$}–{max:.decimals$})")
    };
    let ratio = a.0 / b.0;
    let verdict = match aim {
        Some(aim) if ratio <= aim => format!("≤ {aim}× within"),
        Some(aim) => format!("≤ {aim}× OVER"),
        None => String::new(),
    };
    println!(
        "{label:<44} {:>28} {:>28} {ratio:>7.2}× {verdict}",
        cell(a),
        cell(b)
    );
}

/// (median, min, max).
fn stats(samples: &[Sample], value: impl Fn(&Sample) -> f64) -> (f64, f64, f64) {
    let mut values: Vec<f64> = samples.iter().map(value).collect();
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let median = if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    };
    (median, values[0], values[n - 1])
}

/// One run: spawn with fresh folders, time to the ready line, wait idle, sum the memory of the
/// process tree, then SIGTERM and wait.
fn measure(
    app: &App,
    dir: &Path,
    display: &Xvfb,
    bus: &SessionBus,
    idle: Duration,
    drop_caches: bool,
) -> Result<Sample> {
    let dir = dir.join(app.binary.file_name().unwrap_or_default());
    let folders = ["home", "config", "data", "cache", "state", "runtime", "tmp"];
    for folder in folders {
        fs::create_dir_all(dir.join(folder))?;
    }
    set_private(&dir.join("runtime"))?;

    let mut cmd = Command::new(&app.binary);
    cmd.env_clear()
        .env("PATH", env::var_os("PATH").unwrap_or_default())
        .env("LANG", "C.UTF-8")
        .env("HOME", dir.join("home"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("XDG_RUNTIME_DIR", dir.join("runtime"))
        .env("TMPDIR", dir.join("tmp"))
        .env("DISPLAY", &display.name)
        .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
        // No accessibility bus to start: the same for both apps, and no stray daemons.
        .env("NO_AT_BRIDGE", "1")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());

    if drop_caches {
        drop_page_cache()?;
    }
    let spawned = Instant::now();
    let child = cmd
        .spawn()
        .with_context(|| format!("cannot start {}", app.binary.display()))?;
    let mut child = Running(child);
    let stderr = child.0.stderr.take().context("no stderr pipe")?;

    // The reader keeps draining stderr after the ready line so the app never blocks on it.
    let (ready_tx, ready_rx) = mpsc::channel();
    let reader = thread::spawn(move || {
        let mut tail: Vec<String> = Vec::new();
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if line.contains(READY) {
                let _ = ready_tx.send((Instant::now(), line.clone()));
            }
            tail.push(line);
            if tail.len() > 40 {
                tail.remove(0);
            }
        }
        tail
    });

    let ready = ready_rx.recv_timeout(READY_TIMEOUT);
    let (ready_at, ready_line) = match ready {
        Ok(ready) => ready,
        Err(_) => {
            let status = child.0.try_wait()?;
            child.stop()?;
            let tail = reader.join().unwrap_or_default();
            bail!(
                "{} did not log `{READY}` within {} s ({}); its last lines:\n{}",
                app.name,
                READY_TIMEOUT.as_secs(),
                status.map_or("still running".to_owned(), |s| format!("exited: {s}")),
                tail.join("\n")
            );
        }
    };
    let start = ready_at - spawned;

    thread::sleep(idle);
    if let Some(status) = child.0.try_wait()? {
        bail!("{} exited while idle ({status})", app.name);
    }
    let tree = descendants(child.0.id());
    let (mut pss_kib, mut rss_kib) = (0, 0);
    let mut processes = Vec::new();
    for pid in &tree {
        if let Some((pss, rss)) = memory(*pid) {
            pss_kib += pss;
            rss_kib += rss;
            let name = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            processes.push((name.trim().to_owned(), pss));
        }
    }
    child.stop()?;
    let _ = reader.join();
    let _ = fs::remove_dir_all(&dir);

    Ok(Sample {
        start,
        logged_ms: logged_ms(&ready_line),
        pss_kib,
        rss_kib,
        processes,
    })
}

/// A spawned app, stopped (with its descendants) when dropped.
struct Running(Child);

impl Running {
    /// SIGTERM, up to 10 s to exit, then SIGKILL; then any descendant left behind.
    fn stop(&mut self) -> Result<()> {
        if self.0.try_wait()?.is_some() {
            return Ok(());
        }
        let tree = descendants(self.0.id());
        signal("TERM", self.0.id());
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.0.try_wait()?.is_none() {
            if Instant::now() > deadline {
                eprintln!("warning: pid {} ignored SIGTERM; killing it", self.0.id());
                let _ = self.0.kill();
                let _ = self.0.wait();
                break;
            }
            thread::sleep(Duration::from_millis(50));
        }
        // WebKit's helpers leave when the UI process goes; make sure of it.
        thread::sleep(Duration::from_millis(300));
        for pid in tree.iter().skip(1) {
            if Path::new(&format!("/proc/{pid}")).exists() {
                signal("KILL", *pid);
            }
        }
        Ok(())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

fn signal(name: &str, pid: u32) {
    let _ = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .stderr(Stdio::null())
        .status();
}

/// `pid` and all its descendants, from `/proc/*/stat`.
fn descendants(pid: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    if let Ok(entries) = fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(child) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // `pid (comm) state ppid …`; comm may hold spaces and parentheses.
            let Some(parent) = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|ppid| ppid.parse::<u32>().ok())
            else {
                continue;
            };
            children.entry(parent).or_default().push(child);
        }
    }
    let mut tree = vec![pid];
    let mut next = 0;
    while next < tree.len() {
        if let Some(kids) = children.get(&tree[next]) {
            tree.extend(kids);
        }
        next += 1;
    }
    tree
}

/// (PSS, RSS) in KiB from `/proc/PID/smaps_rollup`.
fn memory(pid: u32) -> Option<(u64, u64)> {
    let text = fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let field = |name: &str| {
        text.lines().find_map(|line| {
            let rest = line.strip_prefix(name)?.strip_prefix(':')?;
            rest.split_whitespace().next()?.parse::<u64>().ok()
        })
    };
    Some((field("Pss")?, field("Rss")?))
}

/// `elapsed_ms=N` in the ready line.
fn logged_ms(line: &str) -> Option<u64> {
    let rest = &line[line.find("elapsed_ms")? + "elapsed_ms".len()..];
    let digits: String = rest
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

fn can_drop_caches() -> bool {
    system_packages::is_root().unwrap_or(false) && drop_page_cache().is_ok()
}

fn drop_page_cache() -> Result<()> {
    run_command_quiet(Command::new("sync"))?;
    fs::write("/proc/sys/vm/drop_caches", "3\n").context("cannot write /proc/sys/vm/drop_caches")
}

fn run_command_quiet(mut cmd: Command) -> Result<()> {
    let status = cmd.status().context("cannot run sync")?;
    if !status.success() {
        bail!("sync failed ({status})");
    }
    Ok(())
}

/// A private X display, stopped when dropped.
struct Xvfb {
    name: String,
    process: Child,
}

impl Xvfb {
    fn start(scratch: &Path) -> Result<Self> {
        let number = (100..200)
            .find(|n| {
                !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                    && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
            })
            .context("no free X display number between :100 and :199")?;
        let name = format!(":{number}");
        let log = fs::File::create(scratch.join("xvfb.log"))?;
        let process = Command::new("Xvfb")
            .args([&name, "-screen", "0", "1280x900x24", "-nolisten", "tcp"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context("cannot start Xvfb")?;
        let mut xvfb = Xvfb { name, process };
        let socket = format!("/tmp/.X11-unix/X{number}");
        wait_for(&mut xvfb.process, Path::new(&socket), "Xvfb")?;
        eprintln!("Xvfb on display {}", xvfb.name);
        Ok(xvfb)
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        signal("TERM", self.process.id());
        let _ = self.process.wait();
    }
}

/// A private D-Bus session bus (GTK and WebKit want one), stopped when dropped.
struct SessionBus {
    address: String,
    process: Child,
}

impl SessionBus {
    fn start(scratch: &Path) -> Result<Self> {
        let socket = scratch.join("bus");
        let address = format!("unix:path={}", socket.display());
        let process = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile"])
            .arg(format!("--address={address}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start dbus-daemon")?;
        let mut bus = SessionBus { address, process };
        wait_for(&mut bus.process, &socket, "dbus-daemon")?;
        Ok(bus)
    }
}

impl Drop for SessionBus {
    fn drop(&mut self) {
        signal("TERM", self.process.id());
        let _ = self.process.wait();
    }
}

/// Waits up to 10 s for `path` to appear while `process` runs.
fn wait_for(process: &mut Child, path: &Path, what: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !path.exists() {
        if let Some(status) = process.try_wait()? {
            bail!("{what} exited at start ({status})");
        }
        if Instant::now() > deadline {
            bail!("{what} did not create {} within 10 s", path.display());
        }
        thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

#[cfg(unix)]
fn set_private(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    Ok(())
}

#[cfg(not(unix))]
fn set_private(_dir: &Path) -> Result<()> {
    Ok(())
}

fn absolute(path: &Path) -> Result<PathBuf> {
    Ok(env::current_dir()?.join(path))
}

fn env_number(name: &str, default: u64) -> Result<u64> {
    match env::var(name) {
        Ok(value) => value
            .trim()
            .parse()
            .with_context(|| format!("{name} must be a whole number (got `{value}`)")),
        Err(_) => Ok(default),
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}
