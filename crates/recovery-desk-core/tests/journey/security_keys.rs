//! Registering a security key through the journey: the real embedded service's options, the
//! real security-key module, and a virtual CTAP2 key (`virtual-ctap`) driven through
//! webauthn-authenticator-rs' own CTAP code.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use recovery_desk_core::{
    embedded::DemoService,
    journey::JourneyOptions,
    security_key::{CancellationToken, KeyError, KeyEvent, PinReply, PinRule, PinState, Settings},
    service_client::ServiceClient,
    view::DeviceView,
    AppError, FlowError, Journey,
};
use recovery_server::{
    config::Config as ServiceConfig,
    security_key::{RelyingParty, SecurityKeyPolicy, StoredKey},
};
use sqlx::Row;
use tokio::sync::mpsc;
use url::Url;
use virtual_ctap::{Config, Presence, RequestKind, VirtualAuthenticator, YUBIKEY_5_NFC_AAGUID};
use webauthn_authenticator_rs::{
    ctap2::CtapAuthenticator,
    types::{CableRequestType, CableState, EnrollSampleStatus},
    ui::UiCallback,
    WebauthnAuthenticator,
};
use zeroize::Zeroizing;

use crate::support::{demo, Demo, ADA};

const PIN: &str = "135790";
const WRONG: &str = "000000";

// ---- harness ------------------------------------------------------------------------------

/// The person's scripted answers to PIN prompts (set-up prompts get `NewPin`).
#[derive(Debug, Clone, Copy)]
enum Answer {
    Pin(&'static str),
    Cancel,
}

/// What the person does besides answering PINs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Then {
    Nothing,
    CancelAtTouch,
    CancelAtPin,
}

struct Outcome {
    events: Vec<KeyEvent>,
    result: Result<DeviceView, FlowError>,
    /// From the cancel (when the script cancelled) or the start to the result.
    latency: Duration,
}

impl Outcome {
    fn error(&self) -> KeyError {
        match &self.result {
            Err(FlowError::SecurityKey(error)) => *error,
            other => panic!("expected a key error, got {other:?}"),
        }
    }
    fn count(&self, wanted: &KeyEvent) -> usize {
        self.events.iter().filter(|e| *e == wanted).count()
    }
    fn pin_prompts(&self) -> usize {
        self.events
            .iter()
            .filter(|e| matches!(e, KeyEvent::PinNeeded { .. }))
            .count()
    }
}

fn fast(config: Config) -> Config {
    Config {
        keepalive_interval: Duration::from_millis(10),
        ..config
    }
}

async fn register(
    demo: &Demo,
    key: &VirtualAuthenticator,
    name: Option<&str>,
    answers: &[Answer],
    then: Then,
    settings: Settings,
) -> Outcome {
    let (events_tx, mut events_rx) = mpsc::unbounded_channel();
    let (pins_tx, pins_rx) = mpsc::channel(4);
    let cancel = CancellationToken::new();
    let ceremony = demo.journey.register_security_key_with(
        key.clone(),
        name.map(str::to_owned),
        events_tx,
        pins_rx,
        cancel.clone(),
        settings,
    );
    tokio::pin!(ceremony);
    let mut answers = answers.iter().copied();
    let mut events = Vec::new();
    let mut started = Instant::now();
    let result = loop {
        tokio::select! {
            result = &mut ceremony => break result,
            Some(event) = events_rx.recv() => {
                let reply = match &event {
                    KeyEvent::TouchNeeded if then == Then::CancelAtTouch => {
                        started = Instant::now();
                        cancel.cancel();
                        None
                    }
                    KeyEvent::PinNeeded { .. } if then == Then::CancelAtPin => {
                        started = Instant::now();
                        cancel.cancel();
                        None
                    }
                    KeyEvent::PinNeeded { .. } => Some(match answers.next() {
                        Some(Answer::Pin(pin)) => PinReply::Pin(Zeroizing::new(pin.to_owned())),
                        _ => PinReply::Cancel,
                    }),
                    KeyEvent::PinSetupNeeded { .. } | KeyEvent::PinSetupRejected { .. } => {
                        Some(match answers.next() {
                            Some(Answer::Pin(pin)) => {
                                PinReply::NewPin(Zeroizing::new(pin.to_owned()))
                            }
                            _ => PinReply::Cancel,
                        })
                    }
                    _ => None,
                };
                if let Some(reply) = reply {
                    pins_tx.send(reply).await.unwrap();
                }
                events.push(event);
            }
        }
    };
    let latency = started.elapsed();
    while let Ok(event) = events_rx.try_recv() {
        events.push(event);
    }
    Outcome {
        events,
        result,
        latency,
    }
}

