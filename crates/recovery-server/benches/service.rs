//! `cargo xtask bench service`: what the service does with the machine it runs on, from one run.
//!
//! 1. The raw argon2id hash rate of this machine: the argon2 crate's `hash_password` (the call
//!    the service makes), Argon2id v0x13 at `HashCost::default()`, on one thread per CPU;
//!    measured before and after the service run, and their mean is the baseline.
//! 2. The whole service (SQLite in a temporary directory, default configuration, production hash
//!    cost) over HTTP on 127.0.0.1: 64 concurrent clients, one bench user each, each looping
//!    `POST /v1/recovery/sessions` then `POST /v1/me/bypass-codes`. One such pair costs the
//!    server three argon2id hashes (password, date of birth + PIN, the new code), so
//!    3 × pairs/s is compared with the raw hash rate. Each client sends its own
//!    `X-Forwarded-For` (the service trusts it here), as 64 people on 64 devices would; set
//!    `BENCH_SINGLE_ADDRESS=1` to send them all from 127.0.0.1 instead.
//! 3. `GET /v1/me/authenticators` at 64 concurrent clients against a bare axum handler that
//!    returns the same JSON bytes, with the same client code, alternately (A B A B).
//!
//! `BENCH_SECONDS` (default 5) sets the measured windows. The client runs in the same process
//! and on the same CPUs as the server: every figure is a ratio to a baseline of this run.

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use anyhow::{anyhow, bail, Context, Result};
use argon2::{
    password_hash::{rand_core::OsRng, PasswordHasher, SaltString},
    Algorithm, Argon2, Params, Version,
};
use axum::{body::Bytes, http::header, routing::get, Router};
use recovery_api::{
    authenticator::{AuthenticatorList, PhoneType},
    bypass_code::BypassCodeIssued,
    session::{CreateSession, SessionCreated},
    Secret,
};
use recovery_server::{
    app::{App, AppOptions},
    config::Config,
    directory::{NewPerson, PasswordSource},
    mfa::builtin::NewPhone,
    slow_hash::HashCost,
};
use reqwest::StatusCode;
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

/// Concurrent clients, and bench users (one each).
const CLIENTS: usize = 64;
const DATE_OF_BIRTH: &str = "1985-12-10";
const PIN: &str = "246810";
/// argon2id hashes the server computes for one session + bypass code pair.
const HASHES_PER_PAIR: f64 = 3.0;
/// The issue's aims.
const HASH_RATE_AIM: f64 = 0.85;
const PAIR_P99_AIM: Duration = Duration::from_secs(1);
const BARE_HANDLER_AIM: f64 = 0.50;
/// Service runs, each between two raw hash runs.
const RUNS: usize = 2;
/// Excluded from each GET round.
const GET_WARM_UP: Duration = Duration::from_millis(500);
/// How long a failed client waits before trying again (so errors do not spin).
const ERROR_PAUSE: Duration = Duration::from_millis(50);

fn main() -> Result<()> {
    let seconds = bench_seconds()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(seconds))
}

fn bench_seconds() -> Result<f64> {
    let Ok(raw) = std::env::var("BENCH_SECONDS") else {
        return Ok(5.0);
    };
    let seconds: f64 = raw
        .trim()
        .parse()
        .with_context(|| format!("BENCH_SECONDS={raw} is not a number of seconds"))?;
    if !(seconds.is_finite() && seconds > 0.0) {
        bail!("BENCH_SECONDS={raw} must be a positive number of seconds");
    }
    Ok(seconds)
}

