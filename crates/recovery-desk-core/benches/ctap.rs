//! `cargo xtask bench ctap`: the machine time of one security-key registration over the
//! virtual CTAP2 key (`virtual-ctap`), with nothing waiting for a person.
//!
//! Each measured registration is the app's real path: the service's relying party
//! (`recovery_server::security_key::RelyingParty`, webauthn-rs) makes the creation options,
//! excluding a few credentials the person already has; `security_key::register_with_info`
//! runs the whole ceremony against a fresh `VirtualAuthenticator` (getInfo, getPINRetries,
//! then the crate's getKeyAgreement, PIN token and makeCredential); the relying party then
//! verifies the credential (`finish_registration`, i.e. webauthn-rs'
//! `finish_securitykey_registration` plus the service's own checks), so only registrations
//! that are actually valid are counted. Cases, in rounds A B C … so that a drift of the
//! machine's speed reaches all of them alike:
//!
//! - **PIN set** (the common case): a CTAP 2.1 key with a PIN (protocol 2, pinUvAuthToken).
//! - **PIN set, CTAP 2.0**: protocol 1 and the legacy getPinToken.
//! - **first PIN**: a key without a PIN, which gets one first (setPIN), then registers.
//! - baseline **SoftToken**: the same options answered by webauthn-authenticator-rs'
//!   `SoftToken` (no PIN, no CTAP) through the crate's `WebauthnAuthenticator` client code,
//!   verified the same way.
//! - baseline **P-256**: one P-256 key generation and one ECDSA signature (crypto-glue, what
//!   the virtual key and the crate use).
//!
//! No waits for the person: the key is touched at once (`Presence::Immediate`, so it sends no
//! keep-alive and nothing sleeps) and the PIN reply is queued before the ceremony starts, so
//! the PIN prompt is answered as soon as it is asked. The timed span is the call to
//! `register_with_info`; making the key (its key-agreement key pair) and the options are
//! outside it, and the options and the verification are reported on their own rows.
//! CPU is the time every thread of this process spent on a CPU meanwhile
//! (`CLOCK_PROCESS_CPUTIME_ID`): about the wall time when nothing waited.
//!
//! A last pass measures the PIN-set case again through a wrapper that times each request
//! inside the key, to show where the time goes (the key's work vs the client's).
//!
//! `BENCH_RUNS` (default 200) sets the measured registrations per case, after
//! `BENCH_RUNS / 10` (at least 5) discarded warm-up ones.

use std::{
    collections::BTreeMap,
    hint::black_box,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use anyhow::{anyhow, bail, ensure, Context, Result};
use async_trait::async_trait;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use crypto_glue::{
    ecdsa_p256::{self, EcdsaP256Signature, EcdsaP256SigningKey},
    traits::Signer,
};
use recovery_desk_core::security_key::{
    self, CancellationToken, CreationChallengeResponse, KeyEvent, PinReply, PinState,
    RegisterPublicKeyCredential, Settings, Token,
};
use recovery_server::security_key::{
    PendingRegistration, RelyingParty, SecurityKeyPolicy, StoredKey,
};
use tokio::sync::mpsc;
use url::Url;
use uuid::{uuid, Uuid};
use virtual_ctap::{Config, Presence, RequestKind, VirtualAuthenticator};
use webauthn_authenticator_rs::{
    error::WebauthnCError, softtoken::SoftToken, ui::UiCallback, WebauthnAuthenticator,
};
use webauthn_rs_proto::AuthenticatorTransport;
use zeroize::Zeroizing;

const PIN: &str = "135790";
const USER_ID: Uuid = uuid!("6c0d7a4e-8f4b-4d61-9a3e-2f1f0c9b7a10");
/// Credentials the person already has: they go to the key as the exclude list.
const EXCLUDED: usize = 3;
/// The aim for one registration.
const AIM: Duration = Duration::from_millis(300);
/// What the P-256 baseline signs: about the size of authenticatorData with an attested
/// P-256 credential, plus the client data hash.
const SIGNED_BYTES: usize = 196;

fn main() -> Result<()> {
    // `cargo bench` passes `--bench`; nothing else is expected.
    if let Some(extra) = std::env::args()
        .skip(1)
        .find(|a| a != "--bench" && !a.is_empty())
    {
        bail!("the ctap bench takes no arguments (got `{extra}`); set BENCH_RUNS instead");
    }
    let runs = bench_runs()?;
    // register_with_info needs a multi-thread runtime (it is Tauri's); default size.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(runs))
}

fn bench_runs() -> Result<usize> {
    let Ok(raw) = std::env::var("BENCH_RUNS") else {
        return Ok(200);
    };
    let runs: usize = raw
        .trim()
        .parse()
        .with_context(|| format!("BENCH_RUNS={raw} is not a whole number"))?;
    ensure!(runs >= 1, "BENCH_RUNS must be at least 1");
    Ok(runs)
}

// ---------------------------------------------------------------------------------------------
// The cases

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    PinSet,
    PinSetCtap20,
    FirstPin,
    SoftToken,
    P256,
}