async fn signed_in() -> Demo {
    let demo = demo().await;
    demo.sign_in(ADA).await;
    demo
}

/// A demo service with its own configuration (the model allow-list).
async fn signed_in_with(config: ServiceConfig) -> Demo {
    let config = ServiceConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        ..config
    };
    let service = DemoService::start_in(config, None).await.unwrap();
    let client = ServiceClient::new(Url::parse(&service.url()).unwrap(), None).unwrap();
    let demo = Demo {
        journey: Journey::new(
            client,
            JourneyOptions {
                demo: true,
                copy_allowed: true,
                ..JourneyOptions::default()
            },
        ),
        service,
    };
    demo.sign_in(ADA).await;
    demo
}

async fn security_keys(demo: &Demo) -> Vec<DeviceView> {
    demo.journey
        .devices()
        .await
        .unwrap()
        .into_iter()
        .filter(|d| serde_json::to_value(d.kind).unwrap() == "security_key")
        .collect()
}

fn token_requests(key: &VirtualAuthenticator) -> Vec<RequestKind> {
    key.requests()
        .into_iter()
        .map(|e| e.kind)
        .filter(|k| k.is_token_request())
        .collect()
}

fn set(retries: u32) -> PinState {
    PinState::Set {
        retries_left: Some(retries),
        blocked_until_reinserted: false,
    }
}

/// A UI for the crate that answers every PIN prompt with `PIN` (for authenticating).
#[derive(Debug, Default)]
struct AnswersPin(Mutex<u32>);

impl UiCallback for AnswersPin {
    fn request_pin(&self) -> Option<String> {
        *self.0.lock().unwrap() += 1;
        Some(PIN.to_owned())
    }
    fn request_touch(&self) {}
    fn processing(&self) {}
    fn fingerprint_enrollment_feedback(&self, _: u32, _: Option<EnrollSampleStatus>) {}
    fn cable_qr_code(&self, _: CableRequestType, _: String) {}
    fn dismiss_qr_code(&self) {}
    fn cable_status_update(&self, _: CableState) {}
}

async fn stored_keys(demo: &Demo) -> Vec<StoredKey> {
    sqlx::query(
        "SELECT credential_id, credential FROM authenticators \
         WHERE kind = 'security_key' AND status = 'active'",
    )
    .fetch_all(demo.service.app().db.pool())
    .await
    .unwrap()
    .iter()
    .map(|row| StoredKey {
        credential_id: row.try_get("credential_id").unwrap(),
        aaguid: None,
        key_json: row.try_get("credential").unwrap(),
    })
    .collect()
}

