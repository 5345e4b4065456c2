//! The journeys through the built app, one fresh app (and embedded demo service) per test.
//! Run by `cargo xtask test` / `cargo xtask screenshots` (see the crate's documentation);
//! ignored by a plain `cargo test`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use fantoccini::key::Key;
use recovery_desk_e2e::{
    contains_word, decode_qr_png, decode_qr_svg_data_uri, digits, files_under, message, Desk,
    Launch,
};
use serde_json::Value;

/// The longest a test may take (the kiosk test waits 15 s of idle time; most take 5–10 s).
const TEST_TIME: Duration = Duration::from_secs(180);

const ADA: (&str, &str, &str, &str) = ("ada", "correct-horse-battery", "1985-12-10", "246810");

/// Launches, runs `body`, and ends the test (saving the failure's evidence).
macro_rules! e2e {
    ($name:ident, $launch:expr, $body:ident) => {
        #[tokio::test]
        #[ignore = "end-to-end: needs the built app, tauri-driver and Xvfb; run `cargo xtask test`"]
        async fn $name() {
            let started = Instant::now();
            let mut desk = Desk::launch(stringify!($name), $launch)
                .await
                .expect("the app did not start");
            // A WebDriver command that never answers fails the test (with its evidence)
            // instead of stalling the suite.
            let result = match tokio::time::timeout(TEST_TIME, $body(&mut desk)).await {
                Ok(result) => result,
                Err(_) => Err(anyhow::anyhow!("the test did not finish in {TEST_TIME:?}")),
            };
            let result = desk.finish(result).await;
            eprintln!(
                "{}: {:.1}s",
                stringify!($name),
                started.elapsed().as_secs_f64()
            );
            if let Err(error) = result {
                panic!("{error:?}");
            }
        }
    };
}

/// Start → sign in → date of birth and PIN → the devices hub.
async fn ada_to_devices(d: &Desk, choice: &str) -> Result<()> {
    d.screen("start").await?;
    d.click(&format!("choice-{choice}")).await?;
    d.el("username").await?;
    d.screen("sign-in").await?;
    d.type_into("username", ADA.0).await?;
    d.type_into("password", ADA.1).await?;
    d.click("sign-in-submit").await?;
    d.el("date-of-birth").await?;
    d.screen("verify").await?;
    d.submit_pin(ADA.2, ADA.3).await?;
    d.on_devices().await?;
    d.screen("devices").await
}

/// The hub → a new bypass code; returns it as shown (`123 456 789`).
async fn get_bypass_code(d: &Desk) -> Result<String> {
    d.click("action-bypass-code").await?;
    let code = d.bypass_code().await?;
    d.screen("bypass-code").await?;
    Ok(code)
}

/// "Finish and clear" from Done → Start.
async fn done_and_finish(d: &Desk) -> Result<()> {
    d.click("action-done").await?;
    d.el("done-list").await?;
    d.screen("done").await?;
    d.click("finish").await?;
    d.el("choice-helpdesk-code").await?;
    Ok(())
}

/// Start → "The help desk gave me a code" → sign in → the passcode → submit.
async fn passcode_sign_in(d: &Desk, code: &str) -> Result<()> {
    d.sign_in("helpdesk-code", ADA.0, ADA.1).await?;
    d.el("passcode").await?;
    d.screen("verify-passcode").await?;
    d.type_into("passcode", code).await?;
    d.click("verify-submit").await
}

fn verification_failed_text(locale: &str) -> Result<String> {
    Ok(format!(
        "{} {}",
        message(locale, "error.verification_failed.what")?,
        message(locale, "error.verification_failed.next")?
    ))
}

#[path = "flows/help_desk.rs"]
mod help_desk;