impl Case {
    const ALL: [Self; 5] = [
        Self::PinSet,
        Self::PinSetCtap20,
        Self::FirstPin,
        Self::SoftToken,
        Self::P256,
    ];

    fn label(self) -> &'static str {
        match self {
            Self::PinSet => "PIN set (CTAP 2.1)",
            Self::PinSetCtap20 => "PIN set (CTAP 2.0)",
            Self::FirstPin => "first PIN, then register",
            Self::SoftToken => "baseline: SoftToken, no PIN",
            Self::P256 => "baseline: P-256 keygen + sign",
        }
    }

    /// The key a virtual case registers, made fresh for each registration.
    fn key(self) -> Option<VirtualAuthenticator> {
        let config = match self {
            Self::PinSet => Config::ctap21().with_pin(PIN),
            Self::PinSetCtap20 => Config::ctap20().with_pin(PIN),
            Self::FirstPin => Config::ctap21(),
            Self::SoftToken | Self::P256 => return None,
        };
        Some(VirtualAuthenticator::new(
            config.with_presence(Presence::Immediate),
        ))
    }
}

/// One registration's figures.
#[derive(Debug, Clone, Copy, Default)]
struct Sample {
    /// The client side: `register_with_info`, or the SoftToken's `do_registration`, or the
    /// P-256 operation.
    wall: Duration,
    /// CPU time of all this process's threads over the same span, when readable.
    cpu: Option<Duration>,
    /// The relying party's `start_registration`.
    options: Duration,
    /// The relying party's `finish_registration`.
    verify: Duration,
}

struct Bench {
    rp: RelyingParty,
    origin: Url,
    excluded: Vec<StoredKey>,
}