async fn run(seconds: f64) -> Result<()> {
    let window = Duration::from_secs_f64(seconds);
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let single_address = std::env::var_os("BENCH_SINGLE_ADDRESS").is_some();
    let cost = HashCost::default();

    progress(&format!(
        "setting up: SQLite in a temporary directory, {CLIENTS} bench users"
    ));
    let dir = tempfile::tempdir()?;
    let config = Config {
        database_url: format!("sqlite://{}", dir.path().join("bench.db").display()),
        trust_forwarded_for: !single_address,
        // The bench issues far more codes per person than a day's cap allows a real one.
        limits: recovery_server::sending_caps::SendingLimits {
            notices_per_person: u32::MAX,
            notices_per_session: u32::MAX,
            ..Default::default()
        },
        ..Config::default()
    };
    if config.password_hash != cost {
        bail!("the default configuration's hash cost is not HashCost::default()");
    }
    let app = App::build(config, AppOptions::default()).await?;
    let users = seed_users(&app, single_address).await?;
    let service = Server::service(app.clone()).await?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(2 * CLIENTS)
        .timeout(Duration::from_secs(120))
        .no_proxy()
        .build()?;

    // Raw, service, raw, service, raw: each service run is compared with the raw runs on
    // either side, so that a drift of the machine's speed cancels out.
    let mut raws = Vec::new();
    let mut runs = Vec::new();
    for n in 1..=RUNS {
        progress(&format!(
            "raw argon2id {n}/{}, {cpus} threads, {}",
            RUNS + 1,
            secs(window)
        ));
        raws.push(raw_hash_rate(cost, cpus, window).await?);
        progress(&format!(
            "sessions + bypass codes {n}/{RUNS}, {CLIENTS} clients, ≥ {} after warm-up",
            secs(window)
        ));
        runs.push(pairs_phase(&http, &service.base(), &users, window).await?);
    }
    progress(&format!(
        "raw argon2id {}/{}, {cpus} threads, {}",
        RUNS + 1,
        RUNS + 1,
        secs(window)
    ));
    raws.push(raw_hash_rate(cost, cpus, window).await?);
    let last_tokens = runs.last().map(|r| r.tokens.clone()).unwrap_or_default();

    // Tokens for the GET rounds: the clients' last sessions (10 minutes), or fresh ones.
    let mut tokens = Vec::with_capacity(CLIENTS);
    for (user, token) in users
        .iter()
        .zip(last_tokens.into_iter().chain(std::iter::repeat(None)))
    {
        match token {
            Some(token) => tokens.push(token),
            None => tokens.push(
                open_session(&http, &service.base(), user)
                    .await
                    .map_err(|e| anyhow!("cannot open a session for {}: {e}", user.username))?,
            ),
        }
    }
    let tokens = Arc::new(tokens);
    let list = fetch_list(&http, &service.base(), &tokens[0]).await?;
    let body = Bytes::from(serde_json::to_vec(&list)?);
    let bare = Server::bare(body.clone()).await?;

    progress(&format!(
        "GET /v1/me/authenticators vs bare axum, A B A B × {}",
        secs(window)
    ));
    let mut service_rounds = Vec::new();
    let mut bare_rounds = Vec::new();
    for _ in 0..2 {
        service_rounds.push(get_round(&http, &service.base(), &tokens, window).await);
        bare_rounds.push(get_round(&http, &bare.base(), &tokens, window).await);
    }

    drop(http);
    bare.stop().await;
    service.stop().await;
    app.db.close().await;
    drop(dir);

    let header = Header {
        cpus,
        cost,
        window,
        single_address,
        body_bytes: body.len(),
        authenticators: list.authenticators.len(),
    };
    report(&header, &raws, &runs, &service_rounds, &bare_rounds);
    Ok(())
}

fn progress(what: &str) {
    eprintln!("bench service: {what}…");
}

// ---------------------------------------------------------------------------------------------
// Bench users and servers

struct BenchUser {
    username: String,
    password: String,
    /// The address this client claims through `X-Forwarded-For`, unless all share 127.0.0.1.
    forwarded_for: Option<String>,
}

async fn seed_users(app: &App, single_address: bool) -> Result<Arc<Vec<BenchUser>>> {
    let now = app.clock.now();
    let date_of_birth = time::Date::from_calendar_date(1985, time::Month::December, 10)?;
    let users: Vec<BenchUser> = (0..CLIENTS)
        .map(|i| BenchUser {
            username: format!("bench{i:02}"),
            password: format!("bench-password-{i:02}-staple"),
            // TEST-NET-1 addresses, one per client.
            forwarded_for: (!single_address).then(|| format!("192.0.2.{}", i + 1)),
        })
        .collect();
    // One import per person, all at once: the hashing runs on every CPU.
    let imports = users.iter().enumerate().map(|(i, user)| {
        let directory = app.builtin_directory();
        let person = NewPerson {
            username: user.username.clone(),
            display_name: format!("Bench User {i:02}"),
            notification_emails: vec![format!("{}@example.org", user.username)],
            phones: vec![phone_number(i)],
            date_of_birth,
            password: PasswordSource::Plain(Secret::new(user.password.clone())),
            recovery_pin: Some(Secret::new(PIN)),
        };
        async move { directory.import(&[person], now).await }
    });
    futures::future::try_join_all(imports).await?;
    // One phone each, so that the list of authenticators is not empty.
    for (i, user) in users.iter().enumerate() {
        let person = app
            .directory
            .find_by_username(&user.username)
            .await?
            .ok_or_else(|| anyhow!("{} is missing after import", user.username))?;
        let phone = NewPhone {
            name: "Work phone".to_owned(),
            number: phone_number(i),
            phone_type: PhoneType::Mobile,
            platform: Some("ios".to_owned()),
            app_activated: true,
        };
        app.builtin_provider()
            .add_phone(&person, &phone, now)
            .await?;
    }
    Ok(Arc::new(users))
}

