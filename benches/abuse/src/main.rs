//! `cargo xtask bench abuse`: what an attacker and an operator can do to a release
//! `recovery-server` from outside, on 127.0.0.1 only:
//!
//! 1. cancelled requests: memory, audit records and throttle charges after hung-up sign-ins;
//! 2. throttle recovery after a crash: how long the right person stays refused;
//! 3. enumeration by timing when stored hashes and the configured cost differ;
//! 4. the e-mails, texts and calls that one session can trigger in 20 s.
//!
//! Each runs against `--server` and, with `--baseline`, against a second binary in the same
//! run (baseline first), printing both and the ratio after/before. Every server runs in its
//! own temporary folder with a clean environment and is SIGKILLed when its measurement ends,
//! whatever happens. Any non-2xx answer counts as refused; none stops the bench.

mod api;
mod cancelled;
mod crash;
mod enumeration;
mod process_usage;
mod report;
mod server;
mod triggers;

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};
use clap::{Parser, ValueEnum};

use crate::{report::Figure, server::Binary};

/// No measurement may run longer than this, whatever its options.
const MEASUREMENT_TIMEOUT: Duration = Duration::from_secs(20 * 60);

#[derive(Debug, Parser)]
#[command(
    name = "abuse-bench",
    about = "Abuse measurements of a release recovery-server on loopback"
)]
struct Args {
    /// The recovery-server binary to measure (`cargo xtask bench abuse` builds the workspace's).
    #[arg(long)]
    server: PathBuf,
    /// A second binary to measure in the same run, as "before".
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// KEY=VALUE added to the environment of every process of `--server` (repeatable), for a
    /// setting the baseline does not know (its configuration refuses unknown keys).
    #[arg(long, value_parser = key_value)]
    server_env: Vec<(String, String)>,
    /// KEY=VALUE added to the environment of every process of `--baseline` (repeatable).
    #[arg(long, value_parser = key_value)]
    baseline_env: Vec<(String, String)>,
    /// The measurements to run (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = Measurement::ALL)]
    only: Vec<Measurement>,
    /// 1: hung-up sign-ins.
    #[arg(long, default_value_t = 1500)]
    cancel_requests: usize,
    /// 1: how long after sending a sign-in the client hangs up (5 ms mostly hangs up before
    /// the hash starts; 50 ms mostly while it runs).
    #[arg(long, default_value_t = 50)]
    cancel_after_ms: u64,
    /// 1: the server is killed if its RSS passes this (the machine is shared).
    #[arg(long, default_value_t = 6144)]
    memory_cap_mib: u64,
    /// 1: the longest wait for the server to go idle after the attack.
    #[arg(long, default_value_t = 180)]
    idle_limit_seconds: u64,
    /// 2: ada's sign-ins in flight when the server is killed.
    #[arg(long, default_value_t = 5)]
    crash_in_flight: usize,
    /// 2: how long after sending them the server is killed.
    #[arg(long, default_value_t = 300)]
    crash_kill_after_ms: u64,
    /// 2: argon2 iterations of ada's imported hashes (slow enough to be in flight at the kill).
    #[arg(long, default_value_t = 20)]
    crash_hash_iterations: u32,
    /// 2: the longest wait for ada to sign in again after the kill.
    #[arg(long, default_value_t = 300)]
    crash_limit_seconds: u64,
    /// 3: measured rounds (one request of each case per round).
    #[arg(long, default_value_t = 30)]
    timing_samples: usize,
    /// 3: the argon2 memory the server is restarted with (the people were imported with the
    /// shipped cost).
    #[arg(long, default_value_t = 65_536)]
    timing_memory_kib: u32,
    /// 4: how long the one session asks for messages.
    #[arg(long, default_value_t = 20)]
    triggers_seconds: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Measurement {
    Cancelled,
    Crash,
    Timing,
    Triggers,
}

impl Measurement {
    const ALL: [Measurement; 4] = [Self::Cancelled, Self::Crash, Self::Timing, Self::Triggers];

