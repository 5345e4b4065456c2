//! The window's path to a security key, as the Tauri commands call it: `start_security_key`
//! with the demo key, the PIN through `answer_key_pin`, the touch through `touch_demo_key`,
//! `cancel_security_key`, then `rename_device`.

use std::{sync::Arc, time::Duration};

use recovery_desk_core::{
    journey::{JourneyOptions, KeySource},
    security_key::{KeyError, KeyEvent, PinReply, PinState},
    view::DeviceView,
    AppError, FlowError,
};
use tokio::sync::mpsc;
use zeroize::Zeroizing;

use crate::support::{demo, demo_with, Demo, ADA, GRACE};

const KEY_PIN: &str = "482913";

/// What the person does at each step of the screen.
#[derive(Clone, Copy)]
struct Person {
    new_pin: &'static str,
    pins: &'static [&'static str],
    touch: bool,
}

/// Runs `start_security_key(Demo)` while answering its events like the screen would.
async fn with_demo_key(
    demo: &Arc<Demo>,
    person: Person,
) -> (Vec<KeyEvent>, Result<DeviceView, FlowError>) {
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let journey = Arc::clone(demo);
    let run = tokio::spawn(async move {
        journey
            .journey
            .start_security_key(KeySource::Demo, events_tx)
            .await
    });
    let mut seen = Vec::new();
    let mut pins = person.pins.iter();
    while let Some(event) = events.recv().await {
        match &event {
            KeyEvent::PinSetupNeeded { .. } => {
                // An answer for a prompt that is not on screen is refused and spends nothing.
                let wrong_kind = PinReply::Pin(Zeroizing::new(person.new_pin.into()));
                assert_eq!(
                    AppError::from(demo.journey.answer_key_pin(wrong_kind).unwrap_err()).code,
                    "invalid_input"
                );
                demo.journey
                    .answer_key_pin(PinReply::NewPin(Zeroizing::new(person.new_pin.into())))
                    .unwrap()
            }
            KeyEvent::PinNeeded { .. } => match pins.next() {
                Some(pin) => demo
                    .journey
                    .answer_key_pin(PinReply::Pin(Zeroizing::new((*pin).into())))
                    .unwrap(),
                None => demo.journey.cancel_security_key(),
            },
            KeyEvent::TouchNeeded if person.touch => {
                let unasked = PinReply::Pin(Zeroizing::new(KEY_PIN.into()));
                assert_eq!(
                    AppError::from(demo.journey.answer_key_pin(unasked).unwrap_err()).code,
                    "invalid_input"
                );
                // The screen shows the prompt, then the person presses the button.
                tokio::time::sleep(Duration::from_millis(50)).await;
                assert!(demo.journey.touch_demo_key().unwrap());
            }
            KeyEvent::TouchNeeded => demo.journey.cancel_security_key(),
            _ => {}
        }
        seen.push(event);
    }
    (seen, run.await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_key_gets_a_pin_then_registers_then_is_renamed() {
    let demo = Arc::new(demo().await);
    demo.sign_in(ADA).await;
    let person = Person {
        new_pin: KEY_PIN,
        pins: &[],
        touch: true,
    };
    let (events, result) = with_demo_key(&demo, person).await;
    let device = result.unwrap();
    assert_eq!(device.name, "Demo security key");
    assert!(events.iter().any(|e| matches!(
        e,
        KeyEvent::KeyFound {
            pin: PinState::NotSet,
            min_pin_length: 6,
            ..
        }
    )));
    assert_eq!(
        events
            .iter()
            .filter(|e| **e == KeyEvent::TouchNeeded)
            .count(),
        1
    );

    let renamed = demo
        .journey
        .rename_device(&device.id, "  Blue key  ")
        .await
        .unwrap();
    assert_eq!(renamed.name, "Blue key");
    assert_eq!(demo.device("security_key").await.name, "Blue key");

    // Bad names change nothing.
    for bad in [
        "",
        "   ",
        &"x".repeat(65),
        "tab\there",
        "key\u{202E}gpj.exe",
        "\u{2066}key\u{2069}",
        "line\u{2028}break",
        "a\u{200F}b",
    ] {
        let error = demo
            .journey
            .rename_device(&device.id, bad)
            .await
            .unwrap_err();
        assert_eq!(AppError::from(error).code, "invalid_input", "{bad:?}");
    }
    let error = demo
        .journey
        .rename_device("not-a-device", "Mine")
        .await
        .unwrap_err();
    assert_eq!(AppError::from(error).code, "not_found");
    assert_eq!(demo.device("security_key").await.name, "Blue key");

    // The key now has a PIN (it is the same key); a wrong one counts, then the key refuses
    // itself as already registered for this person (CTAP exclude list).
    let person = Person {
        new_pin: "",
        pins: &["000000", KEY_PIN],
        touch: true,
    };
    let (events, result) = with_demo_key(&demo, person).await;
    assert!(events.contains(&KeyEvent::PinWrong { retries_left: 7 }));
    assert!(matches!(
        result,
        Err(FlowError::SecurityKey(KeyError::AlreadyRegistered))
    ));

    // Another person may register the same key.
    let grace = Arc::new(
        demo_with(JourneyOptions {
            demo: true,
            ..JourneyOptions::default()
        })
        .await,
    );
    grace.sign_in(GRACE).await;
    let person = Person {
        new_pin: KEY_PIN,
        pins: &[],
        touch: true,
    };
    let (_, result) = with_demo_key(&grace, person).await;
    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_at_the_touch_ends_with_cancelled_and_changes_nothing() {
    let demo = Arc::new(demo().await);
    demo.sign_in(ADA).await;
    let person = Person {
        new_pin: KEY_PIN,
        pins: &[],
        touch: false,
    };
    let (_, result) = with_demo_key(&demo, person).await;
    assert!(matches!(
        result,
        Err(FlowError::SecurityKey(KeyError::Cancelled))
    ));
    assert!(demo
        .journey
        .devices()
        .await
        .unwrap()
        .iter()
        .all(|d| d.name != "Demo security key"));
    // Nothing waits for a PIN any more.
    let error = demo
        .journey
        .answer_key_pin(PinReply::Pin(Zeroizing::new(KEY_PIN.into())))
        .unwrap_err();
    assert_eq!(AppError::from(error).code, "key_cancelled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_start_cancels_the_first_and_waits_for_it() {
    let demo = Arc::new(demo().await);
    demo.sign_in(ADA).await;
    let (first_tx, mut first_events) = mpsc::unbounded_channel();
    let journey = Arc::clone(&demo);
    let first = tokio::spawn(async move {
        journey
            .journey
            .start_security_key(KeySource::Demo, first_tx)
            .await
    });
    // The first waits for a new PIN; a second start takes over the key.
    while let Some(event) = first_events.recv().await {
        if matches!(event, KeyEvent::PinSetupNeeded { .. }) {
            break;
        }
    }
    let person = Person {
        new_pin: KEY_PIN,
        pins: &[],
        touch: true,
    };
    let (_, second) = with_demo_key(&demo, person).await;
    assert!(second.is_ok(), "{second:?}");
    assert!(matches!(
        first.await.unwrap(),
        Err(FlowError::SecurityKey(KeyError::Cancelled))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_before_any_key_is_asked() {
    // Not signed in: nobody is asked to plug anything in.
    let demo = demo().await;
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let error = demo
        .journey
        .start_security_key(KeySource::Demo, events_tx)
        .await
        .unwrap_err();
    assert_eq!(AppError::from(error).code, "not_signed_in");
    assert!(events.recv().await.is_none());

    // The demo key exists in demo mode only.
    let real = demo_with(JourneyOptions::default()).await;
    real.sign_in(ADA).await;
    let (events_tx, _events) = mpsc::unbounded_channel();
    let error = real
        .journey
        .start_security_key(KeySource::Demo, events_tx)
        .await
        .unwrap_err();
    assert_eq!(AppError::from(error).code, "demo_only");
    assert_eq!(
        AppError::from(real.journey.touch_demo_key().unwrap_err()).code,
        "demo_only"
    );

    // An empty PIN is refused without reaching a key.
    let error = demo
        .journey
        .answer_key_pin(PinReply::Pin(Zeroizing::new(String::new())))
        .unwrap_err();
    assert_eq!(AppError::from(error).field.as_deref(), Some("pin"));
}