/// +1 201 555 01xx: numbers reserved for fiction.
fn phone_number(i: usize) -> String {
    format!("+120155501{:02}", i % 100)
}

struct Server {
    address: SocketAddr,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// The whole service, as `serve` runs it.
    async fn service(app: App) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let (shutdown, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(recovery_server::http::serve(app, listener, async move {
            let _ = stopped.await;
        }));
        Ok(Self {
            address,
            shutdown,
            task,
        })
    }

    /// A bare axum handler answering the same JSON bytes, serialized once.
    async fn bare(body: Bytes) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let (shutdown, stopped) = oneshot::channel::<()>();
        let router = Router::new().route(
            "/v1/me/authenticators",
            get(move || {
                let body = body.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], body) }
            }),
        );
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
        });
        Ok(Self {
            address,
            shutdown,
            task,
        })
    }

    fn base(&self) -> Arc<str> {
        format!("http://{}", self.address).into()
    }

    async fn stop(self) {
        let _ = self.shutdown.send(());
        let _ = tokio::time::timeout(Duration::from_secs(5), self.task).await;
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Raw argon2id

/// One raw hashing run: hashes per second, and the CPU time the process got meanwhile.
struct RawRun {
    rate: f64,
    cpu: Option<CpuUse>,
}

/// Hashes per second on `threads` threads, each hashing back to back for `duration`, and the
/// CPU time the process got meanwhile.
async fn raw_hash_rate(cost: HashCost, threads: usize, duration: Duration) -> Result<RawRun> {
    let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
        .map_err(|e| anyhow!("argon2 parameters: {e}"))?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    tokio::task::spawn_blocking(move || {
        let meter = CpuMeter::start();
        let deadline = Instant::now() + duration;
        let rate = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|i| {
                    let argon2 = argon2.clone();
                    scope.spawn(move || -> Result<f64> {
                        let secret = format!("raw-bench-secret-{i}");
                        let started = Instant::now();
                        let mut hashes = 0_u32;
                        while Instant::now() < deadline {
                            let salt = SaltString::generate(&mut OsRng);
                            let hash = argon2
                                .hash_password(secret.as_bytes(), &salt)
                                .map_err(|e| anyhow!("argon2id: {e}"))?;
                            std::hint::black_box(hash.to_string());
                            hashes += 1;
                        }
                        // Each thread's own rate, its last hash included.
                        Ok(f64::from(hashes) / started.elapsed().as_secs_f64())
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().map_err(|_| anyhow!("a hashing thread panicked"))?)
                .sum::<Result<f64>>()
        })?;
        Ok(RawRun {
            rate,
            cpu: meter.used(),
        })
    })
    .await?
}

// ---------------------------------------------------------------------------------------------
// CPU time: on a shared machine, how much of it this process got in each measured stretch

/// Process CPU time (user + system) over a stretch of wall time, and the time the hypervisor
/// gave every CPU of the machine to someone else (steal).
#[derive(Clone, Copy)]
struct CpuUse {
    cpu: Duration,
    steal: Duration,
    wall: Duration,
}

impl CpuUse {
    /// CPUs' worth of time the process got, on average.
    fn cpus(&self) -> f64 {
        self.cpu.as_secs_f64() / self.wall.as_secs_f64()
    }

    /// Share of the machine's CPU time stolen by the hypervisor.
    fn steal(&self, cpus: usize) -> f64 {
        self.steal.as_secs_f64() / (self.wall.as_secs_f64() * cpus as f64)
    }
}

struct CpuMeter {
    cpu: Option<Duration>,
    steal: Option<Duration>,
    at: Instant,
}

impl CpuMeter {
    fn start() -> Self {
        Self {
            cpu: process_cpu(),
            steal: machine_steal(),
            at: Instant::now(),
        }
    }

    fn used(&self) -> Option<CpuUse> {
        Some(CpuUse {
            cpu: process_cpu()?.checked_sub(self.cpu?)?,
            steal: machine_steal()?.checked_sub(self.steal?)?,
            wall: self.at.elapsed(),
        })
    }
}

/// Clock ticks (USER_HZ) as time: Linux reports CPU times in hundredths of a second.
fn ticks(ticks: u64) -> Duration {
    Duration::from_millis(ticks * 10)
}

/// This process's CPU time from `/proc/self/stat` (Linux; `None` elsewhere).
fn process_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // After the command name (in parentheses, maybe with spaces) come the fields from `state`
    // on: `utime` and `stime` are the 14th and 15th fields.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some(ticks(user + system))
}

/// Steal time of all CPUs from `/proc/stat` (Linux; `None` elsewhere).
fn machine_steal() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    // cpu user nice system idle iowait irq softirq steal …
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    Some(ticks(line.split_whitespace().nth(8)?.parse().ok()?))
}