// ---- success ------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registers_with_a_pin_and_the_stored_key_then_authenticates() {
    for (config, token_request) in [
        (
            Config::ctap21(),
            RequestKind::GET_PIN_UV_AUTH_TOKEN_USING_PIN,
        ),
        (Config::ctap20(), RequestKind::GET_PIN_TOKEN),
    ] {
        let label = format!("{:?}", config.version);
        let demo = signed_in().await;
        let key = VirtualAuthenticator::new(fast(Config {
            aaguid: YUBIKEY_5_NFC_AAGUID,
            ..config
                .with_pin(PIN)
                .with_presence(Presence::AfterKeepalives(5))
        }));
        let outcome = register(
            &demo,
            &key,
            None,
            &[Answer::Pin(PIN)],
            Then::Nothing,
            Settings::default(),
        )
        .await;
        let device = outcome.result.as_ref().unwrap();
        assert_eq!(
            outcome.events,
            vec![
                KeyEvent::KeyFound {
                    model: "YubiKey 5 Series with NFC".into(),
                    aaguid: Some(YUBIKEY_5_NFC_AAGUID),
                    pin: set(8),
                    min_pin_length: 6,
                },
                KeyEvent::PinNeeded {
                    retries_left: Some(8)
                },
                // Five keep-alives asking for a touch: shown once.
                KeyEvent::TouchNeeded,
                // The service checks and stores the key.
                KeyEvent::Processing,
            ],
            "{label}"
        );
        assert_eq!(token_requests(&key), vec![token_request], "{label}");
        // The default name is the model the key claims.
        assert_eq!(device.name, "YubiKey 5 Series with NFC", "{label}");
        let listed = security_keys(&demo).await;
        assert_eq!(listed.len(), 1, "{label}");
        assert_eq!(listed[0].id, device.id, "{label}");

        // The stored credential authenticates: the service's relying party, the crate's
        // getAssertion over the same key (asking the PIN again).
        let policy = demo.service.app().config.security_keys.clone();
        let relying_party = RelyingParty::new(&policy).unwrap();
        let keys = stored_keys(&demo).await;
        assert_eq!(keys.len(), 1);
        let (challenge, pending) = relying_party.start_authentication(&keys).unwrap();
        let origin = Url::parse(&policy.rp_origin).unwrap();
        let ui = Arc::new(AnswersPin::default());
        let assertion = {
            let (key, ui) = (key.clone(), Arc::clone(&ui));
            tokio::task::spawn_blocking(move || {
                let mut authenticator =
                    futures::executor::block_on(CtapAuthenticator::new(key, &*ui)).unwrap();
                authenticator.do_authentication(origin, challenge)
            })
            .await
            .unwrap()
            .unwrap()
        };
        let authenticated = relying_party
            .finish_authentication(&pending, &assertion, &keys)
            .unwrap();
        assert_eq!(authenticated.credential_id, keys[0].credential_id);
        assert!(authenticated.user_verified, "{label}: the PIN was used");
        assert_eq!(*ui.0.lock().unwrap(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_given_name_is_kept() {
    let demo = signed_in().await;
    let key = VirtualAuthenticator::new(Config::ctap21().with_pin(PIN));
    let outcome = register(
        &demo,
        &key,
        Some("  Blue key "),
        &[Answer::Pin(PIN)],
        Then::Nothing,
        Settings::default(),
    )
    .await;
    assert_eq!(outcome.result.as_ref().unwrap().name, "Blue key");
    // No touch was asked for (presence immediate), and the unknown model is "Security key".
    assert_eq!(outcome.count(&KeyEvent::TouchNeeded), 0);
    assert!(
        matches!(&outcome.events[0], KeyEvent::KeyFound { model, .. } if model == "Security key")
    );
}

// ---- first-time PIN -----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_without_pin_gets_one_first() {
    let demo = signed_in().await;
    let key = VirtualAuthenticator::new(Config::ctap21());
    let outcome = register(
        &demo,
        &key,
        None,
        &[
            Answer::Pin("1234"),
            Answer::Pin("12345678\0"),
            Answer::Pin(PIN),
        ],
        Then::Nothing,
        Settings::default(),
    )
    .await;
    assert!(outcome.result.is_ok(), "{:?}", outcome.result);
    assert_eq!(
        outcome.events[0],
        KeyEvent::KeyFound {
            model: "Security key".into(),
            aaguid: Some(virtual_ctap::TEST_AAGUID),
            pin: PinState::NotSet,
            min_pin_length: 6,
        }
    );
    assert_eq!(
        outcome.events[1..],
        [
            // Key minimum 4, the app's 6.
            KeyEvent::PinSetupNeeded { min_length: 6 },
            KeyEvent::PinSetupRejected {
                reason: PinRule::TooShort { min_length: 6 }
            },
            KeyEvent::PinSetupRejected {
                reason: PinRule::ContainsNull
            },
            KeyEvent::Processing,
        ]
    );
    // The new PIN answered the registration's PIN request: no prompt.
    assert_eq!(outcome.pin_prompts(), 0);
    assert!(key.pin_is(PIN));
    assert_eq!(key.pin_retries(), 8);
    assert_eq!(security_keys(&demo).await.len(), 1);

    // The organisation's minimum wins when higher; declining to set a PIN is `PinNotSet`.
    let key = VirtualAuthenticator::new(Config::ctap21());
    let outcome = register(
        &demo,
        &key,
        None,
        &[Answer::Pin(PIN), Answer::Cancel],
        Then::Nothing,
        Settings {
            org_min_pin_length: 8,
            ..Settings::default()
        },
    )
    .await;
    assert_eq!(outcome.error(), KeyError::PinNotSet);
    assert_eq!(
        outcome.events[1..],
        [
            KeyEvent::PinSetupNeeded { min_length: 8 },
            KeyEvent::PinSetupRejected {
                reason: PinRule::TooShort { min_length: 8 }
            },
        ]
    );
    assert!(!key.has_pin());
    assert_eq!(
        AppError::from(outcome.result.unwrap_err()).code,
        "key_pin_not_set"
    );
}

// ---- wrong PINs ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_pins_count_down_then_the_right_one_works() {
    let demo = signed_in().await;
    let key = VirtualAuthenticator::new(Config::ctap21().with_pin(PIN));
    let outcome = register(
        &demo,
        &key,
        None,
        &[Answer::Pin(WRONG), Answer::Pin(WRONG), Answer::Pin(PIN)],
        Then::Nothing,
        Settings::default(),
    )
    .await;
    assert!(outcome.result.is_ok(), "{:?}", outcome.result);
    assert_eq!(
        outcome.events[1..],
        [
            KeyEvent::PinNeeded {
                retries_left: Some(8)
            },
            KeyEvent::PinWrong { retries_left: 7 },
            KeyEvent::PinNeeded {
                retries_left: Some(7)
            },
            KeyEvent::PinWrong { retries_left: 6 },
            KeyEvent::PinNeeded {
                retries_left: Some(6)
            },
            KeyEvent::Processing,
        ]
    );
    assert_eq!(key.pin_retries(), 8, "the right PIN resets the count");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_wrong_pins_block_until_reinserted() {
    let demo = signed_in().await;
    let key = VirtualAuthenticator::new(Config::ctap21().with_pin(PIN));
    let outcome = register(
        &demo,
        &key,
        None,
        &[Answer::Pin(WRONG); 3],
        Then::Nothing,
        Settings::default(),
    )
    .await;
    assert_eq!(outcome.error(), KeyError::PinBlockedForInsertion);
    assert_eq!(outcome.pin_prompts(), 3);
    assert_eq!(key.pin_retries(), 5);
    assert_eq!(
        AppError::from(outcome.result.unwrap_err()).code,
        "key_pin_blocked_until_reinserted"
    );

    // Tried again without re-inserting: refused from the pre-flight, no PIN sent.
    key.clear_requests();
    let outcome = register(
        &demo,
        &key,
        None,
        &[Answer::Pin(PIN)],
        Then::Nothing,
        Settings::default(),
    )
    .await;
    assert_eq!(outcome.error(), KeyError::PinBlockedForInsertion);
    assert!(matches!(
        outcome.events[0],
        KeyEvent::KeyFound {
            pin: PinState::Set {
                retries_left: Some(5),
                blocked_until_reinserted: true
            },
            ..
        }
    ));
    assert_eq!(outcome.pin_prompts(), 0);
    assert!(token_requests(&key).is_empty());

    key.reinsert();
    let outcome = register(
        &demo,
        &key,
        None,
        &[Answer::Pin(PIN)],
        Then::Nothing,
        Settings::default(),
    )
    .await;
    assert!(outcome.result.is_ok(), "{:?}", outcome.result);
    assert_eq!(key.pin_retries(), 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_key_is_not_tried_and_the_last_try_is_withheld() {
    let demo = signed_in().await;

    // Blocked for good: nothing sent, nothing asked.
    let key = VirtualAuthenticator::new(Config {
        pin_retries: 0,
        ..Config::ctap21().with_pin(PIN)
    });
    let outcome = register(
        &demo,
        &key,
        None,
        &[Answer::Pin(PIN)],
        Then::Nothing,
        Settings::default(),
    )
    .await;
    assert_eq!(outcome.error(), KeyError::PinBlocked);
    assert_eq!(outcome.pin_prompts(), 0);
    assert!(token_requests(&key).is_empty());
    assert_eq!(
        AppError::from(outcome.result.unwrap_err()).code,
        "key_pin_blocked"
    );

    // One try left: not spent from the app.
    let key = VirtualAuthenticator::new(Config {
        pin_retries: 1,
        ..Config::ctap21().with_pin(PIN)
    });
    let outcome = register(
        &demo,
        &key,
        None,
        &[Answer::Pin(PIN)],
        Then::Nothing,
        Settings::default(),
    )
    .await;
    assert_eq!(outcome.error(), KeyError::PinInvalid { retries_left: 1 });
    assert_eq!(outcome.pin_prompts(), 0);
    assert!(token_requests(&key).is_empty());
    assert_eq!(key.pin_retries(), 1);
    let error = AppError::from(outcome.result.unwrap_err());
    assert_eq!(
        (error.code.as_str(), error.attempts_left),
        ("key_pin_invalid", Some(1))
    );

    // Counting down to the last try mid-ceremony stops there too.
    let key = VirtualAuthenticator::new(Config {
        pin_retries: 3,
        ..Config::ctap21().with_pin(PIN)
    });
    let outcome = register(
        &demo,
        &key,
        None,
        &[Answer::Pin(WRONG), Answer::Pin(WRONG), Answer::Pin(PIN)],
        Then::Nothing,
        Settings::default(),
    )
    .await;
    assert_eq!(outcome.error(), KeyError::PinInvalid { retries_left: 1 });
    assert_eq!(outcome.pin_prompts(), 2);
    assert_eq!(
        outcome.events.last(),
        Some(&KeyEvent::PinWrong { retries_left: 1 })
    );
    assert_eq!(key.pin_retries(), 1);
    assert!(security_keys(&demo).await.is_empty());
}

// ---- refused keys -------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_key_cannot_register_twice() {
    let demo = signed_in().await;
    let key = VirtualAuthenticator::new(fast(
        Config::ctap21()
            .with_pin(PIN)
            .with_presence(Presence::AfterKeepalives(2)),
    ));
    let first = register(
        &demo,
        &key,
        None,
        &[Answer::Pin(PIN)],
        Then::Nothing,
        Settings::default(),
    )
    .await;
    assert!(first.result.is_ok(), "{:?}", first.result);

    // The service excludes the first credential; the key refuses after the touch.
    let again = register(
        &demo,
        &key,
        None,
        &[Answer::Pin(PIN)],
        Then::Nothing,
        Settings::default(),
    )
    .await;
    assert_eq!(again.error(), KeyError::AlreadyRegistered);
    assert_eq!(again.count(&KeyEvent::TouchNeeded), 1);
    assert_eq!(
        key.last_request().map(|e| (e.kind, e.status)),
        Some((RequestKind::MakeCredential, 0x19))
    );
    assert_eq!(key.credential_count(), 1);
    assert_eq!(security_keys(&demo).await.len(), 1);
    assert_eq!(
        AppError::from(again.result.unwrap_err()).code,
        "key_already_registered"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_outside_the_allow_list_is_refused() {
    let demo = signed_in_with(ServiceConfig {
        security_keys: SecurityKeyPolicy {
            allowed_aaguids: vec![virtual_ctap::YUBIKEY_5_AAGUID],
            ..SecurityKeyPolicy::default()
        },
        ..ServiceConfig::default()
    })
    .await;
    let key = VirtualAuthenticator::new(Config::ctap21().with_pin(PIN));
    let outcome = register(
        &demo,
        &key,
        None,
        &[Answer::Pin(PIN)],
        Then::Nothing,
        Settings::default(),
    )
    .await;
    assert_eq!(outcome.error(), KeyError::ModelNotAllowed);
    assert_eq!(
        key.credential_count(),
        1,
        "the key made one; the service refused it"
    );
    assert!(security_keys(&demo).await.is_empty());
    assert_eq!(
        AppError::from(outcome.result.unwrap_err()).code,
        "key_model_not_allowed"
    );
}

// ---- timeout and cancel -------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_touch_times_out() {
    let demo = signed_in().await;
    let key = VirtualAuthenticator::new(Config {
        keepalive_interval: Duration::from_millis(20),
        ..Config::ctap21()
            .with_pin(PIN)
            .with_presence(Presence::Manual)
    });
    let started = Instant::now();
    let outcome = register(
        &demo,
        &key,
        None,
        &[Answer::Pin(PIN)],
        Then::Nothing,
        Settings {
            timeout: Duration::from_millis(300),
            ..Settings::default()
        },
    )
    .await;
    let elapsed = started.elapsed();
    assert_eq!(outcome.error(), KeyError::Timeout);
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert_eq!(outcome.count(&KeyEvent::TouchNeeded), 1);
    assert_eq!(key.cancels(), 1, "CTAPHID_CANCEL reached the key");
    assert!(!key.is_waiting_for_touch());
    assert_eq!(key.credential_count(), 0);
    assert_eq!(
        AppError::from(outcome.result.unwrap_err()).code,
        "key_timeout"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_at_the_touch_and_at_the_pin_prompt() {
    let demo = signed_in().await;
    let key = VirtualAuthenticator::new(Config {
        keepalive_interval: Duration::from_millis(20),
        ..Config::ctap21()
            .with_pin(PIN)
            .with_presence(Presence::Manual)
    });
    let outcome = register(
        &demo,
        &key,
        None,
        &[Answer::Pin(PIN)],
        Then::CancelAtTouch,
        Settings::default(),
    )
    .await;
    assert_eq!(outcome.error(), KeyError::Cancelled);
    assert!(
        outcome.latency < Duration::from_millis(500),
        "{:?}",
        outcome.latency
    );
    assert_eq!(key.cancels(), 1);
    assert!(!key.is_waiting_for_touch());
    assert_eq!(key.credential_count(), 0);
    assert_eq!(
        AppError::from(outcome.result.unwrap_err()).code,
        "key_cancelled"
    );

    // At the PIN prompt: no PIN, no token request.
    let key = VirtualAuthenticator::new(Config::ctap21().with_pin(PIN));
    let outcome = register(
        &demo,
        &key,
        None,
        &[Answer::Pin(PIN)],
        Then::CancelAtPin,
        Settings::default(),
    )
    .await;
    assert_eq!(outcome.error(), KeyError::Cancelled);
    assert!(token_requests(&key).is_empty());
    assert_eq!(key.pin_retries(), 8);

    // "Cancel" typed at the prompt is the same.
    let outcome = register(
        &demo,
        &key,
        None,
        &[Answer::Cancel],
        Then::Nothing,
        Settings::default(),
    )
    .await;
    assert_eq!(outcome.error(), KeyError::Cancelled);
    assert!(token_requests(&key).is_empty());

    // The session is untouched: the next try works.
    let outcome = register(
        &demo,
        &key,
        None,
        &[Answer::Pin(PIN)],
        Then::Nothing,
        Settings::default(),
    )
    .await;
    assert!(outcome.result.is_ok(), "{:?}", outcome.result);
}
