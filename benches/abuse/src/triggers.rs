//! Measurement 4, what one session can trigger: the e-mails, texts and calls that one sign-in
//! buys, as fast as one client can ask for them.

use std::{
    collections::{BTreeMap, HashMap},
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};
use serde_json::{json, Value as Json};

use crate::{
    api::{ada, Api, SignIn},
    report::Figure,
    server::{Binary, Mode, Workspace},
};

pub const TITLE: &str = "4. What one session can trigger";
pub const METHOD: &str = "\
`serve --demo` as shipped. ada signs in once; then for --triggers-seconds, one request at a time,
in turn: add a third-party landline (a new +1 201 555 01xx number each time; a call each), add the
same third-party landline again (+1 201 555 0199: the call again), text an activation link to ada's
phone, issue a bypass code (each change e-mails a notice). Only one landline may wait for its code,
so each added one is removed at once (DELETE …?reason=replaced, itself e-mailing a notice) before
the next add: the requests count the adds, not the removals. Every non-2xx answer counts as refused.
E-mails, texts and calls counted from GET /v1/demo/outbox (what was produced during the run).";

/// ada's own phone in the demo directory: calls anywhere else went to a third party.
const ADA_PHONE: &str = "+12015550123";
const SAME_LANDLINE: &str = "+1 201 555 0199";

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Action {
    NewLandline,
    SameLandlineAgain,
    ActivationText,
    BypassCode,
}

const ACTIONS: [Action; 4] = [
    Action::NewLandline,
    Action::SameLandlineAgain,
    Action::ActivationText,
    Action::BypassCode,
];

impl Action {
    fn label(self) -> &'static str {
        match self {
            Self::NewLandline => "add a third-party landline",
            Self::SameLandlineAgain => "add the same landline again (call again)",
            Self::ActivationText => "text an activation link",
            Self::BypassCode => "issue a bypass code",
        }
    }
}

pub struct Options {
    pub duration: Duration,
}

pub async fn measure(binary: &Binary, options: &Options) -> Result<Vec<Figure>> {
    let workspace = Workspace::new(binary, "triggers")?;
    let server = workspace.start(Mode::Demo, &[]).await?;
    let api = server.api()?;
    let SignIn::Opened(token) = api.sign_in(&ada()).await?.0 else {
        bail!("ada could not sign in");
    };
    let phone = mobile_phone(&api, &token).await?;
    let before = outbox(&api).await?.len();

    // (accepted, refused) per action, and the refusals' statuses.
    let mut answers: HashMap<Action, (usize, usize)> = HashMap::new();
    let mut refusals: BTreeMap<(&str, u16, String), usize> = BTreeMap::new();
    let started = Instant::now();
    let mut sent = 0usize;
    let mut removal_refused = 0usize;
    while started.elapsed() < options.duration {
        let action = ACTIONS[sent % ACTIONS.len()];
        let answer = match action {
            Action::NewLandline | Action::SameLandlineAgain => {
                let number = match action {
                    Action::NewLandline => third_party_landline(sent / ACTIONS.len()),
                    _ => SAME_LANDLINE.to_owned(),
                };
                let body = json!({ "number": number, "type": "landline" });
                let added = api.post("/v1/me/phones", Some(&token), Some(body)).await?;
                // One landline may wait for its code at a time: drop it, so that the next add
                // places the next call (as the app's "cancel" and "try again" do).
                if let Some(id) = added.body["id"].as_str().filter(|_| added.is_success()) {
                    let path = format!("/v1/me/authenticators/{id}?reason=replaced");
                    let removed = api.delete(&path, &token).await?;
                    if !removed.is_success() {
                        removal_refused += 1;
                    }
                }
                added
            }
            Action::ActivationText => {
                let path = format!("/v1/me/phones/{phone}/activation/sms");
                api.post(&path, Some(&token), None).await?
            }
            Action::BypassCode => api.post("/v1/me/bypass-codes", Some(&token), None).await?,
        };
        let entry = answers.entry(action).or_default();
        if answer.is_success() {
            entry.0 += 1;
        } else {
            entry.1 += 1;
            let code = answer.body["code"].as_str().unwrap_or_default().to_owned();
            *refusals
                .entry((action.label(), answer.status, code))
                .or_default() += 1;
        }
        sent += 1;
    }
    let elapsed = started.elapsed();
    for ((action, status, code), count) in &refusals {
        eprintln!("  {action}: {count} × {status} {code}");
    }
    let messages = outbox(&api).await?;
    server.kill().await?;

    let produced = &messages[before.min(messages.len())..];
    let channel = |name: &str| {
        produced
            .iter()
            .filter(|m| m["channel"].as_str() == Some(name))
            .count()
    };
    let third_party_calls = produced
        .iter()
        .filter(|m| m["channel"].as_str() == Some("voice") && m["to"].as_str() != Some(ADA_PHONE))
        .count();

    let mut figures = vec![
        Figure::count("requests (one session, one client)", sent),
        Figure::exact("  over seconds", elapsed.as_secs_f64(), 1),
    ];
    for action in ACTIONS {
        let (accepted, refused) = answers.get(&action).copied().unwrap_or_default();
        figures.push(Figure::count(
            format!("{}: accepted", action.label()),
            accepted,
        ));
        figures.push(Figure::count(
            format!("{}: refused", action.label()),
            refused,
        ));
    }
    figures.push(Figure::count(
        "  (removing the pending landline: refused)",
        removal_refused,
    ));
    figures.push(Figure::count("e-mails produced", channel("email")));
    figures.push(Figure::count("texts produced", channel("sms")));
    figures.push(Figure::count("calls produced", channel("voice")));
    figures.push(Figure::count(
        "  of which to third-party numbers",
        third_party_calls,
    ));
    Ok(figures)
}

/// +1 201 555 0100 … 0198, never ada's own number.
fn third_party_landline(index: usize) -> String {
    let last = 100 + index % 99;
    let last = if format!("+1201555{last:04}") == ADA_PHONE {
        199
    } else {
        last
    };
    format!("+1 201 555 {last:04}")
}

/// The id of ada's mobile phone (the activation text goes to it).
async fn mobile_phone(api: &Api, token: &str) -> Result<String> {
    let answer = api.get("/v1/me/authenticators", Some(token)).await?;
    let list = answer
        .body
        .get("authenticators")
        .unwrap_or(&answer.body)
        .as_array()
        .context("GET /v1/me/authenticators gave no list")?;
    list.iter()
        .find(|a| a["phone"]["phone_type"].as_str() == Some("mobile"))
        .and_then(|a| a["id"].as_str())
        .map(str::to_owned)
        .context("ada has no mobile phone")
}

/// Every message in the demo outbox, oldest first.
async fn outbox(api: &Api) -> Result<Vec<Json>> {
    let answer = api.get("/v1/demo/outbox", None).await?;
    answer
        .body
        .get("messages")
        .and_then(Json::as_array)
        .cloned()
        .context("GET /v1/demo/outbox gave no messages list")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn third_party_numbers_never_ada() {
        for index in 0..500 {
            let number: String = third_party_landline(index)
                .chars()
                .filter(|c| *c == '+' || c.is_ascii_digit())
                .collect();
            assert_ne!(number, ADA_PHONE);
        }
    }
}