fn sum_cpu(uses: impl IntoIterator<Item = Option<CpuUse>>) -> Option<CpuUse> {
    uses.into_iter().try_fold(
        CpuUse {
            cpu: Duration::ZERO,
            steal: Duration::ZERO,
            wall: Duration::ZERO,
        },
        |sum, one| {
            let one = one?;
            Some(CpuUse {
                cpu: sum.cpu + one.cpu,
                steal: sum.steal + one.steal,
                wall: sum.wall + one.wall,
            })
        },
    )
}

// ---------------------------------------------------------------------------------------------
// 2. Sessions + bypass codes

/// One finished request (or pair): when it ended and how long it took.
#[derive(Clone, Copy)]
struct Timed {
    end: Instant,
    latency: Duration,
}

#[derive(Default)]
struct PairClient {
    sessions: Vec<Timed>,
    codes: Vec<Timed>,
    pairs: Vec<Timed>,
    errors: Vec<String>,
    token: Option<Secret>,
}

struct PairsResult {
    warm_up: Duration,
    measured: Duration,
    cpu: Option<CpuUse>,
    /// Pairs per second: each client's completed cycles over the time they took, summed.
    cycle_rate: f64,
    /// Clients with fewer than two pairs in the window (their cycle rate is unknown).
    short_clients: usize,
    sessions: Vec<Duration>,
    codes: Vec<Duration>,
    pairs: Vec<Duration>,
    errors: BTreeMap<String, usize>,
    /// Every client's last session token (for the GET rounds).
    tokens: Vec<Option<Secret>>,
}

/// Pairs that end in the window, per client, at least: two make one measured cycle.
const PAIRS_PER_CLIENT: usize = 3;

