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

    progress(&format!(
        "raw argon2id on {cpus} threads for {}",
        secs(window)
    ));
    let raw_before = raw_hash_rate(cost, cpus, window).await?;

    progress(&format!(
        "sessions + bypass codes, {CLIENTS} clients, {} after warm-up",
        secs(2 * window)
    ));
    let pairs = pairs_phase(&http, &service.base(), &users, 2 * window).await?;

    progress(&format!(
        "raw argon2id on {cpus} threads for {}, again",
        secs(window)
    ));
    let raw_after = raw_hash_rate(cost, cpus, window).await?;

    // Tokens for the GET rounds: the clients' last sessions (10 minutes), or fresh ones.
    let mut tokens = Vec::with_capacity(CLIENTS);
    for (user, token) in users.iter().zip(&pairs.tokens) {
        match token {
            Some(token) => tokens.push(token.clone()),
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
    report(
        &header,
        &Raw {
            before: raw_before,
            after: raw_after,
        },
        &pairs,
        &service_rounds,
        &bare_rounds,
    );
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
            recovery_pin: Secret::new(PIN),
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

struct Raw {
    before: f64,
    after: f64,
}

impl Raw {
    fn baseline(&self) -> f64 {
        (self.before + self.after) / 2.0
    }
}

/// Hashes per second on `threads` threads, each hashing back to back for `duration`.
async fn raw_hash_rate(cost: HashCost, threads: usize, duration: Duration) -> Result<f64> {
    let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
        .map_err(|e| anyhow!("argon2 parameters: {e}"))?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + duration;
        std::thread::scope(|scope| {
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
        })
    })
    .await?
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
    stop.store(true, Ordering::Relaxed);

    let mut result = PairsResult {
        warm_up: from - started,
        measured: to - from,
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
    tokio::time::sleep(window).await;
    let to = Instant::now();
    stop.store(true, Ordering::Relaxed);
    let mut round = Round {
        measured: to - from,
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

fn report(header: &Header, raw: &Raw, pairs: &PairsResult, service: &[Round], bare: &[Round]) {
    let w = header.window;
    let cpus = header.cpus;
    println!();
    println!(
        "Recovery Desk service benchmark: one run; every ratio is against a baseline of this run"
    );
    println!(
        "  {cpus} CPUs (available_parallelism) · argon2id v0x13 m={} KiB t={} p={} (HashCost::default) · {CLIENTS} clients",
        header.cost.memory_kib, header.cost.iterations, header.cost.parallelism
    );
    println!(
        "  windows (BENCH_SECONDS={}): raw hash {} before + {} after the service run; service {}; GET 2 × {} per side",
        w.as_secs_f64(),
        secs(w),
        secs(w),
        secs(2 * w),
        secs(w)
    );

    let baseline = raw.baseline();
    println!();
    println!(
        "1. Raw argon2id: argon2 crate, hash_password as the service calls it, {cpus} threads"
    );
    println!("   before the service run  {:>8.1} hashes/s", raw.before);
    println!("   after the service run   {:>8.1} hashes/s", raw.after);
    println!(
        "   baseline (mean)         {:>8.1} hashes/s   ({:.1} ms per hash per thread; before/after differ by {:.1} %)",
        baseline,
        1000.0 * cpus as f64 / baseline,
        100.0 * (raw.before - raw.after).abs() / baseline
    );

    println!();
    println!(
        "2. POST /v1/recovery/sessions + POST /v1/me/bypass-codes: SQLite, default config, {CLIENTS} clients ({})",
        if header.single_address {
            "all from 127.0.0.1"
        } else {
            "one user and one X-Forwarded-For address each"
        }
    );
    println!(
        "   measured {} after a {} warm-up; errors: {}",
        secs(pairs.measured),
        secs(pairs.warm_up),
        errors_text(&pairs.errors)
    );
    let pair_rate = pairs.cycle_rate;
    let hash_rate = HASHES_PER_PAIR * pair_rate;
    let ratio = hash_rate / baseline;
    let mean_pair = mean(&pairs.pairs);
    println!(
        "   sessions+codes/s        {pair_rate:>8.2} pairs/s   (each client's pairs per second in the window, summed{})",
        if pairs.short_clients > 0 {
            format!("; {} clients finished < 2 pairs, counted at the mean", pairs.short_clients)
        } else {
            String::new()
        }
    );
    println!(
        "                                             (check, Little's law: {CLIENTS} / mean pair latency = {})",
        mean_pair.map_or_else(|| "–".to_owned(), |m| format!("{:.2}", CLIENTS as f64 / m.as_secs_f64()))
    );
    println!("   = hashes/s              {hash_rate:>8.1}           (3 argon2id per pair)");
    println!(
        "   of the raw hash rate    {ratio:>8.2}           aim ≥ {HASH_RATE_AIM:.2}: {}   (against before / after alone: {:.2} / {:.2})",
        aim(ratio >= HASH_RATE_AIM),
        hash_rate / raw.before,
        hash_rate / raw.after
    );
    println!("   latency          p50        p99        max       n");
    latency_row("pair", &pairs.pairs);
    latency_row("session", &pairs.sessions);
    latency_row("code", &pairs.codes);
    let p99 = percentile(&sorted(&pairs.pairs), 0.99);
    println!(
        "   pair p99 < {}: {}",
        secs(PAIR_P99_AIM),
        aim(p99.is_some_and(|p| p < PAIR_P99_AIM))
    );
    // Little's law: in a closed loop, mean latency = clients / throughput.
    let floor = CLIENTS as f64 * HASHES_PER_PAIR / baseline;
    let needed = CLIENTS as f64 * HASHES_PER_PAIR / PAIR_P99_AIM.as_secs_f64();
    println!(
        "   (Little's law: {CLIENTS} clients looping at the full raw rate average ≥ {CLIENTS} × 3 / {baseline:.1} = {floor:.2} s per pair;"
    );
    println!(
        "    a mean under {} needs ≥ {needed:.0} hashes/s, {:.1}× this machine's raw rate, ≈ {:.0} such CPUs)",
        secs(PAIR_P99_AIM),
        needed / baseline,
        (needed / (baseline / cpus as f64)).ceil()
    );

    println!();
    println!(
        "3. GET /v1/me/authenticators vs a bare axum handler returning the same {} JSON bytes ({} authenticator{}), {CLIENTS} clients, A B A B",
        header.body_bytes,
        header.authenticators,
        if header.authenticators == 1 { "" } else { "s" }
    );
    let service_all = merge(service);
    let bare_all = merge(bare);
    println!(
        "                 req/s        p50        p99        max       n   rounds (req/s)   errors"
    );
    get_row("service", &service_all, service);
    get_row("bare axum", &bare_all, bare);
    let ratio = service_all.rate() / bare_all.rate();
    println!(
        "   service / bare handler  {ratio:>5.2}   aim ≥ {BARE_HANDLER_AIM:.2}: {}",
        aim(ratio >= BARE_HANDLER_AIM)
    );
    println!();
}

fn aim(met: bool) -> &'static str {
    if met {
        "aim met"
    } else {
        "aim not met"
    }
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

fn get_row(name: &str, all: &Round, rounds: &[Round]) {
    let sorted = sorted(&all.latencies);
    let per_round = rounds
        .iter()
        .map(|r| format!("{:.0}", r.rate()))
        .collect::<Vec<_>>()
        .join(" / ");
    println!(
        "   {name:<10} {:>8.0} {:>10} {:>10} {:>10} {:>7}   {per_round:<16} {}",
        all.rate(),
        opt(percentile(&sorted, 0.50)),
        opt(percentile(&sorted, 0.99)),
        opt(sorted.last().copied()),
        sorted.len(),
        errors_text(&all.errors)
    );
}

fn merge(rounds: &[Round]) -> Round {
    let mut all = Round {
        measured: Duration::ZERO,
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
