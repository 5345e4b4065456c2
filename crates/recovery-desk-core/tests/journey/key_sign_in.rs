//! The sign-in ceremony (`security_key::assert_with_key`, CTAP2 getAssertion) over a virtual
//! key driven through webauthn-authenticator-rs, with options from and answers checked by the
//! service's own relying party (webauthn-rs): the PIN, a wrong PIN with tries left, a key that
//! holds no credential asked for, a key without a PIN, cancel and timeout.

use std::time::Duration;

use recovery_desk_core::security_key::{
    self, CancellationToken, KeyError, KeyEvent, PinReply, PinState, PublicKeyCredential, Settings,
};
use recovery_server::security_key::{
    PendingAuthentication, RelyingParty, SecurityKeyPolicy, StoredKey,
};
use tokio::sync::mpsc;
use url::Url;
use virtual_ctap::{demo_credential, Config, Presence, VirtualAuthenticator};
use zeroize::Zeroizing;

const RIGHT: &str = demo_credential::HOPPER_PIN;
const WRONG: &str = "0000";

/// The demo service's relying party and hopper's stored key (what the demo directory seeds).
fn relying_party() -> (RelyingParty, StoredKey, Url) {
    let policy = SecurityKeyPolicy::default();
    let json = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../recovery-server/src/demo/hopper_security_key.json"
    ))
    .unwrap();
    let stored = StoredKey {
        credential_id: String::new(),
        aaguid: None,
        key_json: json.trim_end().to_owned(),
    };
    (
        RelyingParty::new(&policy).unwrap(),
        stored,
        Url::parse(&policy.rp_origin).unwrap(),
    )
}

fn hopper_key(presence: Presence) -> VirtualAuthenticator {
    let config = Config {
        keepalive_interval: Duration::from_millis(10),
        up_timeout: Duration::from_secs(5),
        ..Config::ctap21().with_presence(presence)
    };
    VirtualAuthenticator::new(demo_credential::hopper_key(config).unwrap())
}

/// What the person does at the prompts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Then {
    Nothing,
    CancelAtTouch,
}

struct Outcome {
    events: Vec<KeyEvent>,
    result: Result<PublicKeyCredential, KeyError>,
    pending: PendingAuthentication,
}

async fn sign_in(
    key: &VirtualAuthenticator,
    pins: &[&str],
    then: Then,
    settings: Settings,
) -> Outcome {
    let (rp, stored, origin) = relying_party();
    let (options, pending) = rp.start_authentication(&[stored]).unwrap();
    let (events_tx, mut events_rx) = mpsc::unbounded_channel();
    let (pins_tx, pins_rx) = mpsc::channel(4);
    let cancel = CancellationToken::new();
    let claim = security_key::claim_keys(&cancel).await.unwrap();
    let ceremony = security_key::assert_with_key(
        claim,
        key.clone(),
        options,
        origin,
        events_tx,
        pins_rx,
        cancel.clone(),
        settings,
    );
    tokio::pin!(ceremony);
    let mut answers = pins.iter();
    let mut events = Vec::new();
    let result = loop {
        tokio::select! {
            result = &mut ceremony => break result,
            Some(event) = events_rx.recv() => {
                match &event {
                    KeyEvent::PinNeeded { .. } => {
                        let reply = match answers.next() {
                            Some(pin) => PinReply::Pin(Zeroizing::new((*pin).to_owned())),
                            None => PinReply::Cancel,
                        };
                        pins_tx.send(reply).await.unwrap();
                    }
                    KeyEvent::TouchNeeded if then == Then::CancelAtTouch => cancel.cancel(),
                    _ => {}
                }
                events.push(event);
            }
        }
    };
    while let Ok(event) = events_rx.try_recv() {
        events.push(event);
    }
    Outcome {
        events,
        result,
        pending,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_right_pin_signs_in_and_the_service_accepts_the_assertion() {
    let key = hopper_key(Presence::Immediate);
    let outcome = sign_in(&key, &[RIGHT], Then::Nothing, Settings::default()).await;
    let credential = outcome.result.unwrap();
    assert!(matches!(
        outcome.events.first(),
        Some(KeyEvent::KeyFound {
            pin: PinState::Set {
                retries_left: Some(8),
                ..
            },
            ..
        })
    ));
    assert!(outcome.events.contains(&KeyEvent::PinNeeded {
        retries_left: Some(8)
    }));
    let (rp, stored, _) = relying_party();
    let authenticated = rp
        .finish_authentication(&outcome.pending, &credential, &[stored])
        .unwrap();
    assert!(authenticated.user_verified, "signed with the PIN");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_pin_says_the_tries_left_and_the_right_one_then_works() {
    let key = hopper_key(Presence::Immediate);
    let outcome = sign_in(&key, &[WRONG, RIGHT], Then::Nothing, Settings::default()).await;
    assert!(outcome.result.is_ok(), "{:?}", outcome.result.err());
    assert!(outcome
        .events
        .contains(&KeyEvent::PinWrong { retries_left: 7 }));
    assert!(outcome.events.contains(&KeyEvent::PinNeeded {
        retries_left: Some(7)
    }));
    // A right PIN resets the key's count.
    assert_eq!(key.pin_retries(), 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_pin_then_giving_up_is_cancelled_and_costs_one_try() {
    let key = hopper_key(Presence::Immediate);
    let outcome = sign_in(&key, &[WRONG], Then::Nothing, Settings::default()).await;
    assert_eq!(outcome.result.unwrap_err(), KeyError::Cancelled);
    assert_eq!(key.pin_retries(), 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_without_the_credential_is_not_registered() {
    let key = VirtualAuthenticator::new(Config {
        presence: Presence::Immediate,
        ..Config::ctap21().with_pin(RIGHT)
    });
    let outcome = sign_in(&key, &[RIGHT], Then::Nothing, Settings::default()).await;
    assert_eq!(outcome.result.unwrap_err(), KeyError::NotRegistered);
    assert_eq!(key.pin_retries(), 8, "the PIN was right");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_without_a_pin_cannot_sign_in() {
    let key = VirtualAuthenticator::new(
        Config::ctap21().with_credential(demo_credential::hopper().unwrap()),
    );
    let outcome = sign_in(&key, &[], Then::Nothing, Settings::default()).await;
    assert_eq!(outcome.result.unwrap_err(), KeyError::PinNotSet);
    assert!(!outcome
        .events
        .iter()
        .any(|e| matches!(e, KeyEvent::PinSetupNeeded { .. })));
    assert!(!key.has_pin(), "no PIN was set on the key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_at_the_touch_reaches_the_key() {
    let key = hopper_key(Presence::Manual);
    let outcome = sign_in(&key, &[RIGHT], Then::CancelAtTouch, Settings::default()).await;
    assert_eq!(outcome.result.unwrap_err(), KeyError::Cancelled);
    assert!(outcome.events.contains(&KeyEvent::TouchNeeded));
    assert!(key.cancels() >= 1, "CTAPHID_CANCEL was sent");
    assert!(!key.is_waiting_for_touch());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_touch_times_out() {
    let key = hopper_key(Presence::Manual);
    let settings = Settings {
        timeout: Duration::from_millis(500),
        ..Settings::default()
    };
    let outcome = sign_in(&key, &[RIGHT], Then::Nothing, settings).await;
    assert_eq!(outcome.result.unwrap_err(), KeyError::Timeout);
    assert!(outcome.events.contains(&KeyEvent::TouchNeeded));
}