async fn pairs_phase(
    http: &reqwest::Client,
    base: &Arc<str>,
    users: &Arc<Vec<BenchUser>>,
    window: Duration,
) -> Result<PairsResult> {
    let stop = Arc::new(AtomicBool::new(false));
    // Pairs finished so far, per client.
    let done: Arc<Vec<AtomicUsize>> =
        Arc::new((0..users.len()).map(|_| AtomicUsize::new(0)).collect());
    let started = Instant::now();
    let clients: Vec<_> = (0..users.len())
        .map(|i| {
            let (http, base, users) = (http.clone(), Arc::clone(base), Arc::clone(users));
            let (stop, done) = (Arc::clone(&stop), Arc::clone(&done));
            tokio::spawn(async move { pair_client(&http, &base, &users[i], &stop, &done[i]).await })
        })
        .collect();
    let counts = || {
        done.iter()
            .map(|n| n.load(Ordering::Relaxed))
            .collect::<Vec<_>>()
    };
    // Warm-up: until every client has finished a pair (the queue in front of the hashers is
    // then in its steady state), within a limit.
    let limit = (3 * window).max(Duration::from_secs(10));
    while counts().contains(&0) && started.elapsed() < limit {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let from = Instant::now();
    let meter = CpuMeter::start();
    let at_start = counts();
    // The window: at least `window`, and until each client has finished enough pairs in it to
    // measure its cycle (a pair takes seconds at 64 clients), within a limit.
    tokio::time::sleep(window).await;
    let enough = || {
        counts()
            .iter()
            .zip(&at_start)
            .all(|(now, then)| now - then >= PAIRS_PER_CLIENT)
    };
    while !enough() && from.elapsed() < 4 * window {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let to = Instant::now();
    let cpu = meter.used();
    stop.store(true, Ordering::Relaxed);

    let mut result = PairsResult {
        warm_up: from - started,
        measured: to - from,
        cpu,
        cycle_rate: 0.0,
        short_clients: 0,
        sessions: Vec::new(),
        codes: Vec::new(),
        pairs: Vec::new(),
        errors: BTreeMap::new(),
        tokens: Vec::new(),
    };
    let mut cycle_rates = Vec::new();
    for client in clients {
        let client = client.await?;
        let ends: Vec<Instant> = client
            .pairs
            .iter()
            .map(|p| p.end)
            .filter(|end| (from..=to).contains(end))
            .collect();
        match (ends.first(), ends.last()) {
            (Some(first), Some(last)) if ends.len() >= 2 => {
                cycle_rates.push((ends.len() - 1) as f64 / (*last - *first).as_secs_f64());
            }
            _ => result.short_clients += 1,
        }
        result.sessions.extend(within(&client.sessions, from, to));
        result.codes.extend(within(&client.codes, from, to));
        result.pairs.extend(within(&client.pairs, from, to));
        for error in client.errors {
            *result.errors.entry(error).or_default() += 1;
        }
        result.tokens.push(client.token);
    }
    // Clients whose cycle is unknown count at the mean of the others.
    if !cycle_rates.is_empty() {
        let mean = cycle_rates.iter().sum::<f64>() / cycle_rates.len() as f64;
        result.cycle_rate = mean * users.len() as f64;
    }
    Ok(result)
}

async fn pair_client(
    http: &reqwest::Client,
    base: &str,
    user: &BenchUser,
    stop: &AtomicBool,
    done: &AtomicUsize,
) -> PairClient {
    let mut client = PairClient::default();
    while !stop.load(Ordering::Relaxed) {
        let start = Instant::now();
        let token = match open_session(http, base, user).await {
            Ok(token) => token,
            Err(error) => {
                client.errors.push(error);
                tokio::time::sleep(ERROR_PAUSE).await;
                continue;
            }
        };
        let opened = Instant::now();
        client.sessions.push(Timed {
            end: opened,
            latency: opened - start,
        });
        client.token = Some(token.clone());
        if stop.load(Ordering::Relaxed) {
            break;
        }
        if let Err(error) = issue_code(http, base, user, &token).await {
            client.errors.push(error);
            tokio::time::sleep(ERROR_PAUSE).await;
            continue;
        }
        let end = Instant::now();
        client.codes.push(Timed {
            end,
            latency: end - opened,
        });
        client.pairs.push(Timed {
            end,
            latency: end - start,
        });
        done.fetch_add(1, Ordering::Relaxed);
    }
    client
}

async fn open_session(
    http: &reqwest::Client,
    base: &str,
    user: &BenchUser,
) -> std::result::Result<Secret, String> {
    let body = CreateSession {
        username: user.username.clone(),
        password: Secret::new(user.password.clone()),
        date_of_birth: Some(DATE_OF_BIRTH.to_owned()),
        pin: Some(Secret::new(PIN)),
        passcode: None,
    };
    let mut request = http
        .post(format!("{base}/v1/recovery/sessions"))
        .json(&body);
    if let Some(address) = &user.forwarded_for {
        request = request.header("x-forwarded-for", address);
    }
    let what = "POST /v1/recovery/sessions";
    let response = request
        .send()
        .await
        .map_err(|e| format!("{what}: {}", error_kind(&e)))?;
    let response = expect_status(what, response, StatusCode::CREATED).await?;
    let created: SessionCreated = response
        .json()
        .await
        .map_err(|e| format!("{what}: unexpected body ({e})"))?;
    Ok(created.token)
}

async fn issue_code(
    http: &reqwest::Client,
    base: &str,
    user: &BenchUser,
    token: &Secret,
) -> std::result::Result<(), String> {
    let mut request = http
        .post(format!("{base}/v1/me/bypass-codes"))
        .bearer_auth(token.expose());
    if let Some(address) = &user.forwarded_for {
        request = request.header("x-forwarded-for", address);
    }
    let what = "POST /v1/me/bypass-codes";
    let response = request
        .send()
        .await
        .map_err(|e| format!("{what}: {}", error_kind(&e)))?;
    let response = expect_status(what, response, StatusCode::CREATED).await?;
    let issued: BypassCodeIssued = response
        .json()
        .await
        .map_err(|e| format!("{what}: unexpected body ({e})"))?;
    if issued.code.expose().len() != 9 {
        return Err(format!("{what}: the code is not 9 digits"));
    }
    Ok(())
}

async fn fetch_list(
    http: &reqwest::Client,
    base: &str,
    token: &Secret,
) -> Result<AuthenticatorList> {
    let what = "GET /v1/me/authenticators";
    let response = http
        .get(format!("{base}/v1/me/authenticators"))
        .bearer_auth(token.expose())
        .send()
        .await?;
    let response = expect_status(what, response, StatusCode::OK)
        .await
        .map_err(|e| anyhow!(e))?;
    Ok(response.json().await?)
}

/// The response when it has the expected status, else "what → status code" with the problem's
/// `code` when there is one.
async fn expect_status(
    what: &str,
    response: reqwest::Response,
    expected: StatusCode,
) -> std::result::Result<reqwest::Response, String> {
    let status = response.status();
    if status == expected {
        return Ok(response);
    }
    let problem = response
        .json::<serde_json::Value>()
        .await
        .ok()
        .and_then(|v| v.get("code")?.as_str().map(str::to_owned));
    Err(match problem {
        Some(code) => format!("{what} → {} {code}", status.as_u16()),
        None => format!("{what} → {}", status.as_u16()),
    })
}

fn error_kind(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    }
}

/// Latencies of what ended inside the measured window.
fn within(samples: &[Timed], from: Instant, to: Instant) -> impl Iterator<Item = Duration> + '_ {
    samples
        .iter()
        .filter(move |s| s.end >= from && s.end <= to)
        .map(|s| s.latency)
}

// ---------------------------------------------------------------------------------------------
// 3. GET /v1/me/authenticators against a bare handler