async fn run(runs: usize) -> Result<()> {
    let warm_up = (runs / 10).max(5);
    progress("setting up: the service's relying party, and credentials to exclude");
    let rp = RelyingParty::new(&SecurityKeyPolicy::default())
        .map_err(|e| anyhow!("relying party: {e}"))?;
    let origin = rp.origin().clone();
    // The person's existing keys: SoftToken registrations, verified by the relying party.
    let mut excluded = Vec::new();
    for _ in 0..EXCLUDED {
        let (mut soft, _) = SoftToken::new(false).map_err(|e| anyhow!("SoftToken: {e:?}"))?;
        let (options, pending) = rp
            .start_registration(USER_ID, "ada", "Ada Lovelace", &excluded)
            .map_err(|e| anyhow!("start_registration: {e}"))?;
        let credential = soft
            .do_registration(origin.clone(), options)
            .map_err(|e| anyhow!("SoftToken registration: {e:?}"))?;
        excluded.push(
            rp.finish_registration(&pending, &credential)
                .map_err(|e| anyhow!("finish_registration: {e}"))?,
        );
    }
    let bench = Bench {
        rp,
        origin,
        excluded,
    };

    // What each virtual case sends to the key, checked once.
    let mut exchanges = Vec::new();
    for case in [Case::PinSet, Case::PinSetCtap20, Case::FirstPin] {
        let key = case.key().context("a virtual case has a key")?;
        bench.register_virtual(case, key.clone(), None).await?;
        exchanges.push((case, key.requests()));
    }

    progress(&format!(
        "warm-up: {warm_up} registrations of each case (discarded)"
    ));
    for _ in 0..warm_up {
        for case in Case::ALL {
            bench.one(case).await?;
        }
    }
    progress(&format!(
        "measuring: {runs} registrations of each case, in rounds of one each"
    ));
    let started = Instant::now();
    let mut samples: BTreeMap<usize, Vec<Sample>> = BTreeMap::new();
    for round in 0..runs {
        // Rotate the order so that no case always follows the same one.
        for i in 0..Case::ALL.len() {
            let index = (i + round) % Case::ALL.len();
            let sample = bench.one(Case::ALL[index]).await?;
            samples.entry(index).or_default().push(sample);
        }
    }
    let measured = started.elapsed();

    let breakdown_runs = (runs / 4).clamp(1, 50);
    progress(&format!(
        "where the time goes: {breakdown_runs} PIN-set registrations with each request to the key timed"
    ));
    let mut breakdown = Breakdown::default();
    for _ in 0..breakdown_runs {
        let key = Case::PinSet.key().context("a virtual case has a key")?;
        let meter = Arc::new(Mutex::new(Vec::new()));
        let metered = Metered {
            inner: key.clone(),
            meter: Arc::clone(&meter),
        };
        let sample = bench
            .register_virtual(Case::PinSet, metered, Some(&key))
            .await?;
        let times = std::mem::take(&mut *meter.lock().unwrap_or_else(PoisonError::into_inner));
        breakdown.add(sample.wall, &key.requests(), &times)?;
    }

    let samples: Vec<(Case, Vec<Sample>)> = Case::ALL
        .iter()
        .enumerate()
        .map(|(i, case)| (*case, samples.remove(&i).unwrap_or_default()))
        .collect();
    report(runs, warm_up, measured, &samples, &exchanges, &breakdown)
}

impl Bench {
    async fn one(&self, case: Case) -> Result<Sample> {
        match case {
            Case::PinSet | Case::PinSetCtap20 | Case::FirstPin => {
                let key = case.key().context("a virtual case has a key")?;
                self.register_virtual(case, key.clone(), Some(&key)).await
            }
            Case::SoftToken => self.register_soft(),
            Case::P256 => p256_operation(),
        }
    }

    fn options(&self) -> Result<(CreationChallengeResponse, Duration, PendingRegistration)> {
        let started = Instant::now();
        let (options, pending) = self
            .rp
            .start_registration(USER_ID, "ada", "Ada Lovelace", &self.excluded)
            .map_err(|e| anyhow!("start_registration: {e}"))?;
        let elapsed = started.elapsed();
        ensure!(
            options
                .public_key
                .exclude_credentials
                .as_ref()
                .is_some_and(|list| list.len() == EXCLUDED),
            "the options do not exclude the person's {EXCLUDED} credentials"
        );
        Ok((options, elapsed, pending))
    }

    fn verify(
        &self,
        pending: &PendingRegistration,
        credential: &RegisterPublicKeyCredential,
    ) -> Result<(StoredKey, Duration)> {
        let started = Instant::now();
        let stored = self
            .rp
            .finish_registration(pending, credential)
            .map_err(|e| anyhow!("the relying party refused the credential: {e}"))?;
        Ok((stored, started.elapsed()))
    }

