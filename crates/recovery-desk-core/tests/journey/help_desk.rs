//! The help desk's console (agent mode) as the agent commands call it, against the real
//! embedded demo service: hopper signs in with the demo agent key (PIN 1906), margaret with
//! her hardware token's passcode; an agent finds ada, verifies her with a code e-mailed to her
//! (read from the demo outbox), and issues her a bypass code that signs her in once.

use std::{sync::Arc, time::Duration};

use recovery_api::{help_desk::SentCodeChannel, Secret};
use recovery_desk_core::{
    embedded,
    help_desk::HelpDeskOptions,
    journey::{JourneyOptions, KeySource},
    security_key::{KeyError, KeyEvent, PinReply},
    view::AgentView,
    AppError, FlowError, HelpDesk, Journey,
};
use recovery_server::embedded::DemoService;
use tokio::sync::mpsc;
use zeroize::Zeroizing;

use crate::support::{code_of, ADA};

pub const HOPPER: (&str, &str) = ("hopper", "cobol-compiler-1959");
pub const MARGARET: (&str, &str) = ("margaret", "apollo-guidance-1969");
/// RFC 4226's first code for its test key (margaret's hardware token DEMO-000456).
const MARGARET_CODE: &str = "755224";
const KEY_PIN: &str = "1906";

struct Desk {
    help_desk: HelpDesk,
    /// The person's own journey on the same service (for the bypass code and the outbox).
    person: Journey,
    _service: DemoService,
}

async fn desk() -> Arc<Desk> {
    let (service, client) = embedded::start_demo(None).await.unwrap();
    Arc::new(Desk {
        help_desk: HelpDesk::new(
            client.clone(),
            HelpDeskOptions {
                demo: true,
                ..HelpDeskOptions::default()
            },
        ),
        person: Journey::new(
            client,
            JourneyOptions {
                demo: true,
                ..JourneyOptions::default()
            },
        ),
        _service: service,
    })
}

/// Runs `sign_in_with_key(Demo)` answering the PIN prompts with `pins` (then cancelling) and
/// touching the demo key when asked.
async fn with_demo_agent_key(
    desk: &Arc<Desk>,
    pins: &'static [&'static str],
) -> (Vec<KeyEvent>, Result<AgentView, FlowError>) {
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let running = Arc::clone(desk);
    let run = tokio::spawn(async move {
        running
            .help_desk
            .sign_in_with_key(KeySource::Demo, events_tx)
            .await
    });
    let mut seen = Vec::new();
    let mut pins = pins.iter();
    while let Some(event) = events.recv().await {
        match &event {
            KeyEvent::PinNeeded { .. } => match pins.next() {
                Some(pin) => desk
                    .help_desk
                    .answer_key_pin(PinReply::Pin(Zeroizing::new((*pin).into())))
                    .unwrap(),
                None => desk.help_desk.cancel_security_key(),
            },
            KeyEvent::TouchNeeded => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                assert!(desk.help_desk.touch_demo_key().unwrap());
            }
            _ => {}
        }
        seen.push(event);
    }
    (seen, run.await.unwrap())
}

async fn begin(desk: &Desk, agent: (&str, &str)) {
    desk.help_desk
        .begin_sign_in(agent.0, Secret::new(agent.1))
        .await
        .unwrap();
}

async fn margaret_signed_in(desk: &Desk) -> AgentView {
    begin(desk, MARGARET).await;
    desk.help_desk
        .sign_in_with_passcode(Secret::new(MARGARET_CODE))
        .await
        .unwrap()
}