struct Round {
    measured: Duration,
    cpu: Option<CpuUse>,
    latencies: Vec<Duration>,
    errors: BTreeMap<String, usize>,
}

impl Round {
    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.measured.as_secs_f64()
    }
}

/// 64 clients GET back to back; what ends in the window after a short warm-up counts.
async fn get_round(
    http: &reqwest::Client,
    base: &Arc<str>,
    tokens: &Arc<Vec<Secret>>,
    window: Duration,
) -> Round {
    let stop = Arc::new(AtomicBool::new(false));
    let url: Arc<str> = format!("{base}/v1/me/authenticators").into();
    let clients: Vec<_> = (0..tokens.len())
        .map(|i| {
            let (http, url, tokens, stop) = (
                http.clone(),
                Arc::clone(&url),
                Arc::clone(tokens),
                Arc::clone(&stop),
            );
            tokio::spawn(async move { get_client(&http, &url, &tokens[i], &stop).await })
        })
        .collect();
    tokio::time::sleep(GET_WARM_UP).await;
    let from = Instant::now();
    let meter = CpuMeter::start();
    tokio::time::sleep(window).await;
    let to = Instant::now();
    let cpu = meter.used();
    stop.store(true, Ordering::Relaxed);
    let mut round = Round {
        measured: to - from,
        cpu,
        latencies: Vec::new(),
        errors: BTreeMap::new(),
    };
    for client in clients {
        match client.await {
            Ok((samples, errors)) => {
                round.latencies.extend(within(&samples, from, to));
                for error in errors {
                    *round.errors.entry(error).or_default() += 1;
                }
            }
            Err(_) => {
                *round
                    .errors
                    .entry("client task failed".to_owned())
                    .or_default() += 1
            }
        }
    }
    round
}

async fn get_client(
    http: &reqwest::Client,
    url: &str,
    token: &Secret,
    stop: &AtomicBool,
) -> (Vec<Timed>, Vec<String>) {
    let (mut samples, mut errors) = (Vec::new(), Vec::new());
    let what = "GET /v1/me/authenticators";
    while !stop.load(Ordering::Relaxed) {
        let start = Instant::now();
        let outcome = match http.get(url).bearer_auth(token.expose()).send().await {
            Ok(response) => match expect_status(what, response, StatusCode::OK).await {
                Ok(response) => match response.bytes().await {
                    Ok(body) if !body.is_empty() => Ok(()),
                    Ok(_) => Err(format!("{what}: empty body")),
                    Err(e) => Err(format!("{what}: {}", error_kind(&e))),
                },
                Err(error) => Err(error),
            },
            Err(e) => Err(format!("{what}: {}", error_kind(&e))),
        };
        let end = Instant::now();
        match outcome {
            Ok(()) => samples.push(Timed {
                end,
                latency: end - start,
            }),
            Err(error) => {
                errors.push(error);
                tokio::time::sleep(ERROR_PAUSE).await;
            }
        }
    }
    (samples, errors)
}

// ---------------------------------------------------------------------------------------------
// The report

struct Header {
    cpus: usize,
    cost: HashCost,
    window: Duration,
    single_address: bool,
    body_bytes: usize,
    authenticators: usize,
}

