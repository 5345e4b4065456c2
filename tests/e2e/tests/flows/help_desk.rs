//! The help-desk console (`--help-desk`): an agent signs in with the demo security key,
//! verifies the caller with a code the service sends to the caller's e-mail (read back from the
//! demo inbox), and issues a bypass code that the person then uses exactly once.

use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use recovery_desk_e2e::{digits, Desk, Launch};
use serde_json::json;

use super::{ADA, TEST_TIME};

const HOPPER: (&str, &str) = ("hopper", "cobol-compiler-1959");
const HOPPER_KEY_PIN: &str = "1906";

/// AgentSignIn → the demo key (its PIN, a touch) → FindPerson.
async fn hopper_signs_in_with_the_demo_key(d: &Desk) -> Result<()> {
    d.screen("agent-sign-in").await?;
    d.type_into("agent-username", HOPPER.0).await?;
    d.type_into("agent-password", HOPPER.1).await?;
    d.click("agent-sign-in-submit").await?;
    d.click("agent-key-demo").await?;
    d.el("key-pin").await?;
    d.screen("agent-key-pin").await?;
    d.type_into("key-pin", HOPPER_KEY_PIN).await?;
    d.click("key-pin-submit").await?;
    d.el("key-demo-touch").await?;
    d.screen("agent-key-touch").await?;
    d.click("key-demo-touch").await?;
    d.el("find-username").await?;
    let agent = d.text("agent-name").await?;
    ensure!(agent.contains("hopper"), "the agent bar reads {agent:?}");
    d.screen("find-person").await
}

/// The newest text in the demo inbox after `marker`, up to the end of its line.
async fn from_inbox(d: &Desk, marker: &str) -> Result<String> {
    d.click("demo-inbox-toggle").await?;
    d.el("demo-inbox").await?;
    let start = Instant::now();
    let found = loop {
        let text = d.text("demo-inbox").await?;
        if let Some(at) = text.rfind(marker) {
            let rest = &text[at + marker.len()..];
            break rest.lines().next().unwrap_or_default().trim().to_owned();
        }
        if start.elapsed() > recovery_desk_e2e::WAIT {
            bail!("nothing with {marker:?} in the demo inbox: {text:?}");
        }
        d.click("demo-inbox-refresh").await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    d.click("demo-inbox-toggle").await?;
    Ok(found)
}

/// Signs in as the person over the API with a passcode; the HTTP status.
async fn person_signs_in_with(d: &Desk, passcode: &str) -> Result<u16> {
    let url = format!("{}/v1/recovery/sessions", d.service_url()?);
    let answer = reqwest::Client::new()
        .post(url)
        .json(&json!({ "username": ADA.0, "password": ADA.1, "passcode": passcode }))
        .send()
        .await
        .context("the demo service did not answer")?;
    Ok(answer.status().as_u16())
}

// 14. The help desk: the agent's key, the caller's code, a bypass code used exactly once, and
// a security-key link sent to the person (never shown to the agent).
e2e!(
    help_desk_verifies_the_caller_and_issues_a_code,
    Launch {
        help_desk: true,
        ..Launch::default()
    },
    help_desk_code
);
async fn help_desk_code(d: &mut Desk) -> Result<()> {
    hopper_signs_in_with_the_demo_key(d).await?;

    d.type_into("find-username", ADA.0).await?;
    d.click("find-submit").await?;
    d.el("person-devices").await?;
    let status = d.text("caller-status").await?;
    ensure!(!status.is_empty(), "no caller check status shown");
    // Nothing can be done before the caller is verified.
    d.el("hd-action-issue-code-why").await?;
    d.screen("person-record").await?;

    d.click("verify-caller").await?;
    d.el("caller-method-code").await?;
    d.screen("verify-caller").await?;
    d.click("caller-method-code").await?;
    d.click("caller-send-email").await?;
    let sent_to = d.text("caller-sent-to").await?;
    ensure!(
        sent_to.contains('•') && !sent_to.contains("ada@"),
        "the address is not masked: {sent_to:?}"
    );
    d.screen("caller-code-sent").await?;
    let code = digits(&from_inbox(d, "Read this code to the agent:").await?);
    ensure!(code.len() == 6, "the sent code reads {code:?}");
    d.type_into("caller-code", &code).await?;
    d.click("caller-code-submit").await?;
    d.text_when("caller-status", |t| !t.is_empty()).await?;
    d.el("hd-action-issue-code").await?;
    d.screen("caller-verified").await?;

    d.click("hd-action-issue-code").await?;
    d.el("hd-reason").await?;
    d.screen("issue-code").await?;
    // A reason is required: nothing is issued without one.
    d.click("hd-issue-submit").await?;
    d.el("hd-reason-error").await?;
    d.type_into("hd-reason", "Lost phone, ticket 4711").await?;
    d.click("hd-issue-submit").await?;
    let shown = d
        .text_when("hd-bypass-code", recovery_desk_e2e::is_grouped_code)
        .await?;
    d.screen("help-desk-code").await?;
    let bypass = digits(&shown);
    ensure!(bypass.len() == 9, "the code reads {shown:?}");

    // The person uses it once; a second time it is refused.
    ensure!(
        person_signs_in_with(d, &bypass).await? == 201,
        "the help-desk code did not sign the person in"
    );
    let again = person_signs_in_with(d, &bypass).await?;
    ensure!(
        again == 401,
        "the code worked twice (second answer {again})"
    );

    // A security-key link goes to the person's e-mail; the agent sees only where it went.
    d.click("hd-back-to-record").await?;
    d.click("hd-action-send-key-link").await?;
    d.el("hd-reason").await?;
    d.screen("send-key-link").await?;
    d.type_into("hd-reason", "New key, ticket 4711").await?;
    d.click("hd-key-link-submit").await?;
    let notice = d.text_when("notice", |t| !t.is_empty()).await?;
    d.screen("key-link-sent").await?;
    let page = d.client.source().await?;
    ensure!(
        !page.contains("/v1/enrolments/"),
        "the enrolment link reached the agent's screen ({notice:?})"
    );
    let link = from_inbox(d, "http").await?;
    let link = format!("http{}", link.split_whitespace().next().unwrap_or_default());
    ensure!(
        link.contains("/v1/enrolments/"),
        "the e-mail's link is {link:?}"
    );
    let page = reqwest::get(&link).await?;
    ensure!(
        page.status().as_u16() == 200,
        "the enrolment page answered {}",
        page.status()
    );

    d.click("sign-out").await?;
    d.el("agent-username").await?;
    Ok(())
}
