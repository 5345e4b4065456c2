//! Measurement 1, cancelled requests: what hanging up mid-check costs the attacker and the
//! server.

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use anyhow::{Context, Result};
use tokio::{io::AsyncWriteExt, net::TcpStream, sync::Semaphore, task::JoinSet};

use crate::{
    api::{Api, Credentials, SignIn, SIGN_IN},
    process_usage::{self, mib},
    report::{Figure, Value},
    server::{Binary, Mode, Workspace},
};

pub const TITLE: &str = "1. Cancelled requests";
pub const METHOD: &str = "\
`serve --demo` with the per-client limit raised (RECOVERY_THROTTLE__CLIENT_FAILURES=1000000: every
attempt comes from 127.0.0.1); per-username limits as shipped. The sign-ins (wrong password and PIN)
go to 4 attempts per username over unknown usernames, one under the 5-in-a-row lock; each is sent
whole on its own connection, which is closed after --cancel-after-ms, before the answer (at most 64
at a time). Memory from /proc/PID/status (VmRSS; the peak is VmHWM). Audit records from
`recovery-server audit export` on the demo's database. Throttle charges still held are probed from
outside after idle: wrong attempts per username until refused (5 - accepted); leaked = held - audited
failures, since every failure that was recorded holds one charge until the lock.";

/// Attempts per username: one under the default 5 in a row, so no username is ever locked and
/// every charge still held afterwards is either a recorded failure or a leak.
const PER_USERNAME: usize = 4;
/// The shipped `throttle.consecutive_failures`.
const CONSECUTIVE_FAILURES: usize = 5;
/// Connections open at once while firing.
const CONCURRENT: usize = 64;
/// Usernames probed at once afterwards.
const PROBES_AT_ONCE: usize = 4;

pub struct Options {
    pub requests: usize,
    pub hang_up_after: Duration,
    pub memory_cap_mib: u64,
    pub idle_limit: Duration,
}

pub async fn measure(binary: &Binary, options: &Options) -> Result<Vec<Figure>> {
    let workspace = Workspace::new(binary, "cancelled")?;
    let env = [("RECOVERY_THROTTLE__CLIENT_FAILURES", "1000000".to_owned())];
    let mut server = workspace.start(Mode::Demo, &env).await?;
    let pid = server.pid();
    process_usage::wait_idle(pid, Duration::from_secs(30)).await?;
    let before = process_usage::memory(pid)?;
    let database = workspace.demo_database_url()?;
    let (_, last_seq) = audit(&workspace, &database, 0).await?;

    let usernames: Vec<String> = (0..options.requests.div_ceil(PER_USERNAME))
        .map(|i| format!("cancel-{i:04}"))
        .collect();
    eprintln!(
        "  firing {} hung-up sign-ins over {} usernames",
        options.requests,
        usernames.len()
    );
    let watch = MemoryWatch::start(pid, options.memory_cap_mib * 1024);
    let fired = fire(server.address(), &usernames, options).await?;
    let sent = fired.sent();
    if !fired.answered.is_empty() {
        eprintln!(
            "  answered before the hang-up, by status: {:?}",
            fired.answered
        );
    }
    let idle = if watch.capped() {
        None
    } else {
        process_usage::wait_idle(pid, options.idle_limit).await?
    };
    let (peak_seen, capped) = watch.stop().await;

    let mut figures = vec![
        Figure::count("sign-ins sent whole", sent),
        Figure::count(
            "  answered before the hang-up (refused at once)",
            sent - fired.hung_up,
        ),
        Figure::count("  not sent (connection refused or reset)", fired.unsent),
        Figure::exact("RSS before, MiB", mib(before.rss_kib), 1),
    ];
    if capped {
        eprintln!(
            "  the server passed {} MiB and was killed",
            options.memory_cap_mib
        );
        let cap = options.memory_cap_mib as f64;
        figures.push(Figure::new("RSS peak (VmHWM), MiB", Value::AtLeast(cap), 0));
        figures.push(Figure::new(
            "RSS after idle, MiB",
            Value::Missing("killed at cap"),
            1,
        ));
        figures.push(Figure::new(
            "seconds from the last hang-up to idle",
            Value::Missing("killed at cap"),
            1,
        ));
    } else {
        let after = process_usage::memory(pid)?;
        let peak = after.peak_kib.max(peak_seen);
        figures.push(Figure::exact("RSS peak (VmHWM), MiB", mib(peak), 1));
        figures.push(Figure::exact("RSS after idle, MiB", mib(after.rss_kib), 1));
        figures.push(Figure::new(
            "seconds from the last hang-up to idle",
            idle.map_or(Value::AtLeast(options.idle_limit.as_secs_f64()), |d| {
                Value::Exact(d.as_secs_f64())
            }),
            1,
        ));
    }

    let (records, _) = audit(&workspace, &database, last_seq).await?;
    let failures = records
        .iter()
        .filter(|event| event.as_str() == "verification_failed")
        .count();
    figures.push(Figure::count(
        "attempts with an audit record",
        records.len(),
    ));
    figures.push(Figure::count("  of which verification_failed", failures));

    if server.alive() {
        eprintln!("  probing the throttle charges still held");
        let held = charges_held(&server.api()?, &usernames).await?;
        figures.push(Figure::count("throttle charges still held (probed)", held));
        figures.push(Figure::count(
            "throttle charges leaked (held - audited failures)",
            held.saturating_sub(failures),
        ));
    } else {
        for label in [
            "throttle charges still held (probed)",
            "throttle charges leaked (held - audited failures)",
        ] {
            figures.push(Figure::new(label, Value::Missing("server gone"), 0));
        }
    }
    server.kill().await?;
    Ok(figures)
}

