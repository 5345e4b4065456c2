//! The virtual key driven only through webauthn-authenticator-rs 0.6.2's public API
//! (`CtapAuthenticator`, `set_new_pin`, `selection`, `do_registration`, `do_authentication`,
//! `Token::transmit`/`cancel`) and checked by a webauthn-rs 0.6.2 relying party.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    collections::{BTreeMap, VecDeque},
    sync::{
        atomic::{AtomicU32, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use futures::executor::block_on;
use serde_cbor_2::Value;
use virtual_ctap::{
    Attestation, Config, Presence, PresetCredential, RequestKind, VirtualAuthenticator,
    SOFTTOKEN_AAGUID, TEST_AAGUID, YUBIKEY_5_NFC_AAGUID,
};
use webauthn_authenticator_rs::{
    ctap2::{
        commands::{ClientPinRequest, ClientPinResponse, ClientPinSubCommand},
        CtapAuthenticator,
    },
    error::{CtapError, WebauthnCError},
    transport::Token,
    types::{CableRequestType, CableState, EnrollSampleStatus},
    ui::UiCallback,
    WebauthnAuthenticator,
};
use webauthn_rs::prelude::*;

const ORIGIN: &str = "https://recovery.example.com";
const PIN: &str = "135790";
const WRONG: &str = "000000";

// ---- harness ------------------------------------------------------------------------------

/// A scripted person: answers PIN prompts from a queue, counts keep-alives.
#[derive(Debug, Default)]
struct Person {
    pins: Mutex<VecDeque<String>>,
    pin_prompts: AtomicU32,
    touch_prompts: AtomicU32,
    processing: AtomicU32,
}

impl Person {
    fn answering(pins: &[&str]) -> Arc<Self> {
        Arc::new(Self {
            pins: Mutex::new(pins.iter().map(|p| p.to_string()).collect()),
            ..Self::default()
        })
    }
    fn touches(&self) -> u32 {
        self.touch_prompts.load(Ordering::SeqCst)
    }
    fn prompts(&self) -> u32 {
        self.pin_prompts.load(Ordering::SeqCst)
    }
}

impl UiCallback for Person {
    fn request_pin(&self) -> Option<String> {
        self.pin_prompts.fetch_add(1, Ordering::SeqCst);
        self.pins.lock().unwrap().pop_front()
    }
    fn request_touch(&self) {
        self.touch_prompts.fetch_add(1, Ordering::SeqCst);
    }
    fn processing(&self) {
        self.processing.fetch_add(1, Ordering::SeqCst);
    }
    fn fingerprint_enrollment_feedback(&self, _: u32, _: Option<EnrollSampleStatus>) {}
    fn cable_qr_code(&self, _: CableRequestType, _: String) {}
    fn dismiss_qr_code(&self) {}
    fn cable_status_update(&self, _: CableState) {}
}

fn rp() -> Webauthn {
    WebauthnBuilder::new("recovery.example.com", &Url::parse(ORIGIN).unwrap())
        .unwrap()
        .rp_name("Recovery Desk")
        .build()
        .unwrap()
}

fn origin() -> Url {
    Url::parse(ORIGIN).unwrap()
}

/// Runs `f` with a fresh `CtapAuthenticator` over (a clone of) `key`, on a blocking-pool
/// thread of the multi-thread runtime, as the app will (design §1.9).
async fn with_authenticator<T, F>(key: &VirtualAuthenticator, person: &Arc<Person>, f: F) -> T
where
    T: Send + 'static,
    F: FnOnce(&mut CtapAuthenticator<'_, VirtualAuthenticator, Person>) -> T + Send + 'static,
{
    let key = key.clone();
    let person = Arc::clone(person);
    tokio::task::spawn_blocking(move || {
        let mut authenticator = block_on(CtapAuthenticator::new(key, &*person))
            .expect("the crate accepts the virtual key");
        f(&mut authenticator)
    })
    .await
    .unwrap()
}

/// Registers a security key (UV preferred) for Ada; the RP's state comes back too.
async fn register(
    rp: &Webauthn,
    key: &VirtualAuthenticator,
    person: &Arc<Person>,
    exclude: Option<Vec<CredentialID>>,
) -> (
    Result<RegisterPublicKeyCredential, WebauthnCError>,
    SecurityKeyRegistration,
) {
    let (options, state) = rp
        .start_securitykey_registration(Uuid::new_v4(), "ada", "Ada Lovelace", exclude, None, None)
        .unwrap();
    let result =
        with_authenticator(key, person, move |a| a.do_registration(origin(), options)).await;
    (result, state)
}

/// Authenticates with a registered security key; the RP checks the assertion.
async fn authenticate(
    rp: &Webauthn,
    key: &VirtualAuthenticator,
    person: &Arc<Person>,
    stored: &SecurityKey,
) -> Result<AuthenticationResult, WebauthnCError> {
    let (options, state) = rp
        .start_securitykey_authentication(std::slice::from_ref(stored))
        .unwrap();
    let assertion =
        with_authenticator(key, person, move |a| a.do_authentication(origin(), options)).await?;
    Ok(rp
        .finish_securitykey_authentication(&assertion, &state)
        .unwrap())
}

/// getPINRetries as the app's pre-flight sends it (design §1.6): retries and powerCycleState.
async fn get_pin_retries(key: &VirtualAuthenticator) -> ClientPinResponse {
    let mut key = key.clone();
    let person = Person::answering(&[]);
    tokio::task::spawn_blocking(move || {
        block_on(key.transmit(
            ClientPinRequest {
                pin_uv_protocol: Some(1),
                sub_command: ClientPinSubCommand::GetPinRetries,
                ..Default::default()
            },
            &*person,
        ))
    })
    .await
    .unwrap()
    .unwrap()
}

/// authData from an attestation object.
fn auth_data(credential: &RegisterPublicKeyCredential) -> Vec<u8> {
    let object: BTreeMap<String, Value> =
        serde_cbor_2::from_slice(credential.response.attestation_object.as_slice()).unwrap();
    match object.get("authData") {
        Some(Value::Bytes(b)) => b.clone(),
        other => panic!("authData: {other:?}"),
    }
}

fn aaguid_of(auth_data: &[u8]) -> Uuid {
    Uuid::from_slice(&auth_data[37..53]).unwrap()
}

fn ctap(e: CtapError) -> Result<(), WebauthnCError> {
    Err(WebauthnCError::Ctap(e))
}

fn token_requests(key: &VirtualAuthenticator) -> Vec<RequestKind> {
    key.requests()
        .into_iter()
        .map(|e| e.kind)
        .filter(|k| k.is_token_request())
        .collect()
}

// ---- 1. first-time PIN set, then registration with that PIN -------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_time_pin_then_registration_on_each_version_and_protocol() {
    let rp = rp();
    for (config, expected_token_request) in [
        // 2.1, protocol 2 (the crate takes the first protocol listed): 0x09.
        (
            Config::ctap21(),
            RequestKind::GET_PIN_UV_AUTH_TOKEN_USING_PIN,
        ),
        // 2.1 with protocol 1 only: still 0x09, protocol 1 crypto.
        (
            Config::ctap21().with_pin_protocols(&[1]),
            RequestKind::GET_PIN_UV_AUTH_TOKEN_USING_PIN,
        ),
        // 2.0, protocol 1: legacy getPinToken 0x05.
        (Config::ctap20(), RequestKind::GET_PIN_TOKEN),
    ] {
        let label = format!("{:?} {:?}", config.version, config.pin_protocols);
        let key = VirtualAuthenticator::new(config);
        let person = Person::answering(&[PIN]);

        let (client_pin, min) = with_authenticator(&key, &person, |a| {
            let info = a.get_info().clone();
            let before = info.get_option("clientPin");
            block_on(a.set_new_pin(PIN)).unwrap();
            assert_eq!(
                a.get_info().get_option("clientPin"),
                Some(true),
                "refreshed"
            );
            (before, info.get_min_pin_length())
        })
        .await;
        assert_eq!(client_pin, Some(false), "{label}: no PIN before");
        assert_eq!(min, 4, "{label}");
        assert!(key.pin_is(PIN), "{label}");
        assert_eq!(key.pin_retries(), 8, "{label}");
        assert_eq!(get_pin_retries(&key).await.pin_retries, Some(8), "{label}");

        let (result, state) = register(&rp, &key, &person, None).await;
        let credential = result.unwrap_or_else(|e| panic!("{label}: {e:?}"));
        let data = auth_data(&credential);
        assert_eq!(aaguid_of(&data), TEST_AAGUID, "{label}");
        assert_eq!(data[32] & 0x45, 0x45, "{label}: UP, UV and AT flags");
        let stored = rp
            .finish_securitykey_registration(&credential, &state)
            .unwrap();
        assert!(matches!(
            stored.attestation().data,
            ParsedAttestationData::Self_
        ));
        assert_eq!(person.prompts(), 1, "{label}: asked for the PIN once");
        assert_eq!(
            token_requests(&key),
            vec![expected_token_request],
            "{label}"
        );
        assert_eq!(key.credential_count(), 1, "{label}");
        assert_eq!(
            key.last_request().map(|e| (e.kind, e.status)),
            Some((RequestKind::MakeCredential, 0)),
            "{label}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_too_short_pin_is_refused_by_the_crate_and_by_the_key() {
    // The crate checks the key's advertised minimum before sending anything…
    let key = VirtualAuthenticator::new(Config::ctap21());
    let person = Person::answering(&[]);
    let result = with_authenticator(&key, &person, |a| block_on(a.set_new_pin("123"))).await;
    assert_eq!(result, Err(WebauthnCError::PinTooShort));
    assert!(!key.has_pin());

    // …but a 2.0 key does not advertise minPINLength, so the crate assumes 4 and the key's own
    // policy (6 here) refuses with PIN_POLICY_VIOLATION (0x37).
    let key = VirtualAuthenticator::new(Config {
        min_pin_length: 6,
        ..Config::ctap20()
    });
    let result = with_authenticator(&key, &person, |a| block_on(a.set_new_pin("1234"))).await;
    assert_eq!(result, ctap(CtapError::Ctap2PinPolicyViolation));
    assert!(!key.has_pin());

    // setPIN on a key that has a PIN is NOT_ALLOWED (0x30).
    let key = VirtualAuthenticator::new(Config::ctap21().with_pin(PIN));
    let result = with_authenticator(&key, &person, |a| block_on(a.set_new_pin("2468"))).await;
    assert_eq!(result, ctap(CtapError::Ctap2NotAllowed));
    assert!(key.pin_is(PIN));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_pin_checks_the_old_one() {
    let key = VirtualAuthenticator::new(Config::ctap21().with_pin(PIN));
    let person = Person::answering(&[]);
    let wrong = with_authenticator(&key, &person, |a| block_on(a.change_pin(WRONG, "2468"))).await;
    assert_eq!(wrong, ctap(CtapError::Ctap2PinInvalid));
    assert_eq!(key.pin_retries(), 7);
    let right = with_authenticator(&key, &person, |a| block_on(a.change_pin(PIN, "2468"))).await;
    assert_eq!(right, Ok(()));
    assert!(key.pin_is("2468"));
    assert_eq!(key.pin_retries(), 8);
}

// ---- 2. wrong PINs: count down, power-cycle block, permanent block ------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_pins_count_down_block_until_reinserted_then_block_for_good() {
    for config in [Config::ctap21(), Config::ctap20()] {
        let label = format!("{:?}", config.version);
        let rp = rp();
        let key = VirtualAuthenticator::new(config.with_pin(PIN));
        let attempt = |pin: &'static str| {
            let (rp, key) = (rp.clone(), key.clone());
            async move {
                let person = Person::answering(&[pin]);
                register(&rp, &key, &person, None).await.0.map(|_| ())
            }
        };

        // 8 → 7 → 6, each PIN_INVALID (0x31).
        assert_eq!(
            attempt(WRONG).await,
            ctap(CtapError::Ctap2PinInvalid),
            "{label}"
        );
        assert_eq!(get_pin_retries(&key).await.pin_retries, Some(7), "{label}");
        assert_eq!(
            attempt(WRONG).await,
            ctap(CtapError::Ctap2PinInvalid),
            "{label}"
        );
        assert_eq!(get_pin_retries(&key).await.pin_retries, Some(6), "{label}");
        // The third in a row: PIN_AUTH_BLOCKED (0x34), and it still cost a retry.
        assert_eq!(
            attempt(WRONG).await,
            ctap(CtapError::Ctap2PinAuthBlocked),
            "{label}"
        );
        let retries = get_pin_retries(&key).await;
        assert_eq!(retries.pin_retries, Some(5), "{label}");
        if label == "Fido21" {
            assert_eq!(retries.power_cycle_state, Some(true), "2.1 reports it");
        } else {
            assert_eq!(retries.power_cycle_state, None, "2.0 has no key 0x04");
        }
        // Until re-inserted even the right PIN is refused, without costing a retry.
        assert_eq!(
            attempt(PIN).await,
            ctap(CtapError::Ctap2PinAuthBlocked),
            "{label}"
        );
        assert_eq!(key.pin_retries(), 5, "{label}");

        key.reinsert();
        assert!(!key.is_blocked_until_reinserted());
        assert_eq!(
            attempt(PIN).await,
            Ok(()),
            "{label}: the right PIN works again"
        );
        assert_eq!(key.pin_retries(), 8, "{label}: and resets the count");

        // Down to 0: 3 wrong (→5, blocked), re-insert, 3 wrong (→2, blocked), re-insert,
        // wrong (→1, PIN_INVALID), wrong (→0, PIN_BLOCKED).
        for _ in 0..2 {
            assert_eq!(attempt(WRONG).await, ctap(CtapError::Ctap2PinInvalid));
            assert_eq!(attempt(WRONG).await, ctap(CtapError::Ctap2PinInvalid));
            assert_eq!(attempt(WRONG).await, ctap(CtapError::Ctap2PinAuthBlocked));
            key.reinsert();
        }
        assert_eq!(key.pin_retries(), 2);
        assert_eq!(attempt(WRONG).await, ctap(CtapError::Ctap2PinInvalid));
        assert_eq!(
            attempt(WRONG).await,
            ctap(CtapError::Ctap2PinBlocked),
            "{label}"
        );
        assert!(key.is_pin_blocked());
        // For good: the right PIN is refused, before and after a re-insert.
        assert_eq!(
            attempt(PIN).await,
            ctap(CtapError::Ctap2PinBlocked),
            "{label}"
        );
        key.reinsert();
        assert_eq!(
            attempt(PIN).await,
            ctap(CtapError::Ctap2PinBlocked),
            "{label}"
        );
        assert_eq!(get_pin_retries(&key).await.pin_retries, Some(0));
        assert_eq!(
            key.credential_count(),
            1,
            "{label}: only the one good registration"
        );
    }
}

// ---- 3. excludeList -----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_excluded_credential_it_made_is_refused_after_a_touch() {
    let rp = rp();
    let key = VirtualAuthenticator::new(
        Config::ctap21()
            .with_pin(PIN)
            .with_presence(Presence::AfterKeepalives(2)),
    );
    let person = Person::answering(&[PIN, PIN, PIN]);
    let (first, state) = register(&rp, &key, &person, None).await;
    let first = rp
        .finish_securitykey_registration(&first.unwrap(), &state)
        .unwrap();

    // A list holding only some other key's credential does not stop it.
    let (other, _) = register(&rp, &key, &person, Some(vec![vec![7u8; 32]])).await;
    assert!(other.is_ok());
    assert_eq!(key.credential_count(), 2);

    let touches_before = person.touches();
    let (again, _) = register(&rp, &key, &person, Some(vec![first.cred_id().clone()])).await;
    assert_eq!(again.map(|_| ()), ctap(CtapError::Ctap2CredentialExcluded));
    assert_eq!(
        person.touches() - touches_before,
        2,
        "asked for the touch first"
    );
    assert_eq!(key.credential_count(), 2, "nothing new was made");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_excluded_credential_is_refused_even_without_a_touch() {
    let rp = rp();
    let key = VirtualAuthenticator::new(Config {
        keepalive_interval: Duration::from_millis(10),
        up_timeout: Duration::from_millis(200),
        ..Config::ctap21().with_pin(PIN)
    });
    let person = Person::answering(&[PIN, PIN, PIN]);
    let (first, state) = register(&rp, &key, &person, None).await;
    let first = rp
        .finish_securitykey_registration(&first.unwrap(), &state)
        .unwrap();
    // CTAP 2.1 §6.1.2 step 12: touched, timed out or refused, the answer is CREDENTIAL_EXCLUDED.
    for presence in [Presence::Manual, Presence::Denied] {
        key.set_presence(presence);
        let (again, _) = register(&rp, &key, &person, Some(vec![first.cred_id().clone()])).await;
        assert_eq!(
            again.map(|_| ()),
            ctap(CtapError::Ctap2CredentialExcluded),
            "{presence:?}"
        );
    }
    assert_eq!(key.credential_count(), 1, "nothing new was made");
}

// ---- 4. no PIN, but the RP wants UV --------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_pin_while_uv_is_preferred_fails_in_the_crate_before_the_key() {
    let rp = rp();
    let key = VirtualAuthenticator::new(Config::ctap21());
    let person = Person::answering(&[PIN]);
    let (result, _) = register(&rp, &key, &person, None).await;
    // The crate plans PIN/UV itself: clientPin=false and UV preferred →
    // UserVerificationRequired, and nothing but getInfo reaches the key.
    assert_eq!(
        result.map(|_| ()),
        Err(WebauthnCError::UserVerificationRequired)
    );
    assert_eq!(person.prompts(), 0);
    assert!(key
        .requests()
        .iter()
        .all(|e| e.kind == RequestKind::GetInfo));

    // Asked directly, the key answers getPinToken with PIN_NOT_SET (0x35)…
    let mut raw = vec![0x06];
    raw.extend(
        serde_cbor_2::to_vec(&BTreeMap::from([
            (1u32, Value::Integer(2)),
            (2, Value::Integer(5)),
            (
                3,
                Value::Map(BTreeMap::from([
                    (Value::Integer(1), Value::Integer(2)),
                    (Value::Integer(3), Value::Integer(-25)),
                    (Value::Integer(-1), Value::Integer(1)),
                    (Value::Integer(-2), Value::Bytes(vec![1; 32])),
                    (Value::Integer(-3), Value::Bytes(vec![2; 32])),
                ])),
            ),
            (6, Value::Bytes(vec![0; 32])),
        ]))
        .unwrap(),
    );
    let mut direct = key.clone();
    let answer = block_on(direct.transmit_raw(&raw, &*person));
    assert_eq!(answer, Err(WebauthnCError::Ctap(CtapError::Ctap2PinNotSet)));

    // …and the 2.0 "which key?" probe (zero-length pinUvAuthParam) answers PIN_NOT_SET after
    // the touch, which the crate's `selection` takes as "touched".
    let key =
        VirtualAuthenticator::new(Config::ctap20().with_presence(Presence::AfterKeepalives(1)));
    let probe = with_authenticator(&key, &person, |a| block_on(a.selection())).await;
    assert_eq!(probe, Ok(()));
    assert_eq!(
        key.last_request().map(|e| (e.kind, e.status)),
        Some((RequestKind::MakeCredential, 0x35))
    );
    assert_eq!(key.credential_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selection_probe_on_a_pin_key_costs_no_retry() {
    let key = VirtualAuthenticator::new(Config::ctap20().with_pin(PIN));
    let person = Person::answering(&[]);
    let probe = with_authenticator(&key, &person, |a| block_on(a.selection())).await;
    assert_eq!(probe, Ok(()));
    assert_eq!(key.last_request().map(|e| e.status), Some(0x31));
    assert_eq!(key.pin_retries(), 8);

    // A 2.1 key gets authenticatorSelection (0x0B) instead.
    let key = VirtualAuthenticator::new(Config::ctap21().with_pin(PIN));
    let probe = with_authenticator(&key, &person, |a| block_on(a.selection())).await;
    assert_eq!(probe, Ok(()));
    assert_eq!(
        key.last_request().map(|e| e.kind),
        Some(RequestKind::Selection)
    );
}

// ---- 5. presence: delayed, never + cancel, never + timeout, denied ------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_touch_then_cancel_gives_keepalive_cancel() {
    let rp = rp();
    let key = VirtualAuthenticator::new(Config {
        keepalive_interval: Duration::from_millis(20),
        ..Config::ctap21()
            .with_pin(PIN)
            .with_presence(Presence::Manual)
    });
    let person = Person::answering(&[PIN, PIN]);
    let ceremony = {
        let (rp, key, person) = (rp.clone(), key.clone(), Arc::clone(&person));
        tokio::spawn(async move { register(&rp, &key, &person, None).await.0 })
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while !(key.is_waiting_for_touch() && person.touches() >= 3) {
        assert!(Instant::now() < deadline, "never asked for a touch");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // CTAPHID_CANCEL through the Token trait, on the test's clone of the key.
    let cancelled_at = Instant::now();
    Token::cancel(&mut key.clone()).await.unwrap();
    let result = ceremony.await.unwrap();
    let latency = cancelled_at.elapsed();
    assert_eq!(result.map(|_| ()), ctap(CtapError::Ctap2KeepAliveCancel));
    assert!(latency < Duration::from_millis(500), "{latency:?}");
    assert_eq!(key.cancels(), 1);
    assert!(!key.is_waiting_for_touch());
    assert_eq!(key.credential_count(), 0);

    // A CANCEL with nothing pending is ignored: the next request is not cancelled.
    Token::cancel(&mut key.clone()).await.unwrap();
    key.set_presence(Presence::Immediate);
    let (again, _) = register(&rp, &key, &person, None).await;
    assert!(again.is_ok(), "{again:?}");
    assert_eq!(key.cancels(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn touch_delayed_never_and_denied() {
    let rp = rp();
    let fast = |presence| Config {
        keepalive_interval: Duration::from_millis(10),
        up_timeout: Duration::from_millis(300),
        processing_keepalives: 1,
        ..Config::ctap21().with_pin(PIN).with_presence(presence)
    };

    // Delayed: exactly n UPNEEDED keep-alives (after one PROCESSING), then success.
    let key = VirtualAuthenticator::new(fast(Presence::AfterKeepalives(5)));
    let person = Person::answering(&[PIN]);
    assert!(register(&rp, &key, &person, None).await.0.is_ok());
    assert_eq!(person.touches(), 5);
    assert_eq!(person.processing.load(Ordering::SeqCst), 1);

    // Manual, touched by the test while it waits.
    let key = VirtualAuthenticator::new(fast(Presence::Manual));
    let person = Person::answering(&[PIN]);
    let ceremony = {
        let (rp, key, person) = (rp.clone(), key.clone(), Arc::clone(&person));
        tokio::spawn(async move { register(&rp, &key, &person, None).await.0 })
    };
    while !key.is_waiting_for_touch() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(key.touch());
    assert!(ceremony.await.unwrap().is_ok());
    assert!(!key.touch(), "nothing waits now");

    // Never: the key's own timeout, USER_ACTION_TIMEOUT (0x2F).
    let key = VirtualAuthenticator::new(fast(Presence::Manual));
    let person = Person::answering(&[PIN]);
    let started = Instant::now();
    let (result, _) = register(&rp, &key, &person, None).await;
    assert_eq!(result.map(|_| ()), ctap(CtapError::Ctap2UserActionTimeout));
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(person.touches() > 5);

    // Denied: OPERATION_DENIED (0x27).
    let key = VirtualAuthenticator::new(fast(Presence::Denied));
    let person = Person::answering(&[PIN]);
    let (result, _) = register(&rp, &key, &person, None).await;
    assert_eq!(result.map(|_| ()), ctap(CtapError::Ctap2OperationDenied));
}

// ---- 6. the credential verifies with webauthn-rs, and then authenticates ------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_key_registers_and_authenticates_through_ctap() {
    for config in [
        Config::ctap21(),
        Config::ctap20(),
        Config {
            aaguid: YUBIKEY_5_NFC_AAGUID,
            attestation: Attestation::None,
            ..Config::ctap21()
        },
    ] {
        let label = format!("{:?} {:?}", config.version, config.attestation);
        let expected_aaguid = config.aaguid;
        let rp = rp();
        let key = VirtualAuthenticator::new(config.with_pin(PIN));
        let person = Person::answering(&[PIN, PIN]);
        let (credential, state) = register(&rp, &key, &person, None).await;
        let credential = credential.unwrap();
        assert_eq!(
            aaguid_of(&auth_data(&credential)),
            expected_aaguid,
            "{label}"
        );
        let stored = rp
            .finish_securitykey_registration(&credential, &state)
            .unwrap();

        let result = authenticate(&rp, &key, &person, &stored)
            .await
            .unwrap_or_else(|e| panic!("{label}: {e:?}"));
        assert_eq!(result.cred_id(), stored.cred_id(), "{label}");
        assert!(result.user_verified(), "{label}: the PIN was used");
        assert!(result.counter() > 0, "{label}");
        assert_eq!(
            person.prompts(),
            2,
            "{label}: PIN asked again for the assertion"
        );
        assert_eq!(
            key.last_request().map(|e| (e.kind, e.status)),
            Some((RequestKind::GetAssertion, 0))
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passkey_with_uv_required_registers_and_authenticates() {
    let rp = rp();
    let key = VirtualAuthenticator::new(Config::ctap21().with_pin(PIN));
    let person = Person::answering(&[PIN, PIN]);
    let (options, state) = rp
        .start_passkey_registration(Uuid::new_v4(), "ada", "Ada", None)
        .unwrap();
    let credential =
        with_authenticator(&key, &person, move |a| a.do_registration(origin(), options))
            .await
            .unwrap();
    let passkey = rp.finish_passkey_registration(&credential, &state).unwrap();
    let (options, state) = rp
        .start_passkey_authentication(std::slice::from_ref(&passkey))
        .unwrap();
    let assertion = with_authenticator(&key, &person, move |a| {
        a.do_authentication(origin(), options)
    })
    .await
    .unwrap();
    let result = rp
        .finish_passkey_authentication(&assertion, &state)
        .unwrap();
    assert_eq!(result.cred_id(), passkey.cred_id());
    assert!(result.user_verified());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn softtoken_attestation_passes_an_attestation_ca_list() {
    let rp = rp();
    let key = VirtualAuthenticator::new(Config {
        attestation: Attestation::SoftToken,
        ..Config::ctap21().with_pin(PIN)
    });
    assert_eq!(key.aaguid(), SOFTTOKEN_AAGUID);
    let mut builder = AttestationCaListBuilder::new();
    builder
        .insert_device_der(
            &key.attestation_ca_der().unwrap(),
            SOFTTOKEN_AAGUID,
            "virtual".into(),
            BTreeMap::new(),
        )
        .unwrap();
    let person = Person::answering(&[PIN, PIN, PIN]);
    let (options, state) = rp
        .start_securitykey_registration(
            Uuid::new_v4(),
            "ada",
            "Ada",
            None,
            Some(builder.build()),
            None,
        )
        .unwrap();
    let credential =
        with_authenticator(&key, &person, move |a| a.do_registration(origin(), options))
            .await
            .unwrap();
    let stored = rp
        .finish_securitykey_registration(&credential, &state)
        .unwrap();
    assert!(matches!(
        stored.attestation().metadata,
        AttestationMetadata::Packed { aaguid } if aaguid == SOFTTOKEN_AAGUID
    ));
    // Excluded and authenticating work over SoftToken-made credentials too.
    let (again, _) = register(&rp, &key, &person, Some(vec![stored.cred_id().clone()])).await;
    assert_eq!(again.map(|_| ()), ctap(CtapError::Ctap2CredentialExcluded));
    let result = authenticate(&rp, &key, &person, &stored).await.unwrap();
    assert_eq!(result.cred_id(), stored.cred_id());
}

// ---- timing for `cargo xtask bench ctap` --------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_registration_timing() {
    let rp = rp();
    let key = VirtualAuthenticator::new(Config::ctap21().with_pin(PIN));
    let mut runs = Vec::new();
    for _ in 0..11 {
        let person = Person::answering(&[PIN]);
        let started = Instant::now();
        let (credential, state) = register(&rp, &key, &person, None).await;
        rp.finish_securitykey_registration(&credential.unwrap(), &state)
            .unwrap();
        runs.push(started.elapsed());
    }
    runs.sort();
    println!(
        "one registration (start, CtapAuthenticator::new, PIN proto 2, makeCredential, finish): \
         median {:?}, min {:?}, max {:?}",
        runs[runs.len() / 2],
        runs[0],
        runs[runs.len() - 1]
    );
    assert!(runs[runs.len() / 2] < Duration::from_secs(2));
}

// ---- a key that holds a credential from the start (the demo agent key) --------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_preset_credential_is_held_from_the_start_and_its_counter_starts_where_told() {
    let preset = PresetCredential::new(&[7; 32], "recovery.example.com", &[0x11; 32]).unwrap();
    let key = VirtualAuthenticator::new(Config {
        sign_count: 1_000,
        ..Config::ctap21().with_pin(PIN).with_credential(preset)
    });
    assert_eq!(key.credential_ids(), vec![vec![7u8; 32]]);
    // A new credential beside it; the counter goes on from the configured start.
    let rp = rp();
    let person = Person::answering(&[PIN]);
    let (credential, _) = register(&rp, &key, &person, None).await;
    credential.unwrap();
    assert_eq!(key.credential_count(), 2);
    assert_eq!(key.sign_count(), 1_001);
}