    /// One registration of `token` (the virtual key `key`, possibly wrapped) through the app's
    /// ceremony, then verified.
    async fn register_virtual<T: Token + 'static>(
        &self,
        case: Case,
        token: T,
        key: Option<&VirtualAuthenticator>,
    ) -> Result<Sample> {
        let (options, options_time, pending) = self.options()?;
        let (events_tx, mut events_rx) = mpsc::unbounded_channel();
        let (pins_tx, pins_rx) = mpsc::channel(1);
        // The person's answer, queued before it is asked for.
        let reply = match case {
            Case::FirstPin => PinReply::NewPin(Zeroizing::new(PIN.to_owned())),
            _ => PinReply::Pin(Zeroizing::new(PIN.to_owned())),
        };
        pins_tx
            .try_send(reply)
            .map_err(|_| anyhow!("cannot queue the PIN"))?;

        let claim = security_key::claim_keys(&CancellationToken::new())
            .await
            .map_err(|e| anyhow!("{e}"))?;
        let cpu = Cpu::now();
        let started = Instant::now();
        let registered = security_key::register_with_info(
            claim,
            token,
            options,
            self.origin.clone(),
            events_tx,
            pins_rx,
            CancellationToken::new(),
            Settings::default(),
        )
        .await;
        let wall = started.elapsed();
        let cpu = Cpu::since(cpu);
        let registered = registered.map_err(|e| anyhow!("{}: {e}", case.label()))?;

        let mut events = Vec::new();
        while let Ok(event) = events_rx.try_recv() {
            events.push(event);
        }
        check_events(case, &events)?;
        let (stored, verify) = self.verify(&pending, &registered.credential)?;
        if let Some(key) = key {
            let ids = key.credential_ids();
            ensure!(
                ids.len() == 1,
                "{}: the key holds {} credentials",
                case.label(),
                ids.len()
            );
            // What the relying party verified (the crate's CTAP2 client leaves `raw_id` empty;
            // webauthn-rs reads the id from the attested credential data).
            ensure!(
                URL_SAFE_NO_PAD.encode(&ids[0]) == stored.credential_id,
                "{}: the verified credential is not the key's",
                case.label()
            );
            ensure!(
                key.pin_is(PIN),
                "{}: the key's PIN is not set",
                case.label()
            );
            ensure!(
                key.requests().iter().any(|e| e.kind.is_token_request()),
                "{}: no PIN token was requested (no user verification)",
                case.label()
            );
        }
        ensure!(
            !self
                .excluded
                .iter()
                .any(|e| e.credential_id == stored.credential_id),
            "{}: an excluded credential came back",
            case.label()
        );
        Ok(Sample {
            wall,
            cpu,
            options: options_time,
            verify,
        })
    }

    /// The baseline: the same options, answered by a SoftToken through the crate's client.
    fn register_soft(&self) -> Result<Sample> {
        // Minting its CA and intermediate is not part of a registration.
        let (mut soft, _) = SoftToken::new(false).map_err(|e| anyhow!("SoftToken: {e:?}"))?;
        let (options, options_time, pending) = self.options()?;
        let cpu = Cpu::now();
        let started = Instant::now();
        let credential = soft.do_registration(self.origin.clone(), options);
        let wall = started.elapsed();
        let cpu = Cpu::since(cpu);
        let credential = credential.map_err(|e| anyhow!("SoftToken registration: {e:?}"))?;
        let (_, verify) = self.verify(&pending, &credential)?;
        Ok(Sample {
            wall,
            cpu,
            options: options_time,
            verify,
        })
    }
}

/// The events a ceremony without any wait for the person sends: no touch asked for, one PIN
/// prompt (answered from the queue) or one PIN set-up, nothing rejected.
fn check_events(case: Case, events: &[KeyEvent]) -> Result<()> {
    let found = events.iter().find_map(|e| match e {
        KeyEvent::KeyFound { pin, .. } => Some(*pin),
        _ => None,
    });
    let expected_prompt = |e: &KeyEvent| match case {
        Case::FirstPin => matches!(e, KeyEvent::PinSetupNeeded { .. }),
        _ => matches!(e, KeyEvent::PinNeeded { .. }),
    };
    let pin_ok = match (case, found) {
        (Case::FirstPin, Some(PinState::NotSet)) => true,
        (_, Some(PinState::Set { .. })) => case != Case::FirstPin,
        _ => false,
    };
    let unexpected = events.iter().any(|e| {
        !matches!(e, KeyEvent::WaitingForKey | KeyEvent::KeyFound { .. }) && !expected_prompt(e)
    });
    if !pin_ok || unexpected || events.iter().filter(|e| expected_prompt(e)).count() != 1 {
        bail!("{}: unexpected events {events:?}", case.label());
    }
    Ok(())
}