    fn title(self) -> &'static str {
        match self {
            Self::Cancelled => cancelled::TITLE,
            Self::Crash => crash::TITLE,
            Self::Timing => enumeration::TITLE,
            Self::Triggers => triggers::TITLE,
        }
    }

    fn method(self) -> &'static str {
        match self {
            Self::Cancelled => cancelled::METHOD,
            Self::Crash => crash::METHOD,
            Self::Timing => enumeration::METHOD,
            Self::Triggers => triggers::METHOD,
        }
    }

    async fn run(self, binary: &Binary, args: &Args) -> Result<Vec<Figure>> {
        match self {
            Self::Cancelled => {
                let options = cancelled::Options {
                    requests: args.cancel_requests,
                    hang_up_after: Duration::from_millis(args.cancel_after_ms),
                    memory_cap_mib: args.memory_cap_mib,
                    idle_limit: Duration::from_secs(args.idle_limit_seconds),
                };
                cancelled::measure(binary, &options).await
            }
            Self::Crash => {
                let options = crash::Options {
                    in_flight: args.crash_in_flight,
                    kill_after: Duration::from_millis(args.crash_kill_after_ms),
                    hash_iterations: args.crash_hash_iterations,
                    limit: Duration::from_secs(args.crash_limit_seconds),
                };
                crash::measure(binary, &options).await
            }
            Self::Timing => {
                let options = enumeration::Options {
                    samples: args.timing_samples,
                    memory_kib: args.timing_memory_kib,
                };
                enumeration::measure(binary, &options).await
            }
            Self::Triggers => {
                let options = triggers::Options {
                    duration: Duration::from_secs(args.triggers_seconds),
                };
                triggers::measure(binary, &options).await
            }
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    // One thread: the load generator shares the CPUs with the server and should take as
    // little of them as it can.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("\nerror: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &Args) -> Result<()> {
    let server = Binary {
        path: absolute(&args.server)?,
        env: args.server_env.clone(),
    };
    let baseline = match &args.baseline {
        Some(path) => Some(Binary {
            path: absolute(path)?,
            env: args.baseline_env.clone(),
        }),
        None => None,
    };
    if args.crash_limit_seconds == 0 || args.timing_samples == 0 || args.cancel_requests == 0 {
        bail!("--crash-limit-seconds, --timing-samples and --cancel-requests must be at least 1");
    }
    let started = Instant::now();
    let mut out = String::new();
    for measurement in &args.only {
        let before = match &baseline {
            Some(binary) => Some(measure(*measurement, binary, "baseline", args).await?),
            None => None,
        };
        let after = measure(*measurement, &server, "server", args).await?;
        let table = report::table(
            measurement.title(),
            measurement.method(),
            &after,
            before.as_deref(),
        );
        // Shown as each finishes, and all together at the end.
        eprint!("{table}");
        out.push_str(&table);
    }
    println!("\ncargo xtask bench abuse");
    println!("  --server   {}", server.path.display());
    if let Some(baseline) = &baseline {
        println!("  --baseline {}", baseline.path.display());
    }
    print!("{out}");
    println!("\nTook {:.0} s.", started.elapsed().as_secs_f64());
    Ok(())
}

async fn measure(
    measurement: Measurement,
    binary: &Binary,
    which: &str,
    args: &Args,
) -> Result<Vec<Figure>> {
    eprintln!(
        "\n{} — {which}: {}",
        measurement.title(),
        binary.path.display()
    );
    tokio::time::timeout(MEASUREMENT_TIMEOUT, measurement.run(binary, args))
        .await
        .with_context(|| {
            format!(
                "{} took longer than {} s",
                measurement.title(),
                MEASUREMENT_TIMEOUT.as_secs()
            )
        })?
        .with_context(|| format!("{} of {}", measurement.title(), binary.path.display()))
}

fn key_value(raw: &str) -> Result<(String, String), String> {
    raw.split_once('=')
        .filter(|(key, _)| !key.is_empty())
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .ok_or_else(|| format!("`{raw}` is not KEY=VALUE"))
}

fn absolute(path: &Path) -> Result<PathBuf> {
    if !path.is_file() {
        bail!("{} is not a file", path.display());
    }
    Ok(std::env::current_dir()?.join(path))
}