fn report(
    header: &Header,
    raws: &[RawRun],
    runs: &[PairsResult],
    service: &[Round],
    bare: &[Round],
) {
    let w = header.window;
    let cpus = header.cpus;
    println!();
    println!(
        "Recovery Desk service benchmark: one run; every ratio is against a baseline of this run"
    );
    println!(
        "  {cpus} CPUs · argon2id v0x13 m={} KiB t={} p={} (HashCost::default) · {CLIENTS} clients · BENCH_SECONDS={}",
        header.cost.memory_kib,
        header.cost.iterations,
        header.cost.parallelism,
        w.as_secs_f64()
    );
    println!(
        "  CPU got: this process's CPU time ÷ wall time (under {cpus}.00: others ran meanwhile); steal: the hypervisor's share"
    );

    println!();
    println!(
        "1. Raw argon2id: argon2 crate, hash_password as the service calls it, {cpus} threads, {} per run",
        secs(w)
    );
    println!("                hashes/s   ms/hash   CPU got    steal");
    for (i, raw) in raws.iter().enumerate() {
        println!(
            "   raw {}       {:>9.1} {:>9.1}   {:>7}  {:>7}",
            i + 1,
            raw.rate,
            1000.0 * cpus as f64 / raw.rate,
            cpu_text(raw.cpu),
            steal_text(raw.cpu, cpus)
        );
    }

    println!();
    println!(
        "2. Sessions + bypass codes: POST /v1/recovery/sessions, then POST /v1/me/bypass-codes"
    );
    println!(
        "   SQLite, default config, {CLIENTS} clients with {}; run n sits between raw n and raw n+1",
        if header.single_address {
            "one user each, all from 127.0.0.1"
        } else {
            "one user and one X-Forwarded-For address each"
        }
    );
    println!("                 pairs/s   hashes/s   raw mean   ratio   measured   warm-up   CPU got    steal");
    let mut sum_hashes = 0.0;
    let mut sum_raw = 0.0;
    for (i, run) in runs.iter().enumerate() {
        let hash_rate = HASHES_PER_PAIR * run.cycle_rate;
        let around = raws.get(i..i + 2).map_or(f64::NAN, |r| {
            r.iter().map(|r| r.rate).sum::<f64>() / r.len() as f64
        });
        sum_hashes += hash_rate;
        sum_raw += around;
        println!(
            "   run {}     {:>9.2} {:>10.1} {:>10.1} {:>7.2} {:>10} {:>9}   {:>7}  {:>7}",
            i + 1,
            run.cycle_rate,
            hash_rate,
            around,
            hash_rate / around,
            secs(run.measured),
            secs(run.warm_up),
            cpu_text(run.cpu),
            steal_text(run.cpu, cpus)
        );
    }
    let n = runs.len().max(1) as f64;
    let pair_rate = sum_hashes / HASHES_PER_PAIR / n;
    let ratio = sum_hashes / sum_raw;
    let all_pairs: Vec<Duration> = runs.iter().flat_map(|r| r.pairs.clone()).collect();
    let all_sessions: Vec<Duration> = runs.iter().flat_map(|r| r.sessions.clone()).collect();
    let all_codes: Vec<Duration> = runs.iter().flat_map(|r| r.codes.clone()).collect();
    let mut errors = BTreeMap::new();
    for run in runs {
        for (what, n) in &run.errors {
            *errors.entry(what.clone()).or_default() += n;
        }
    }
    let short: usize = runs.iter().map(|r| r.short_clients).sum();
    println!(
        "   sessions+codes/s {pair_rate:>7.2}   = {:.1} hashes/s (3 argon2id per pair; each client's pairs/s in the window, summed)",
        HASHES_PER_PAIR * pair_rate
    );
    if short > 0 {
        println!("   ({short} client windows had < 2 pairs and count at the mean of the others)");
    }
    println!(
        "   ratio to the raw argon2id rate: {ratio:.2}   aim ≥ {HASH_RATE_AIM:.2}: {}",
        aim(ratio >= HASH_RATE_AIM)
    );
    println!(
        "   Little's law check: {CLIENTS} / mean pair latency = {} pairs/s; errors: {}",
        mean(&all_pairs).map_or_else(
            || "–".to_owned(),
            |m| format!("{:.2}", CLIENTS as f64 / m.as_secs_f64())
        ),
        errors_text(&errors)
    );
    println!("   latency          p50        p99        max       n");
    latency_row("pair", &all_pairs);
    latency_row("session", &all_sessions);
    latency_row("code", &all_codes);
    let p99 = percentile(&sorted(&all_pairs), 0.99);
    println!(
        "   pair p99 < {}: {}",
        secs(PAIR_P99_AIM),
        aim(p99.is_some_and(|p| p < PAIR_P99_AIM))
    );
    // Little's law: in a closed loop, mean latency = clients / throughput.
    let raw_mean = raws.iter().map(|r| r.rate).sum::<f64>() / raws.len().max(1) as f64;
    let floor = CLIENTS as f64 * HASHES_PER_PAIR / raw_mean;
    let needed = CLIENTS as f64 * HASHES_PER_PAIR / PAIR_P99_AIM.as_secs_f64();
    println!(
        "   (Little's law: {CLIENTS} clients looping at the full raw rate average ≥ {CLIENTS} × 3 / {raw_mean:.1} = {floor:.2} s per pair;"
    );
    println!(
        "    a mean under {} needs ≥ {needed:.0} hashes/s: {:.1}× this machine's raw rate, ≈ {:.0} such CPUs)",
        secs(PAIR_P99_AIM),
        needed / raw_mean,
        (needed / (raw_mean / cpus as f64)).ceil()
    );

    println!();
    println!(
        "3. GET /v1/me/authenticators vs a bare axum handler serving the same {}-byte JSON ({} authenticator{})",
        header.body_bytes,
        header.authenticators,
        if header.authenticators == 1 { "" } else { "s" }
    );
    println!(
        "   {CLIENTS} clients, same client code, rounds A B A B of {} (after {} of warm-up each)",
        secs(w),
        human(GET_WARM_UP)
    );
    let service_all = merge(service);
    let bare_all = merge(bare);
    println!("                 req/s        p50        p99        max        n   CPU got    steal   rounds (req/s)");
    get_row("service", &service_all, service, cpus);
    get_row("bare axum", &bare_all, bare, cpus);
    let mut errors = service_all.errors.clone();
    for (what, n) in &bare_all.errors {
        *errors.entry(what.clone()).or_default() += n;
    }
    let ratio = service_all.rate() / bare_all.rate();
    let per_round = service
        .iter()
        .zip(bare)
        .map(|(s, b)| format!("{:.2}", s.rate() / b.rate()))
        .collect::<Vec<_>>()
        .join(" / ");
    println!(
        "   service / bare: {ratio:.2}   aim ≥ {BARE_HANDLER_AIM:.2}: {}   (per round: {per_round}); errors: {}",
        aim(ratio >= BARE_HANDLER_AIM),
        errors_text(&errors)
    );

    // Phases during which others clearly used the machine. The service may idle some CPU
    // itself (that is part of what is measured), so its threshold is lower.
    let busy =
        |cpu: Option<CpuUse>, share: f64| cpu.is_some_and(|c| c.cpus() < share * cpus as f64);
    let mut noisy: Vec<String> = Vec::new();
    for (i, raw) in raws.iter().enumerate() {
        if busy(raw.cpu, 0.9) {
            noisy.push(format!("raw {}", i + 1));
        }
    }
    for (i, run) in runs.iter().enumerate() {
        if busy(run.cpu, 0.8) {
            noisy.push(format!("run {}", i + 1));
        }
    }
    for (i, (s, b)) in service.iter().zip(bare).enumerate() {
        if busy(s.cpu, 0.9) || busy(b.cpu, 0.9) {
            noisy.push(format!("GET round {}", i + 1));
        }
    }
    if !noisy.is_empty() {
        println!();
        println!(
            "   Note: others used this machine during {} (CPU got well under {cpus}): those figures are unreliable; run again when it is quiet.",
            noisy.join(", ")
        );
    }
    println!();
}