/// The baseline operation: a fresh P-256 key and one ECDSA signature.
fn p256_operation() -> Result<Sample> {
    let mut message = [0_u8; SIGNED_BYTES];
    crypto_glue::rand::fill(&mut message[..]);
    let cpu = Cpu::now();
    let started = Instant::now();
    let key = ecdsa_p256::new_key();
    let signing = EcdsaP256SigningKey::from(&key);
    let signature: EcdsaP256Signature = signing
        .try_sign(black_box(&message))
        .map_err(|e| anyhow!("ECDSA: {e}"))?;
    let der = signature.to_der();
    let wall = started.elapsed();
    let cpu = Cpu::since(cpu);
    black_box(der);
    Ok(Sample {
        wall,
        cpu,
        ..Sample::default()
    })
}

// ---------------------------------------------------------------------------------------------
// CPU time of the whole process

struct Cpu;

impl Cpu {
    /// CPU time of every thread of this process so far (`CLOCK_PROCESS_CPUTIME_ID`).
    #[cfg(unix)]
    fn now() -> Option<Duration> {
        use rustix::time::{clock_gettime, ClockId};
        let t = clock_gettime(ClockId::ProcessCPUTime);
        Some(Duration::new(
            u64::try_from(t.tv_sec).ok()?,
            u32::try_from(t.tv_nsec).ok()?,
        ))
    }

    #[cfg(not(unix))]
    fn now() -> Option<Duration> {
        None
    }

    fn since(before: Option<Duration>) -> Option<Duration> {
        Some(Self::now()?.saturating_sub(before?))
    }
}

// ---------------------------------------------------------------------------------------------
// Where the time goes: each request timed inside the key

/// The key, with the time spent inside each of its requests recorded.
#[derive(Debug)]
struct Metered<T> {
    inner: T,
    meter: Arc<Mutex<Vec<Duration>>>,
}

#[async_trait]
impl<T: Token> Token for Metered<T> {
    type Id = T::Id;

    fn has_button(&self) -> bool {
        self.inner.has_button()
    }

    fn get_transport(&self) -> AuthenticatorTransport {
        self.inner.get_transport()
    }

    async fn transmit_raw<U>(&mut self, cbor: &[u8], ui: &U) -> Result<Vec<u8>, WebauthnCError>
    where
        U: UiCallback,
    {
        let started = Instant::now();
        let result = self.inner.transmit_raw(cbor, ui).await;
        let elapsed = started.elapsed();
        self.meter
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(elapsed);
        result
    }

    async fn cancel(&mut self) -> Result<(), WebauthnCError> {
        self.inner.cancel().await
    }

    async fn init(&mut self) -> Result<(), WebauthnCError> {
        self.inner.init().await
    }

    async fn close(&mut self) -> Result<(), WebauthnCError> {
        self.inner.close().await
    }
}

#[derive(Default)]
struct Breakdown {
    /// Per registration: the ceremony, and the time spent inside the key.
    ceremonies: Vec<(Duration, Duration)>,
    /// Request → (how many per registration, time inside the key per registration), in the
    /// order first seen.
    requests: Vec<(RequestKind, usize, Vec<Duration>)>,
}

impl Breakdown {
    fn add(
        &mut self,
        wall: Duration,
        log: &[virtual_ctap::Exchange],
        times: &[Duration],
    ) -> Result<()> {
        ensure!(
            log.len() == times.len(),
            "the key logged {} requests, the meter {}",
            log.len(),
            times.len()
        );
        let mut this: Vec<(RequestKind, usize, Duration)> = Vec::new();
        for (exchange, time) in log.iter().zip(times) {
            match this.iter_mut().find(|(k, _, _)| *k == exchange.kind) {
                Some((_, count, total)) => {
                    *count += 1;
                    *total += *time;
                }
                None => this.push((exchange.kind, 1, *time)),
            }
        }
        for (kind, count, total) in this {
            match self.requests.iter_mut().find(|(k, _, _)| *k == kind) {
                Some((_, _, totals)) => totals.push(total),
                None => self.requests.push((kind, count, vec![total])),
            }
        }
        self.ceremonies.push((wall, times.iter().sum()));
        Ok(())
    }
}