// 1. A bypass code is shown, then accepted once by the passcode sign-in, then refused.
e2e!(
    bypass_code_works_exactly_once,
    Launch::default(),
    bypass_code_once
);
async fn bypass_code_once(d: &mut Desk) -> Result<()> {
    ada_to_devices(d, "one-time-code").await?;
    let code = get_bypass_code(d).await?;
    done_and_finish(d).await?;

    passcode_sign_in(d, &code).await?;
    d.on_devices()
        .await
        .context("the bypass code was not accepted")?;
    d.click("finish").await?;
    d.el("choice-helpdesk-code").await?;

    passcode_sign_in(d, &code).await?;
    let error = d.error_text().await?;
    ensure!(
        error == verification_failed_text("en")?,
        "a used bypass code got {error:?}"
    );
    ensure!(
        !d.has("session-countdown").await?,
        "signed in with a used code"
    );
    d.screen("verify-error").await
}

// 2. Five wrong PINs lock self-service, with the time to retry.
e2e!(
    five_wrong_pins_lock_with_retry_time,
    Launch::default(),
    wrong_pins
);
async fn wrong_pins(d: &mut Desk) -> Result<()> {
    d.sign_in("new-phone", ADA.0, ADA.1).await?;
    let failed = verification_failed_text("en")?;
    for attempt in 1..=4 {
        d.submit_pin(ADA.2, "111111").await?;
        let error = d.error_text().await?;
        ensure!(error == failed, "wrong PIN #{attempt} got {error:?}");
        wait_error_cleared_then(d).await?;
    }
    d.submit_pin(ADA.2, "111111").await?;
    let locked = message("en", "error.locked.what")?;
    let error = d.text_when("error", |t| t.starts_with(&locked)).await?;
    ensure!(
        has_clock_time(&error),
        "the locked message has no time to retry: {error:?}"
    );
    // And the right PIN is refused while locked.
    d.submit_pin(ADA.2, ADA.3).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let error = d.text_when("error", |t| t.starts_with(&locked)).await?;
    ensure!(
        has_clock_time(&error),
        "the locked message has no time to retry: {error:?}"
    );
    ensure!(!d.has("session-countdown").await?, "signed in while locked");
    d.screen("verify-locked").await
}

