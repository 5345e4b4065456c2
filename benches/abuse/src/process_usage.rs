//! What a process uses, as an operator reads it from `/proc`: resident memory now and at its
//! peak, and CPU time (to tell when it has gone idle).

use std::{
    fs,
    time::{Duration, Instant},
};

use anyhow::{Context, Result};

/// Resident memory in KiB, from `/proc/PID/status`.
#[derive(Debug, Clone, Copy)]
pub struct Memory {
    /// `VmRSS`: now.
    pub rss_kib: u64,
    /// `VmHWM`: the peak since the process started.
    pub peak_kib: u64,
}

pub fn memory(pid: u32) -> Result<Memory> {
    let status = fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("cannot read /proc/{pid}/status"))?;
    let field = |name: &str| {
        status.lines().find_map(|line| {
            let rest = line.strip_prefix(name)?.strip_prefix(':')?;
            rest.split_whitespace().next()?.parse::<u64>().ok()
        })
    };
    Ok(Memory {
        rss_kib: field("VmRSS").context("no VmRSS")?,
        peak_kib: field("VmHWM").context("no VmHWM")?,
    })
}

/// User + system CPU time in clock ticks, from `/proc/PID/stat`.
pub fn cpu_ticks(pid: u32) -> Result<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("cannot read /proc/{pid}/stat"))?;
    // `pid (comm) state ppid …`: comm may hold spaces, so count from the last `)`.
    // utime and stime are fields 14 and 15, the 12th and 13th after comm.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let tick = |index: usize| fields.get(index).and_then(|f| f.parse::<u64>().ok());
    Ok(tick(11).context("no utime")? + tick(12).context("no stime")?)
}

/// Waits until the process uses (almost) no CPU for two seconds in a row, at most `limit`.
/// Returns how long that took, or `None` when it was still busy at the limit.
pub async fn wait_idle(pid: u32, limit: Duration) -> Result<Option<Duration>> {
    /// At most this many ticks (normally 10 ms each) in a one-second sample counts as idle.
    const IDLE_TICKS: u64 = 2;
    let started = Instant::now();
    let mut quiet = 0;
    let mut last = cpu_ticks(pid)?;
    while started.elapsed() < limit {
        tokio::time::sleep(Duration::from_secs(1)).await;
        // Gone (killed at the memory cap): nothing more to wait for.
        let Ok(now) = cpu_ticks(pid) else {
            return Ok(None);
        };
        quiet = if now.saturating_sub(last) <= IDLE_TICKS {
            quiet + 1
        } else {
            0
        };
        last = now;
        if quiet >= 2 {
            return Ok(Some(started.elapsed()));
        }
    }
    Ok(None)
}

pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}
