//! Measurement 2, throttle recovery after a crash: how long the right person stays refused
//! after the service died with their checks in flight.

use std::time::{Duration, Instant};

use anyhow::Result;
use tokio::task::JoinSet;

use crate::{
    api::{ada, Credentials, SignIn},
    report::{Figure, Value},
    server::{Binary, Mode, Workspace},
};

pub const TITLE: &str = "2. Throttle recovery after a crash";
pub const METHOD: &str = "\
`serve` on a SQLite file holding ada (imported with argon2 iterations = --crash-hash-iterations, so
that her checks are still hashing at the kill), per-client limit raised
(RECOVERY_THROTTLE__CLIENT_FAILURES=1000000), per-username limits as shipped. --crash-in-flight
sign-ins for ada (right password, wrong PIN) at once, SIGKILL --crash-kill-after-ms later, restart
on the same database, then ada's right credentials once a second until she signs in, at most
--crash-limit-seconds (counted from the kill).";

pub struct Options {
    pub in_flight: usize,
    pub kill_after: Duration,
    pub hash_iterations: u32,
    pub limit: Duration,
}

pub async fn measure(binary: &Binary, options: &Options) -> Result<Vec<Figure>> {
    let workspace = Workspace::new(binary, "crash")?;
    let person = ada();
    let import_cost = [(
        "RECOVERY_PASSWORD_HASH__ITERATIONS",
        options.hash_iterations.to_string(),
    )];
    workspace
        .import(std::slice::from_ref(&person), &import_cost)
        .await?;
    let env = [("RECOVERY_THROTTLE__CLIENT_FAILURES", "1000000".to_owned())];
    let server = workspace.start(Mode::Service, &env).await?;

    let api = server.api()?;
    let mut checks = JoinSet::new();
    for _ in 0..options.in_flight {
        let (api, wrong_pin) = (
            api.clone(),
            Credentials {
                pin: "000000".to_owned(),
                ..person.clone()
            },
        );
        checks.spawn(async move { api.sign_in(&wrong_pin).await });
    }
    tokio::time::sleep(options.kill_after).await;
    // Answers that came before the kill; the rest were cut off by it.
    let mut answered = 0;
    while let Some(done) = checks.try_join_next() {
        if matches!(done, Ok(Ok(_))) {
            answered += 1;
        }
    }
    server.kill().await?;
    let killed = Instant::now();
    checks.abort_all();
    eprintln!(
        "  killed with {} of {} checks unanswered; restarting",
        options.in_flight - answered,
        options.in_flight
    );

    let server = workspace.start(Mode::Service, &env).await?;
    let restarted = killed.elapsed();
    let api = server.api()?;
    let mut refused = 0;
    let back = loop {
        let tried = Instant::now();
        match api.sign_in(&person).await?.0 {
            SignIn::Opened(_) => break Some(killed.elapsed()),
            SignIn::Failed | SignIn::Refused(_) => refused += 1,
        }
        if killed.elapsed() >= options.limit {
            break None;
        }
        tokio::time::sleep(Duration::from_secs(1).saturating_sub(tried.elapsed())).await;
    };
    server.kill().await?;

    Ok(vec![
        Figure::count(
            "checks unanswered at the kill",
            options.in_flight - answered,
        ),
        Figure::exact(
            "seconds from the kill to the restarted server",
            restarted.as_secs_f64(),
            1,
        ),
        Figure::new(
            "seconds from the kill until ada signs in again",
            back.map_or(Value::AtLeast(options.limit.as_secs_f64()), |d| {
                Value::Exact(d.as_secs_f64())
            }),
            1,
        ),
        Figure::count("  her right credentials refused meanwhile", refused),
    ])
}