/// The error box is replaced on the next submit; wait until the form can be used again.
async fn wait_error_cleared_then(d: &Desk) -> Result<()> {
    let submit = d.el("verify-submit").await?;
    let start = Instant::now();
    while !submit.is_enabled().await? {
        if start.elapsed() > recovery_desk_e2e::WAIT {
            bail!("verify-submit stayed disabled");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// "at 11:45", "a las 11:45", "at 11:45 AM".
fn has_clock_time(text: &str) -> bool {
    let b = text.as_bytes();
    (0..b.len()).any(|i| {
        b[i] == b':'
            && i > 0
            && b[i - 1].is_ascii_digit()
            && b.get(i + 1).is_some_and(u8::is_ascii_digit)
            && b.get(i + 2).is_some_and(u8::is_ascii_digit)
    })
}

// 3. An unknown username reads exactly like a wrong PIN.
e2e!(
    unknown_user_reads_like_wrong_pin,
    Launch::default(),
    unknown_user
);
async fn unknown_user(d: &mut Desk) -> Result<()> {
    d.sign_in("new-phone", "nobody-here", "some-password-123")
        .await?;
    d.submit_pin(ADA.2, ADA.3).await?;
    let unknown = d.error_text().await?;
    // Back to SignIn, then ada with a wrong PIN.
    d.click("back").await?;
    d.el("username").await?;
    d.type_into("username", ADA.0).await?;
    d.type_into("password", ADA.1).await?;
    d.click("sign-in-submit").await?;
    d.el("date-of-birth").await?;
    d.submit_pin(ADA.2, "999999").await?;
    let wrong_pin = d.error_text().await?;
    ensure!(
        unknown == wrong_pin,
        "unknown user: {unknown:?}; wrong PIN: {wrong_pin:?}"
    );
    ensure!(
        unknown == verification_failed_text("en")?,
        "unexpected text {unknown:?}"
    );
    d.screen("verify-error").await
}

// 4. A landline, verified with the code the (demo) call speaks.
e2e!(
    landline_added_with_code_from_call,
    Launch::default(),
    landline
);
async fn landline(d: &mut Desk) -> Result<()> {
    ada_to_devices(d, "one-time-code").await?;
    let before = d.device_ids().await?;
    d.click("action-add-landline").await?;
    d.el("landline-number").await?;
    d.screen("add-landline").await?;
    d.type_into("landline-number", "+1 201 555 0142").await?;
    d.click("landline-submit").await?;
    d.text_when("landline-calling", |t| t.contains("0142"))
        .await?;
    d.el("landline-code").await?;
    d.screen("landline-calling").await?;

    d.click("demo-inbox-toggle").await?;
    d.el("demo-inbox").await?;
    let marker = "Your verification code is ";
    let start = Instant::now();
    let code = loop {
        let text = d.text("demo-inbox").await?;
        if let Some(at) = text.find(marker) {
            let rest = &text[at + marker.len()..];
            let spoken = rest.split('.').next().unwrap_or_default();
            break digits(spoken);
        }
        if start.elapsed() > recovery_desk_e2e::WAIT {
            bail!("no call in the demo inbox: {text:?}");
        }
        d.click("demo-inbox-refresh").await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    ensure!(code.len() == 6, "the call spoke {code:?}");
    d.screen("demo-inbox").await?;
    d.click("demo-inbox-toggle").await?;

    d.type_into("landline-code", &code).await?;
    d.click("landline-verify").await?;
    d.text_when("notice", |t| {
        t == message("en", "landline.added").unwrap_or_default()
    })
    .await?;
    d.on_devices().await?;
    let after = d.device_ids().await?;
    ensure!(
        after.len() == before.len() + 1,
        "devices before {before:?}, after {after:?}"
    );
    let new = after
        .iter()
        .find(|id| !before.contains(id))
        .context("no new device")?;
    let card = d.text(&format!("device-{new}")).await?;
    ensure!(card.contains("0142"), "the new device reads {card:?}");
    ensure!(
        card.contains(&message("en", "device.status.active")?),
        "the landline is not active: {card:?}"
    );
    d.screen("landline-added").await
}

// 5. Phone-app reactivation: the QR code decodes to the service's activation link, which
// redeems once.
e2e!(phone_app_qr_redeems_once, Launch::default(), phone_app);
async fn phone_app(d: &mut Desk) -> Result<()> {
    ada_to_devices(d, "app-not-working").await?;
    let ids = d.device_ids().await?;
    let phone = ids.first().context("ada has no device")?;
    d.click(&format!("device-qr-{phone}")).await?;
    let qr = d.el("activation-qr").await?;
    d.el("activation-countdown").await?;
    d.screen("phone-app").await?;

    let src = qr.attr("src").await?.context("the QR image has no src")?;
    let from_svg = decode_qr_svg_data_uri(&src)?;
    // What a phone camera would see: the picture as the web view draws it.
    let png = d.element_png("activation-qr").await?;
    let from_screen = decode_qr_png(&png)
        .with_context(|| format!("decoding the QR screenshot ({} bytes)", png.len()))?;
    ensure!(
        from_svg == from_screen,
        "the SVG says {from_svg:?}, the screen {from_screen:?}"
    );
    let link = from_screen;
    let service = d.service_url()?;
    let (origin, code) = link
        .split_once("/v1/activations/")
        .with_context(|| format!("not an activation link: {link:?}"))?;
    ensure!(
        !code.is_empty() && !code.contains('/'),
        "bad activation code in {link:?}"
    );

    // Redeem the code at the service itself, so that a wrong origin in the link (checked
    // last) does not hide whether the code works once.
    let at_service = format!("{service}/v1/activations/{code}");
    let http = reqwest::Client::new();
    let page = http.get(&at_service).send().await?;
    ensure!(page.status() == 200, "GET {at_service} → {}", page.status());
    let redeemed = http.post(&at_service).send().await?;
    ensure!(
        redeemed.status() == 200,
        "POST {at_service} → {}",
        redeemed.status()
    );
    let body: Value = redeemed.json().await?;
    let otpauth = body["otpauth_uri"].as_str().unwrap_or_default();
    ensure!(otpauth.starts_with("otpauth://"), "POST answered {body}");
    let again = http.post(&at_service).send().await?;
    ensure!(
        again.status().is_client_error(),
        "a second POST {at_service} → {}",
        again.status()
    );
    ensure!(
        origin == service,
        "the QR code links to {link}, but the demo service listens at {service}: a phone \
         cannot open it (the embedded service's activation links keep the default public_url)"
    );
    Ok(())
}

// 6. A lost device removed is gone from the hub.
e2e!(lost_device_removed, Launch::default(), remove_lost);
async fn remove_lost(d: &mut Desk) -> Result<()> {
    ada_to_devices(d, "new-phone").await?;
    let ids = d.device_ids().await?;
    let phone = ids.first().context("ada has no device")?.clone();
    d.click(&format!("device-remove-{phone}")).await?;
    d.el("remove-reason-lost").await?;
    d.screen("remove-device").await?;
    d.click("remove-reason-lost").await?;
    d.click("remove-confirm").await?;
    d.el("notice").await?;
    d.on_devices().await?;
    d.gone(&format!("device-{phone}")).await?;
    ensure!(
        !d.device_ids().await?.contains(&phone),
        "the removed device is still listed"
    );
    d.screen("device-removed").await
}

// 7. A help-desk code from the admin CLI opens the passcode path.
e2e!(
    help_desk_code_from_admin_cli,
    Launch::default(),
    admin_cli_code
);
async fn admin_cli_code(d: &mut Desk) -> Result<()> {
    let out = d.admin(&["bypass-code", "issue", "ada"])?;
    let line = out
        .lines()
        .find(|l| l.starts_with("Bypass code for"))
        .with_context(|| format!("the admin CLI printed {out:?}"))?;
    let code = line
        .rsplit(": ")
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned();
    ensure!(
        recovery_desk_e2e::is_grouped_code(&code),
        "the admin CLI's code reads {code:?}"
    );
    passcode_sign_in(d, &code).await?;
    d.on_devices()
        .await
        .context("the help-desk code was not accepted")?;
    Ok(())
}

// 8. Kiosk: the idle warning, the reset, and nothing personal left behind.
e2e!(
    kiosk_idle_reset_leaves_nothing,
    Launch {
        kiosk: true,
        help_desk: false,
        env: vec![
            (
                "RECOVERY_DESK_KIOSK__IDLE_WARNING_SECONDS".into(),
                "10".into()
            ),
            ("RECOVERY_DESK_KIOSK__IDLE_RESET_SECONDS".into(), "5".into()),
        ],
    },
    kiosk
);
async fn kiosk(d: &mut Desk) -> Result<()> {
    ada_to_devices(d, "one-time-code").await?;
    // The search below does find personal data while it is there.
    let words = ["ada", "Lovelace"];
    let shown = d.client.source().await?;
    ensure!(
        !personal(
            "the hub",
            shown.as_bytes(),
            &words,
            &["Ada Lovelace".to_owned()]
        )
        .is_empty(),
        "the hub does not show the person's name: the search below would prove nothing"
    );
    let code = get_bypass_code(d).await?;
    ensure!(!d.has("bypass-copy").await?, "copy offered in kiosk mode");
    let started = Instant::now();
    // No input from here: the warning after 10 s, the reset 5 s later.
    let warning = d.el_within("idle-warning", Duration::from_secs(40)).await?;
    let warned_after = started.elapsed();
    ensure!(
        warning.is_displayed().await?,
        "the idle warning is not visible"
    );
    d.el("idle-countdown").await?;
    d.screen("idle-warning").await?;
    d.gone("idle-warning").await?;
    d.el("choice-new-phone").await?;
    ensure!(
        warned_after >= Duration::from_secs(8),
        "warned after {warned_after:?}, before the idle time"
    );
    d.screen("start").await?;

    let phrases = ["Ada Lovelace".to_owned(), code.clone(), digits(&code)];

    let source = d.client.source().await?;
    let inputs = d
        .script("return [...document.querySelectorAll('input, textarea')].map((e) => e.value).join('\\n');")
        .await?;
    let storage = d
        .script(
            "const dump = (s) => { const o = {}; for (let i = 0; i < s.length; i++) { const k = s.key(i); o[k] = s.getItem(k); } return JSON.stringify(o); };
             return { local: dump(localStorage), session: dump(sessionStorage), cookie: document.cookie };",
        )
        .await?;
    let idb = d
        .script_async(
            "const done = arguments[arguments.length - 1];
             if (!indexedDB.databases) { done('(indexedDB.databases unsupported)'); return; }
             indexedDB.databases().then((l) => done(JSON.stringify(l.map((x) => x.name))), (e) => done('error: ' + e));",
        )
        .await?;
    let cookies = d.client.get_all_cookies().await?;
    let cookie_text: String = cookies
        .iter()
        .map(|c| format!("{}={}; ", c.name(), c.value()))
        .collect();
    let places: Vec<(String, Vec<u8>)> = vec![
        ("the page source".into(), source.into_bytes()),
        ("input values".into(), inputs.to_string().into_bytes()),
        (
            "localStorage".into(),
            storage["local"].to_string().into_bytes(),
        ),
        (
            "sessionStorage".into(),
            storage["session"].to_string().into_bytes(),
        ),
        (
            "document.cookie".into(),
            storage["cookie"].to_string().into_bytes(),
        ),
        ("IndexedDB names".into(), idb.to_string().into_bytes()),
        ("cookies".into(), cookie_text.into_bytes()),
    ];
    let mut found = Vec::new();
    for (place, bytes) in &places {
        found.extend(personal(place, bytes, &words, &phrases));
    }
    // The app's own files: HOME with every XDG folder inside it.
    let files = files_under(&d.home());
    for file in &files {
        let bytes = std::fs::read(file).unwrap_or_default();
        found.extend(personal(
            &file.display().to_string(),
            &bytes,
            &words,
            &phrases,
        ));
    }
    ensure!(
        found.is_empty(),
        "personal data left after the kiosk reset:\n  {}",
        found.join("\n  ")
    );
    eprintln!(
        "kiosk: warned after {:.1}s; checked the DOM, storage, cookies, IndexedDB and {} file(s) under HOME",
        warned_after.as_secs_f64(),
        files.len()
    );
    Ok(())
}

fn personal(place: &str, bytes: &[u8], words: &[&str], phrases: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    for w in words {
        if contains_word(bytes, w) {
            found.push(format!("{w:?} in {place}"));
        }
    }
    for p in phrases {
        if bytes.windows(p.len()).any(|win| win == p.as_bytes()) {
            found.push(format!("{p:?} in {place}"));
        }
    }
    found
}

// 9. Spanish on the main path: headings in Spanish, and the bypass code.
e2e!(spanish_main_path, Launch::default(), spanish);
async fn spanish(d: &mut Desk) -> Result<()> {
    d.choose_language("es").await?;
    let es = |key: &str| message("es", key);
    let en = |key: &str| message("en", key);
    ensure!(
        es("start.title")? != en("start.title")?,
        "start.title is not translated"
    );
    d.heading_is(&es("start.title")?).await?;
    d.screen("start").await?;
    d.click("choice-one-time-code").await?;
    d.heading_is(&es("signIn.title")?).await?;
    d.screen("sign-in").await?;
    d.type_into("username", ADA.0).await?;
    d.type_into("password", ADA.1).await?;
    d.click("sign-in-submit").await?;
    d.heading_is(&es("verify.title.pin")?).await?;
    d.screen("verify").await?;
    d.submit_pin(ADA.2, ADA.3).await?;
    d.on_devices().await?;
    let named = es("devices.title.named")?.replace("{name}", "Ada Lovelace");
    d.heading_is(&named).await?;
    d.screen("devices").await?;
    d.click("action-bypass-code").await?;
    d.heading_is(&es("bypass.title")?).await?;
    d.bypass_code().await?;
    d.screen("bypass-code").await?;
    d.click("action-done").await?;
    d.heading_is(&es("done.title")?).await?;
    d.screen("done").await?;
    let lang = d.script("return document.documentElement.lang").await?;
    ensure!(lang.as_str() == Some("es"), "<html lang> is {lang}");
    Ok(())
}

// 10. The bypass-code flow with the keyboard only: Tab, Enter, Space and typing.
e2e!(keyboard_only_bypass_code, Launch::default(), keyboard_only);
async fn keyboard_only(d: &mut Desk) -> Result<()> {
    d.tab_to("choice-one-time-code").await?;
    d.press(Key::Enter).await?;
    d.tab_to_when_there("username").await?;
    d.type_keys(ADA.0).await?;
    d.press(Key::Tab).await?;
    ensure!(
        d.focused().await? == "password",
        "Tab from username did not reach password"
    );
    d.type_keys(ADA.1).await?;
    d.press(Key::Enter).await?;
    d.tab_to_when_there("date-of-birth").await?;
    d.type_keys(ADA.2).await?;
    d.tab_to("pin").await?;
    d.type_keys(ADA.3).await?;
    d.press(Key::Enter).await?;
    d.on_devices().await?;
    d.tab_to("action-bypass-code").await?;
    d.press(Key::Space).await?;
    d.bypass_code().await?;
    d.tab_to("action-done").await?;
    d.press(Key::Enter).await?;
    d.tab_to_when_there("finish").await?;
    d.press(Key::Space).await?;
    d.el("choice-new-phone").await?;
    Ok(())
}

// 11. A code-generating token that gives wrong codes is resynced (as `grace`, whose demo token
// has the RFC 4226 test key), and the security-key screen is reachable from the hub.
e2e!(
    token_resynced_and_security_key_screen,
    Launch::default(),
    resync_token
);
async fn resync_token(d: &mut Desk) -> Result<()> {
    d.sign_in("token-bad-codes", "grace", "nanosecond-wire-30cm")
        .await?;
    d.el("date-of-birth").await?;
    d.submit_pin("1976-12-09", "135790").await?;
    d.on_devices().await?;
    let resync = d.testids("device-resync-").await?;
    let button = resync
        .first()
        .context("grace's token has no resync action")?;
    d.click(button).await?;
    d.el("resync-code-1").await?;
    d.screen("resync-token").await?;
    // RFC 4226 appendix D: the first three codes of the test key.
    for (field, code) in [
        ("resync-code-1", "755224"),
        ("resync-code-2", "287082"),
        ("resync-code-3", "359152"),
    ] {
        d.type_into(field, code).await?;
    }
    d.click("resync-submit").await?;
    d.el("notice").await?;
    d.on_devices().await?;
    d.screen("token-resynced").await?;
    d.click("action-security-key").await?;
    d.el("security-key-start").await?;
    d.screen("security-key").await
}

// 12. A security key registered with the demo key (a software CTAP2 authenticator driven through
// the same CTAP code as a USB key): first-time PIN set-up, touch, naming; then the same key
// again: its PIN is asked, a wrong one counts down, and the service refuses the key as already
// registered.
e2e!(
    security_key_registered_with_demo_key,
    Launch::default(),
    security_key
);
async fn security_key(d: &mut Desk) -> Result<()> {
    const KEY_PIN: &str = "482913";
    ada_to_devices(d, "new-phone").await?;
    d.click("action-security-key").await?;
    d.click("security-key-demo").await?;
    d.el("key-new-pin").await?;
    ensure!(
        d.text("key-model").await?.contains("Demo security key"),
        "the key's model is not shown"
    );
    d.screen("security-key-new-pin").await?;
    // Two different PINs are refused by the screen.
    d.type_into("key-new-pin", KEY_PIN).await?;
    d.type_into("key-new-pin-confirm", "482914").await?;
    d.click("key-new-pin-submit").await?;
    d.el("key-new-pin-confirm-error").await?;
    d.type_into("key-new-pin", KEY_PIN).await?;
    d.type_into("key-new-pin-confirm", KEY_PIN).await?;
    d.click("key-new-pin-submit").await?;
    d.el("key-demo-touch").await?;
    d.screen("security-key-touch").await?;
    d.click("key-demo-touch").await?;
    d.el("key-name").await?;
    d.screen("security-key-registered").await?;
    let name = d.el("key-name").await?;
    ensure!(
        name.prop("value").await?.as_deref() == Some("Demo security key"),
        "the name is not prefilled with the key's model"
    );
    name.clear().await?;
    d.type_into("key-name", "Blue key").await?;
    d.click("key-name-save").await?;
    d.el("notice").await?;
    d.on_devices().await?;
    let list = d.text("devices-list").await?;
    ensure!(
        list.contains("Blue key"),
        "the new key is not in the list: {list}"
    );
    d.screen("security-key-added").await?;
    let source = d.client.source().await?;
    ensure!(
        !source.contains(KEY_PIN),
        "the key's PIN is still in the page"
    );

    // The same key again: the PIN it now has is asked for; a wrong one costs one try.
    d.click("action-security-key").await?;
    d.click("security-key-demo").await?;
    d.el("key-pin").await?;
    let tries = d.text("key-pin-tries").await?;
    ensure!(tries.contains('8'), "tries left not shown: {tries}");
    d.screen("security-key-pin").await?;
    d.type_into("key-pin", "000000").await?;
    d.click("key-pin-submit").await?;
    let wrong = d.text("key-pin-wrong").await?;
    ensure!(wrong.contains('7'), "7 tries left not shown: {wrong}");
    d.screen("security-key-pin-wrong").await?;
    d.type_into("key-pin", KEY_PIN).await?;
    d.click("key-pin-submit").await?;
    // The key holds this account's credential (CTAP's exclude list): after the touch it says
    // so, and nothing is registered.
    d.click("key-demo-touch").await?;
    let error = d.error_text().await?;
    let expected = message("en", "error.key_already_registered.what")?;
    ensure!(
        error.contains(&expected),
        "expected \"{expected}\", got \"{error}\""
    );
    d.screen("security-key-already-registered").await?;
    Ok(())
}

// 13. Preparing before it is needed: with a bypass code (a passcode sign-in), Ada chooses a
// new recovery PIN, typed twice; then her date of birth and that PIN sign her in.
e2e!(
    recovery_pin_set_with_a_passcode_then_signs_in,
    Launch::default(),
    recovery_pin
);
async fn recovery_pin(d: &mut Desk) -> Result<()> {
    const NEW_PIN: &str = "480162";
    ada_to_devices(d, "one-time-code").await?;
    let code = get_bypass_code(d).await?;
    done_and_finish(d).await?;

    d.sign_in("recovery-pin", ADA.0, ADA.1).await?;
    d.el("passcode").await?;
    d.heading_is(&message("en", "verify.title.anyPasscode")?)
        .await?;
    ensure!(
        !d.has("use-pin").await?,
        "the PIN form is offered on the way to setting the PIN"
    );
    d.screen("verify-recovery-pin").await?;
    d.type_into("passcode", &code).await?;
    d.click("verify-submit").await?;

    d.el("new-pin")
        .await
        .context("the bypass code did not lead to the PIN screen")?;
    d.heading_is(&message("en", "recoveryPin.title.change")?)
        .await?;
    d.screen("recovery-pin").await?;
    d.type_into("new-pin", NEW_PIN).await?;
    d.type_into("confirm-pin", NEW_PIN).await?;
    d.click("recovery-pin-submit").await?;

    let changed = message("en", "done.item.recoveryPinChanged")?;
    d.text_when("done-list", |t| t.contains(&changed))
        .await
        .context("Done does not say the PIN was changed")?;
    d.screen("recovery-pin-set").await?;
    d.click("finish").await?;
    d.el("choice-new-phone").await?;

    // The new PIN opens a session.
    d.sign_in("new-phone", ADA.0, ADA.1).await?;
    d.submit_pin(ADA.2, NEW_PIN).await?;
    d.on_devices()
        .await
        .context("the new recovery PIN did not sign in")?;
    Ok(())
}
