//! Measurement 3, enumeration by timing with mixed hash costs: does the answer time tell an
//! unknown username, a wrong password and a wrong PIN apart after the operator raised the
//! hash cost?

use std::time::Duration;

use anyhow::{bail, Result};

use crate::{
    api::{Credentials, SignIn},
    report::{Figure, Value},
    server::{Binary, Mode, Workspace},
};

pub const TITLE: &str = "3. Enumeration by timing with mixed hash costs";
pub const METHOD: &str = "\
4 people imported with the shipped argon2 cost, then `serve` on that database with
RECOVERY_PASSWORD_HASH__MEMORY_KIB=--timing-memory-kib and every throttle limit raised so that no
attempt is refused (RECOVERY_THROTTLE__CONSECUTIVE_FAILURES, __DAILY_FAILURES and __CLIENT_FAILURES
= 1000000). One client, one request at a time, the three cases interleaved (order rotating each
round), 3 warm-up rounds discarded, --timing-samples rounds measured; latency = the whole HTTP
round trip of POST /v1/recovery/sessions; only 401 answers are counted. The milliseconds follow the
machine's load (the two binaries run one after the other): compare each binary's ratios to its own
unknown-user p50.";

const PEOPLE: usize = 4;
const WARM_UP_ROUNDS: usize = 3;
const RAISED: &str = "1000000";

pub struct Options {
    pub samples: usize,
    pub memory_kib: u32,
}

#[derive(Clone, Copy)]
enum Case {
    UnknownUser,
    WrongPassword,
    WrongPin,
}

const CASES: [Case; 3] = [Case::UnknownUser, Case::WrongPassword, Case::WrongPin];

impl Case {
    fn label(self) -> &'static str {
        match self {
            Self::UnknownUser => "unknown user",
            Self::WrongPassword => "known user, wrong password",
            Self::WrongPin => "right password, wrong PIN",
        }
    }

    fn credentials(self, people: &[Credentials], round: usize) -> Credentials {
        let person = &people[round % people.len()];
        match self {
            Self::UnknownUser => Credentials {
                username: format!("nobody-{}", round % PEOPLE),
                password: "not-the-password".to_owned(),
                ..person.clone()
            },
            Self::WrongPassword => Credentials {
                password: "not-the-password".to_owned(),
                ..person.clone()
            },
            Self::WrongPin => Credentials {
                pin: "000000".to_owned(),
                ..person.clone()
            },
        }
    }
}

pub async fn measure(binary: &Binary, options: &Options) -> Result<Vec<Figure>> {
    let workspace = Workspace::new(binary, "enumeration")?;
    let people: Vec<Credentials> = (0..PEOPLE)
        .map(|i| Credentials {
            username: format!("timing-{i}"),
            password: format!("a-long-password-{i}"),
            date_of_birth: format!("1980-01-{:02}", i + 1),
            pin: format!("24681{i}"),
        })
        .collect();
    // Imported with the shipped cost (nothing configured).
    workspace.import(&people, &[]).await?;
    let env = [
        (
            "RECOVERY_PASSWORD_HASH__MEMORY_KIB",
            options.memory_kib.to_string(),
        ),
        ("RECOVERY_THROTTLE__CONSECUTIVE_FAILURES", RAISED.to_owned()),
        ("RECOVERY_THROTTLE__DAILY_FAILURES", RAISED.to_owned()),
        ("RECOVERY_THROTTLE__CLIENT_FAILURES", RAISED.to_owned()),
    ];
    let server = workspace.start(Mode::Service, &env).await?;
    let api = server.api()?;

    let mut times: [Vec<Duration>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    let mut refused = 0;
    for round in 0..WARM_UP_ROUNDS + options.samples {
        for offset in 0..CASES.len() {
            let index = (round + offset) % CASES.len();
            let credentials = CASES[index].credentials(&people, round);
            let (outcome, elapsed) = api.sign_in(&credentials).await?;
            match outcome {
                SignIn::Failed if round >= WARM_UP_ROUNDS => times[index].push(elapsed),
                SignIn::Failed => {}
                SignIn::Refused(_) => refused += 1,
                SignIn::Opened(_) => bail!("a wrong sign-in opened a session"),
            }
        }
    }
    server.kill().await?;

    let unknown = percentile(&times[0], 50);
    let mut figures = Vec::new();
    for (case, times) in CASES.iter().zip(&times) {
        let p50 = percentile(times, 50);
        let p90 = percentile(times, 90);
        figures.push(Figure::new(
            format!("{}: p50, ms", case.label()),
            ms(p50),
            1,
        ));
        figures.push(Figure::new(
            format!("{}: p90, ms", case.label()),
            ms(p90),
            1,
        ));
        if !matches!(case, Case::UnknownUser) {
            let ratio = match (p50, unknown) {
                (Some(p50), Some(unknown)) if !unknown.is_zero() => {
                    Value::Exact(p50.as_secs_f64() / unknown.as_secs_f64())
                }
                _ => Value::Missing("no answers"),
            };
            figures.push(Figure::new(
                format!("{}: p50 / unknown-user p50", case.label()),
                ratio,
                2,
            ));
        }
    }
    figures.push(Figure::count("attempts refused (not counted)", refused));
    Ok(figures)
}

fn ms(duration: Option<Duration>) -> Value {
    duration.map_or(Value::Missing("no answers"), |d| {
        Value::Exact(d.as_secs_f64() * 1000.0)
    })
}

/// Nearest-rank percentile.
fn percentile(times: &[Duration], percent: usize) -> Option<Duration> {
    let mut sorted = times.to_vec();
    sorted.sort();
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let times: Vec<Duration> = (1..=10).map(Duration::from_millis).collect();
        assert_eq!(percentile(&times, 50), Some(Duration::from_millis(5)));
        assert_eq!(percentile(&times, 90), Some(Duration::from_millis(9)));
        assert_eq!(percentile(&[], 50), None);
    }
}