/// The code of the newest e-mail in the demo outbox, as the caller reads it ("690 788").
async fn last_emailed_code(desk: &Desk) -> String {
    let messages = desk.person.demo_inbox().await.unwrap();
    let body = &messages
        .iter()
        .find(|m| m.channel.as_str() == "email")
        .expect("an e-mail")
        .body;
    body.lines()
        .filter_map(|line| line.rsplit_once(':').map(|(_, code)| code.trim()))
        .find(|code| code.chars().filter(char::is_ascii_digit).count() == 6)
        .unwrap_or_else(|| panic!("no code in {body:?}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hopper_signs_in_with_the_demo_agent_key_and_its_pin() {
    let desk = desk().await;
    begin(&desk, HOPPER).await;
    let (events, result) = with_demo_agent_key(&desk, &[KEY_PIN]).await;
    let agent = result.unwrap();
    assert_eq!(agent.username, "hopper");
    assert_eq!(agent.display_name, "Grace Hopper (help desk)");
    assert_eq!(serde_json::to_value(&agent).unwrap()["role"], "help_desk");
    assert_eq!(
        serde_json::to_value(&agent).unwrap()["method"],
        "security_key"
    );
    let permissions = serde_json::to_value(&agent.permissions).unwrap();
    assert!(permissions.as_array().unwrap().contains(&"look_up".into()));
    assert!(!permissions
        .as_array()
        .unwrap()
        .contains(&"unlock_daily".into()));
    assert!(agent.security_keys >= 1);
    assert!(agent.expires_at > time::OffsetDateTime::now_utc());
    assert_eq!(
        events
            .iter()
            .filter(|e| **e == KeyEvent::TouchNeeded)
            .count(),
        1
    );
    assert_eq!(desk.help_desk.agent().await, Some(agent));
    // The view carries nothing secret.
    let text = serde_json::to_string(&desk.help_desk.agent().await).unwrap();
    for secret in [HOPPER.1, KEY_PIN, "token"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_pin_is_refused_at_the_key_and_the_password_stays_for_another_try() {
    let desk = desk().await;
    begin(&desk, HOPPER).await;
    // Wrong, then the agent gives up at the next prompt.
    let (events, result) = with_demo_agent_key(&desk, &["0000"]).await;
    assert!(events.contains(&KeyEvent::PinWrong { retries_left: 7 }));
    assert!(matches!(
        result,
        Err(FlowError::SecurityKey(KeyError::Cancelled))
    ));
    assert_eq!(desk.help_desk.agent().await, None);
    // Nothing else waits for a PIN.
    let error = desk
        .help_desk
        .answer_key_pin(PinReply::Pin(Zeroizing::new(KEY_PIN.into())))
        .unwrap_err();
    assert_eq!(AppError::from(error).code, "key_cancelled");
    // The username and password are kept: the key again, with the right PIN.
    let (_, result) = with_demo_agent_key(&desk, &[KEY_PIN]).await;
    assert_eq!(result.unwrap().username, "hopper");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_with_the_right_key_is_verification_failed() {
    let desk = desk().await;
    begin(&desk, (HOPPER.0, "not-her-password")).await;
    let (_, result) = with_demo_agent_key(&desk, &[KEY_PIN]).await;
    assert_eq!(code_of(&result.unwrap_err()), "verification_failed");
    assert_eq!(desk.help_desk.agent().await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn margaret_signs_in_with_her_passcode_and_a_bypass_code_is_refused() {
    let desk = desk().await;
    begin(&desk, MARGARET).await;
    // A bypass code's 9 digits are never an agent's second factor; nothing is sent.
    let error = desk
        .help_desk
        .sign_in_with_passcode(Secret::new("123456789"))
        .await
        .unwrap_err();
    assert_eq!(
        AppError::from(&error),
        AppError {
            code: "invalid_input".into(),
            field: Some("passcode".into()),
            retry_at: None,
            attempts_left: None,
        }
    );
    let wrong = desk
        .help_desk
        .sign_in_with_passcode(Secret::new("000000"))
        .await
        .unwrap_err();
    assert_eq!(code_of(&wrong), "verification_failed");
    let agent = desk
        .help_desk
        .sign_in_with_passcode(Secret::new(MARGARET_CODE))
        .await
        .unwrap();
    assert_eq!(agent.display_name, "Margaret Hamilton");
    let value = serde_json::to_value(&agent).unwrap();
    assert_eq!(value["role"], "admin");
    assert_eq!(value["method"], "passcode");
    assert!(value["permissions"]
        .as_array()
        .unwrap()
        .contains(&"unlock_daily".into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_verifies_ada_by_an_emailed_code_and_her_bypass_code_works_once() {
    let desk = desk().await;
    margaret_signed_in(&desk).await;

    // Before anyone is looked up, and before the caller is verified, nothing is sent.
    let error = desk
        .help_desk
        .send_caller_code(SentCodeChannel::Email)
        .await
        .unwrap_err();
    assert_eq!(code_of(&error), "no_person");
    let record = desk.help_desk.find_person(" Ada ").await.unwrap();
    assert_eq!(record.username, "ada");
    assert_eq!(record.display_name, "Ada Lovelace");
    assert!(!record.is_agent);
    assert!(!record.own_account);
    assert!(!record.devices.is_empty());
    let error = desk
        .help_desk
        .issue_bypass_code("ticket 4711", None)
        .await
        .unwrap_err();
    assert_eq!(code_of(&error), "caller_not_verified");

    let pending = desk
        .help_desk
        .send_caller_code(SentCodeChannel::Email)
        .await
        .unwrap();
    let pending_json = serde_json::to_value(&pending).unwrap();
    assert_eq!(pending_json["status"], "pending");
    assert_eq!(pending_json["method"], "sent_code");
    assert!(!pending.sent_to.is_empty());
    assert!(pending.sent_to.iter().all(|to| to.contains('•')), "masked");
    let code = last_emailed_code(&desk).await;

    // A bad code is refused here; a wrong one by the service, with the tries left.
    let error = desk
        .help_desk
        .check_caller_code(Secret::new("12a456"))
        .await
        .unwrap_err();
    assert_eq!(AppError::from(&error).field.as_deref(), Some("code"));
    let wrong = if code == "000 000" {
        "111111"
    } else {
        "000000"
    };
    let error = desk
        .help_desk
        .check_caller_code(Secret::new(wrong))
        .await
        .unwrap_err();
    let error = AppError::from(&error);
    assert_eq!(error.code, "code_incorrect");
    assert_eq!(error.attempts_left, Some(2));
    // Typed as read out, with its space.
    let verified = desk
        .help_desk
        .check_caller_code(Secret::new(code.clone()))
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&verified).unwrap()["status"],
        "verified"
    );

    // A reason is needed.
    for bad in ["", "   ", "two\nlines", &"x".repeat(201)] {
        let error = desk
            .help_desk
            .issue_bypass_code(bad, None)
            .await
            .unwrap_err();
        assert_eq!(
            AppError::from(&error).field.as_deref(),
            Some("reason"),
            "{bad:?}"
        );
    }
    let issued = desk
        .help_desk
        .issue_bypass_code("ticket 4711: lost phone", None)
        .await
        .unwrap();
    assert_eq!(issued.code.len(), 9);
    assert!(issued.expires_at > time::OffsetDateTime::now_utc());
    let bypass = issued.code.clone();

    // Ada signs in with it once; the second time it is spent.
    desk.person
        .begin_sign_in(ADA.0, Secret::new(ADA.1))
        .await
        .unwrap();
    let session = desk
        .person
        .verify_passcode(Secret::new(bypass.clone()))
        .await
        .unwrap();
    assert_eq!(session.display_name, "Ada Lovelace");
    desk.person.finish().await;
    desk.person
        .begin_sign_in(ADA.0, Secret::new(ADA.1))
        .await
        .unwrap();
    let again = desk
        .person
        .verify_passcode(Secret::new(bypass))
        .await
        .unwrap_err();
    assert_eq!(code_of(&again), "verification_failed");

    // Ending the call forgets ada and her verification; the agent stays.
    desk.help_desk.end_call().await;
    let error = desk
        .help_desk
        .issue_bypass_code("ticket 4711", None)
        .await
        .unwrap_err();
    assert_eq!(code_of(&error), "no_person");
    assert!(desk.help_desk.agent().await.is_some());
    // Looking her up again starts a new call: the old verification does not come back.
    desk.help_desk.find_person("ada").await.unwrap();
    let error = desk
        .help_desk
        .issue_bypass_code("ticket 4711", None)
        .await
        .unwrap_err();
    assert_eq!(code_of(&error), "caller_not_verified");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_out_agents_and_unknown_people_get_clear_refusals() {
    let desk = desk().await;
    let error = desk.help_desk.find_person("ada").await.unwrap_err();
    assert_eq!(code_of(&error), "not_signed_in");
    let error = desk
        .help_desk
        .sign_in_with_passcode(Secret::new(MARGARET_CODE))
        .await
        .unwrap_err();
    assert_eq!(code_of(&error), "not_signed_in");
    for bad in ["", "ada lovelace"] {
        let error = desk
            .help_desk
            .begin_sign_in(bad, Secret::new("x"))
            .await
            .unwrap_err();
        assert_eq!(AppError::from(&error).field.as_deref(), Some("username"));
    }

    margaret_signed_in(&desk).await;
    let error = desk.help_desk.find_person("nobody").await.unwrap_err();
    assert_eq!(code_of(&error), "not_found");
    let error = desk.help_desk.find_person("two words").await.unwrap_err();
    assert_eq!(AppError::from(&error).field.as_deref(), Some("username"));

    desk.help_desk.sign_out().await;
    assert_eq!(desk.help_desk.agent().await, None);
    let error = desk.help_desk.find_person("ada").await.unwrap_err();
    assert_eq!(code_of(&error), "not_signed_in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_date_of_birth_check_allows_unlock_pin_clear_and_removal_but_no_bypass_code() {
    use recovery_api::phone::RemovalReason;

    let desk = desk().await;
    margaret_signed_in(&desk).await;
    let record = desk.help_desk.find_person("ada").await.unwrap();
    assert!(record.recovery_pin_set);
    let devices = record.devices.len();

    // Bad inputs are refused in Rust and send nothing.
    let error = desk
        .help_desk
        .verify_caller_pin("1985-02-30", Secret::new(ADA.3))
        .await
        .unwrap_err();
    assert_eq!(
        AppError::from(&error).field.as_deref(),
        Some("date_of_birth")
    );
    let checked = desk
        .help_desk
        .verify_caller_pin(ADA.2, Secret::new(ADA.3))
        .await
        .unwrap();
    let checked = serde_json::to_value(&checked).unwrap();
    assert_eq!(checked["status"], "verified");
    assert_eq!(checked["method"], "date_of_birth_and_pin");
    assert_eq!(checked["sentTo"], serde_json::json!([]));

    let error = desk
        .help_desk
        .issue_bypass_code("ticket 4712", None)
        .await
        .unwrap_err();
    assert_eq!(code_of(&error), "caller_verification_too_weak");

    let unlocked = desk.help_desk.unlock("ticket 4712").await.unwrap();
    assert_eq!(serde_json::to_value(unlocked).unwrap()["lifted"], "none");

    let cleared = desk
        .help_desk
        .clear_recovery_pin("forgotten, ticket 4712")
        .await
        .unwrap();
    assert!(cleared.cleared);
    let again = desk
        .help_desk
        .clear_recovery_pin("forgotten, ticket 4712")
        .await
        .unwrap();
    assert!(!again.cleared, "there was no PIN left to clear");

    let device = record.devices[0].id.clone();
    let error = desk
        .help_desk
        .remove_device("", RemovalReason::Lost, "lost phone")
        .await
        .unwrap_err();
    assert_eq!(AppError::from(&error).field.as_deref(), Some("device_id"));
    desk.help_desk
        .remove_device(&device, RemovalReason::Lost, "lost phone")
        .await
        .unwrap();
    // The same person looked up again: a fresh record, and the caller check stays.
    let record = desk.help_desk.find_person("ada").await.unwrap();
    assert_eq!(record.devices.len(), devices - 1);
    assert!(!record.recovery_pin_set);
    let error = desk
        .help_desk
        .remove_device(&device, RemovalReason::Lost, "lost phone")
        .await
        .unwrap_err();
    assert_eq!(code_of(&error), "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hopper_may_not_act_on_her_own_account() {
    let desk = desk().await;
    begin(&desk, HOPPER).await;
    let (_, result) = with_demo_agent_key(&desk, &[KEY_PIN]).await;
    result.unwrap();
    let record = desk.help_desk.find_person("hopper").await.unwrap();
    assert!(record.own_account);
    assert!(record.is_agent);
    let error = desk
        .help_desk
        .send_caller_code(SentCodeChannel::Email)
        .await
        .unwrap_err();
    assert_eq!(code_of(&error), "own_account");
}