/// What became of the attempts.
#[derive(Debug, Default)]
struct Fired {
    /// Sent whole and hung up on before any answer.
    hung_up: usize,
    /// Answered within the wait (refused at once: a full queue, a cap…), by status.
    answered: BTreeMap<u16, usize>,
    /// Not sent: the connection was refused or reset.
    unsent: usize,
}

impl Fired {
    fn sent(&self) -> usize {
        self.hung_up + self.answered.values().sum::<usize>()
    }
}

/// Sends every attempt whole, waits, and hangs up.
async fn fire(address: SocketAddr, usernames: &[String], options: &Options) -> Result<Fired> {
    let slots = Arc::new(Semaphore::new(CONCURRENT));
    let mut tasks = JoinSet::new();
    let attempts = (0..PER_USERNAME)
        .flat_map(|_| usernames.iter())
        .take(options.requests);
    for username in attempts {
        let slot = Arc::clone(&slots).acquire_owned().await?;
        let request = raw_request(address, &wrong(username));
        let after = options.hang_up_after;
        tasks.spawn(async move {
            let _slot = slot;
            hang_up(address, &request, after).await
        });
    }
    let mut fired = Fired::default();
    while let Some(result) = tasks.join_next().await {
        match result? {
            Ok(None) => fired.hung_up += 1,
            Ok(Some(status)) => *fired.answered.entry(status).or_default() += 1,
            Err(_) => fired.unsent += 1,
        }
    }
    Ok(fired)
}

/// One attacker's request: sent whole, then the connection closed before the answer. Returns
/// the status when an answer had already come.
async fn hang_up(address: SocketAddr, request: &[u8], after: Duration) -> Result<Option<u16>> {
    let mut stream = tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(address))
        .await
        .context("connect timed out")??;
    stream.write_all(request).await?;
    stream.flush().await?;
    tokio::time::sleep(after).await;
    let mut head = [0u8; 12];
    let status = match stream.try_read(&mut head) {
        // `HTTP/1.1 503`
        Ok(n) if n >= 12 => std::str::from_utf8(&head[9..12])
            .ok()
            .and_then(|s| s.parse().ok()),
        _ => None,
    };
    drop(stream);
    Ok(status)
}