fn aim(met: bool) -> &'static str {
    if met {
        "aim met"
    } else {
        "aim not met"
    }
}

fn cpu_text(cpu: Option<CpuUse>) -> String {
    cpu.map_or_else(|| "–".to_owned(), |c| format!("{:.2}", c.cpus()))
}

fn steal_text(cpu: Option<CpuUse>, cpus: usize) -> String {
    cpu.map_or_else(
        || "–".to_owned(),
        |c| format!("{:.1} %", 100.0 * c.steal(cpus)),
    )
}

fn errors_text(errors: &BTreeMap<String, usize>) -> String {
    if errors.is_empty() {
        return "none".to_owned();
    }
    errors
        .iter()
        .map(|(what, n)| format!("{n} × {what}"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn latency_row(name: &str, samples: &[Duration]) {
    let sorted = sorted(samples);
    println!(
        "   {name:<10} {:>10} {:>10} {:>10} {:>7}",
        opt(percentile(&sorted, 0.50)),
        opt(percentile(&sorted, 0.99)),
        opt(sorted.last().copied()),
        sorted.len()
    );
}

fn get_row(name: &str, all: &Round, rounds: &[Round], cpus: usize) {
    let sorted = sorted(&all.latencies);
    let per_round = rounds
        .iter()
        .map(|r| format!("{:.0}", r.rate()))
        .collect::<Vec<_>>()
        .join(" / ");
    println!(
        "   {name:<10} {:>8.0} {:>10} {:>10} {:>10} {:>8}   {:>7}  {:>7}   {per_round}",
        all.rate(),
        opt(percentile(&sorted, 0.50)),
        opt(percentile(&sorted, 0.99)),
        opt(sorted.last().copied()),
        sorted.len(),
        cpu_text(all.cpu),
        steal_text(all.cpu, cpus)
    );
}

fn merge(rounds: &[Round]) -> Round {
    let mut all = Round {
        measured: Duration::ZERO,
        cpu: sum_cpu(rounds.iter().map(|r| r.cpu)),
        latencies: Vec::new(),
        errors: BTreeMap::new(),
    };
    for round in rounds {
        all.measured += round.measured;
        all.latencies.extend(&round.latencies);
        for (what, n) in &round.errors {
            *all.errors.entry(what.clone()).or_default() += n;
        }
    }
    all
}

fn mean(samples: &[Duration]) -> Option<Duration> {
    let n = u32::try_from(samples.len()).ok().filter(|n| *n > 0)?;
    Some(samples.iter().sum::<Duration>() / n)
}

fn sorted(samples: &[Duration]) -> Vec<Duration> {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    sorted
}

/// Nearest-rank percentile of sorted samples.
fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

fn opt(value: Option<Duration>) -> String {
    value.map_or_else(|| "–".to_owned(), human)
}

fn human(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 0.001 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{:.0} µs", s * 1e6)
    }
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}