fn request_name(kind: RequestKind) -> String {
    match kind {
        RequestKind::MakeCredential => "makeCredential".to_owned(),
        RequestKind::GetAssertion => "getAssertion".to_owned(),
        RequestKind::GetInfo => "getInfo".to_owned(),
        RequestKind::GET_PIN_RETRIES => "clientPIN getPINRetries".to_owned(),
        RequestKind::GET_KEY_AGREEMENT => "clientPIN getKeyAgreement".to_owned(),
        RequestKind::SET_PIN => "clientPIN setPIN".to_owned(),
        RequestKind::CHANGE_PIN => "clientPIN changePIN".to_owned(),
        RequestKind::GET_PIN_TOKEN => "clientPIN getPinToken".to_owned(),
        RequestKind::GET_PIN_UV_AUTH_TOKEN_USING_PIN => {
            "clientPIN getPinUvAuthTokenUsingPinWithPermissions".to_owned()
        }
        RequestKind::ClientPin(sub) => format!("clientPIN 0x{sub:02x}"),
        RequestKind::Reset => "reset".to_owned(),
        RequestKind::Selection => "selection".to_owned(),
        RequestKind::Other(command) => format!("command 0x{command:02x}"),
    }
}

// ---------------------------------------------------------------------------------------------
// The report

fn progress(what: &str) {
    eprintln!("bench ctap: {what}…");
}

struct Stats {
    median: Duration,
    p95: Duration,
    min: Duration,
}