fn wrong(username: &str) -> Credentials {
    Credentials {
        username: username.to_owned(),
        password: "not-the-password".to_owned(),
        date_of_birth: "1985-12-10".to_owned(),
        pin: "000000".to_owned(),
    }
}

/// The sign-in as bytes on the wire, so that it is known to be sent whole before hanging up.
fn raw_request(address: SocketAddr, credentials: &Credentials) -> Vec<u8> {
    let body = credentials.body().to_string();
    format!(
        "POST {SIGN_IN} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Wrong attempts per username until the first refusal: a username that takes `n` of them
/// still held `5 - n` charges.
async fn charges_held(api: &Api, usernames: &[String]) -> Result<usize> {
    let slots = Arc::new(Semaphore::new(PROBES_AT_ONCE));
    let mut tasks = JoinSet::new();
    for username in usernames {
        let slot = Arc::clone(&slots).acquire_owned().await?;
        let (api, credentials) = (api.clone(), wrong(username));
        tasks.spawn(async move {
            let _slot = slot;
            let mut accepted = 0;
            while accepted < CONSECUTIVE_FAILURES {
                match api.sign_in(&credentials).await?.0 {
                    SignIn::Failed => accepted += 1,
                    SignIn::Refused(_) | SignIn::Opened(_) => break,
                }
            }
            anyhow::Ok(CONSECUTIVE_FAILURES - accepted)
        });
    }
    let mut held = 0;
    while let Some(result) = tasks.join_next().await {
        held += result??;
    }
    Ok(held)
}

/// The audit records after `after_seq`: their events, and the last sequence number.
async fn audit(
    workspace: &Workspace,
    database: &str,
    after_seq: i64,
) -> Result<(Vec<String>, i64)> {
    let after = after_seq.to_string();
    let export = workspace
        .admin(database, &[], &["audit", "export", "--after", &after])
        .await?;
    let mut events = Vec::new();
    let mut last = after_seq;
    // One JSON record a line; anything else a later export may add (a chain head…) is skipped.
    for line in export.lines() {
        let Ok(record) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let Some(event) = record["event"].as_str() else {
            continue;
        };
        events.push(event.to_owned());
        last = last.max(record["seq"].as_i64().unwrap_or(last));
    }
    Ok((events, last))
}

/// Samples resident memory every 20 ms while the attack runs, and SIGKILLs the server (our
/// own child, by its id) if it passes the cap, before it takes the machine down.
struct MemoryWatch {
    stop: Arc<AtomicBool>,
    capped: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<u64>,
}

impl MemoryWatch {
    fn start(pid: u32, cap_kib: u64) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let capped = Arc::new(AtomicBool::new(false));
        let (stop_flag, capped_flag) = (Arc::clone(&stop), Arc::clone(&capped));
        let task = tokio::spawn(async move {
            let mut peak = 0;
            while !stop_flag.load(Ordering::Relaxed) {
                let Ok(memory) = process_usage::memory(pid) else {
                    break;
                };
                peak = peak.max(memory.rss_kib);
                if memory.rss_kib > cap_kib {
                    capped_flag.store(true, Ordering::Relaxed);
                    let _ = std::process::Command::new("kill")
                        .args(["-KILL", &pid.to_string()])
                        .status();
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            peak
        });
        Self { stop, capped, task }
    }

    fn capped(&self) -> bool {
        self.capped.load(Ordering::Relaxed)
    }

    /// (peak RSS seen in KiB, whether the cap was hit).
    async fn stop(self) -> (u64, bool) {
        self.stop.store(true, Ordering::Relaxed);
        let peak = self.task.await.unwrap_or(0);
        (peak, self.capped.load(Ordering::Relaxed))
    }
}