fn stats(values: impl Iterator<Item = Duration>) -> Option<Stats> {
    let mut sorted: Vec<Duration> = values.collect();
    sorted.sort_unstable();
    Some(Stats {
        median: percentile(&sorted, 0.50)?,
        p95: percentile(&sorted, 0.95)?,
        min: *sorted.first()?,
    })
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms >= 10.0 {
        format!("{ms:.1}")
    } else if ms >= 1.0 {
        format!("{ms:.2}")
    } else {
        format!("{ms:.3}")
    }
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

fn report(
    runs: usize,
    warm_up: usize,
    measured: Duration,
    samples: &[(Case, Vec<Sample>)],
    exchanges: &[(Case, Vec<virtual_ctap::Exchange>)],
    breakdown: &Breakdown,
) -> Result<()> {
    let find = |case: Case| {
        samples
            .iter()
            .find(|(c, _)| *c == case)
            .map(|(_, s)| s.as_slice())
            .ok_or_else(|| anyhow!("no samples of {}", case.label()))
    };
    let wall = |case: Case| -> Result<Stats> {
        stats(find(case)?.iter().map(|s| s.wall))
            .ok_or_else(|| anyhow!("no samples of {}", case.label()))
    };
    let soft = wall(Case::SoftToken)?;
    let p256 = wall(Case::P256)?;
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());

    println!();
    println!(
        "Recovery Desk security-key benchmark: one registration over the virtual CTAP2 key; ratios are against baselines of this run"
    );
    println!(
        "  {cpus} CPUs · {runs} registrations of each case after {warm_up} warm-up ones, in rotating rounds ({:.1} s) · release build",
        measured.as_secs_f64()
    );
    println!(
        "  the app's path: the service's relying party (webauthn-rs) makes the options with {EXCLUDED} excluded credentials,"
    );
    println!(
        "  security_key::register_with_info runs the ceremony against a fresh key, the relying party verifies the credential"
    );
    println!(
        "  waits for the person: none. The key is touched at once (Presence::Immediate: no keep-alive, no sleep) and the"
    );
    println!(
        "  PIN reply is queued before the ceremony starts; every event was checked: no TouchNeeded, one PIN prompt or set-up"
    );
    println!();
    println!("  exchanges with the key per registration:");
    for (case, log) in exchanges {
        let names: Vec<String> = log
            .iter()
            .map(|e| {
                if e.status == 0 {
                    request_name(e.kind)
                } else {
                    format!("{} → 0x{:02x}", request_name(e.kind), e.status)
                }
            })
            .collect();
        println!("    {:<26} {}", case.label(), names.join(", "));
    }

    println!();
    println!("  client side (the ceremony; SoftToken's do_registration; the P-256 operation), ms:");
    println!(
        "  {:<30} {:>9} {:>9} {:>9} {:>10} {:>10} {:>9}",
        "", "median", "p95", "min", "CPU med.", "÷ SoftTok", "÷ P-256"
    );
    for (case, list) in samples {
        let Some(s) = stats(list.iter().map(|s| s.wall)) else {
            continue;
        };
        let cpu =
            stats(list.iter().filter_map(|s| s.cpu)).map_or_else(|| "–".into(), |c| ms(c.median));
        println!(
            "  {:<30} {:>9} {:>9} {:>9} {:>10} {:>9.2}× {:>8.1}×",
            case.label(),
            ms(s.median),
            ms(s.p95),
            ms(s.min),
            cpu,
            ratio(s.median, soft.median),
            ratio(s.median, p256.median),
        );
    }

    println!();
    println!("  the service's part (relying party, webauthn-rs), ms:");
    println!(
        "  {:<30} {:>9} {:>9} {:>9}   {:>9} {:>9} {:>9}   {:>14}",
        "", "options", "p95", "min", "verify", "p95", "min", "all three, med."
    );
    for (case, list) in samples {
        if *case == Case::P256 {
            continue;
        }
        let (Some(o), Some(v), Some(t)) = (
            stats(list.iter().map(|s| s.options)),
            stats(list.iter().map(|s| s.verify)),
            stats(list.iter().map(|s| s.options + s.wall + s.verify)),
        ) else {
            continue;
        };
        println!(
            "  {:<30} {:>9} {:>9} {:>9}   {:>9} {:>9} {:>9}   {:>14}",
            case.label(),
            ms(o.median),
            ms(o.p95),
            ms(o.min),
            ms(v.median),
            ms(v.p95),
            ms(v.min),
            ms(t.median)
        );
    }

    let median = |values: &mut dyn Iterator<Item = Duration>| {
        stats(values).map_or_else(|| "–".to_owned(), |s| ms(s.median))
    };
    let n = breakdown.ceremonies.len();
    if n > 0 {
        println!();
        println!(
            "  where the time goes, PIN set (CTAP 2.1), medians of {n} registrations with each request timed inside the key, ms:"
        );
        for (kind, count, totals) in &breakdown.requests {
            println!(
                "    {:<52} ×{:<3} {:>8}",
                request_name(*kind),
                count,
                median(&mut totals.iter().copied())
            );
        }
        let share = |part: &dyn Fn(&(Duration, Duration)) -> Duration| {
            let total: Duration = breakdown.ceremonies.iter().map(|c| c.0).sum();
            let part: Duration = breakdown.ceremonies.iter().map(part).sum();
            100.0 * ratio(part, total)
        };
        println!(
            "    {:<52}      {:>8}  ({:.0} % of the ceremony's total)",
            "inside the key, all requests",
            median(&mut breakdown.ceremonies.iter().map(|c| c.1)),
            share(&|c| c.1)
        );
        println!(
            "    {:<52}      {:>8}  ({:.0} %)",
            "client: the crate's CTAP/PIN code, the app's wrapper",
            median(&mut breakdown.ceremonies.iter().map(|c| c.0.saturating_sub(c.1))),
            share(&|c| c.0.saturating_sub(c.1))
        );
        println!(
            "    {:<52}      {:>8}",
            "the ceremony",
            median(&mut breakdown.ceremonies.iter().map(|c| c.0))
        );
    }

    let pin_set = wall(Case::PinSet)?;
    let met = pin_set.median <= AIM;
    println!();
    println!(
        "ctap: one registration (PIN set) median {} ms = {:.2}× baseline (SoftToken registration, {} ms) = {:.0}× one P-256 keygen+sign; p95 {} ms; aim ≤ {} ms: {}",
        ms(pin_set.median),
        ratio(pin_set.median, soft.median),
        ms(soft.median),
        ratio(pin_set.median, p256.median),
        ms(pin_set.p95),
        AIM.as_millis(),
        if met { "met" } else { "not met" }
    );
    Ok(())
}
