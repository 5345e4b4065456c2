//! The outbox (demo mode, tests) holds no code in plain text, and a service outside demo mode
//! does not silently keep its messages there.

use std::process::Stdio;

use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Row;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

use crate::{
    landlines::spoken_code,
    on_both_databases,
    support::{Backend, TestService},
};
use recovery_api::demo::Channel;

on_both_databases!(the_outbox_keeps_no_code_in_plain_text);

async fn the_outbox_keeps_no_code_in_plain_text(backend: Backend) {
    let service = TestService::start(backend).await;
    let token = service.ada_token().await;
    let bypass_code = service.bypass_code(&token).await;
    let added = service
        .http
        .post(service.url("/v1/me/phones"))
        .bearer_auth(&token)
        .json(&json!({ "number": "+1 201 555 0199", "type": "landline" }))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), StatusCode::CREATED);
    let devices: Value = service
        .get_with("/v1/me/authenticators", &token)
        .await
        .json()
        .await
        .unwrap();
    let mobile = devices["authenticators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["phone"]["phone_type"] == "mobile")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let texted = service
        .post_with(&format!("/v1/me/phones/{mobile}/activation/sms"), &token)
        .await;
    assert_eq!(texted.status(), StatusCode::ACCEPTED);

    // The demo inbox still shows everything, codes included.
    let outbox = service.outbox().await;
    let call = outbox.iter().find(|m| m.channel == Channel::Voice).unwrap();
    let code = spoken_code(call);
    assert_eq!(code.len(), 6);
    let sms = outbox.iter().find(|m| m.channel == Channel::Sms).unwrap();
    let link = sms
        .body
        .split_whitespace()
        .find(|w| w.starts_with("http"))
        .unwrap();
    let activation = link.trim_end_matches('.').rsplit('/').next().unwrap();
    assert!(activation.len() >= 16, "{link}");

    // The database does not.
    let rows = sqlx::query("SELECT recipient, subject, body FROM outbox_messages")
        .fetch_all(service.app.db.pool())
        .await
        .unwrap();
    assert_eq!(rows.len(), outbox.len());
    let spelled: String = code
        .chars()
        .map(String::from)
        .collect::<Vec<_>>()
        .join(", ");
    for row in rows {
        let stored = format!(
            "{} {} {}",
            row.try_get::<String, _>("recipient").unwrap(),
            row.try_get::<Option<String>, _>("subject")
                .unwrap()
                .unwrap_or_default(),
            row.try_get::<String, _>("body").unwrap(),
        );
        for secret in [
            code.as_str(),
            spelled.as_str(),
            activation,
            bypass_code.as_str(),
        ] {
            assert!(
                !stored.contains(secret),
                "{secret} stored in plain text: {stored}"
            );
        }
        assert!(!stored.contains("verification code"), "{stored}");
    }
    service.stop().await;
}

/// `serve` with the default configuration (outbox) outside demo mode.
fn serve(dir: &tempfile::TempDir) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_recovery-server"));
    command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env(
            "RECOVERY_DATABASE_URL",
            format!("sqlite://{}", dir.path().join("s.db").display()),
        )
        .env("RECOVERY_PASSWORD_HASH__MEMORY_KIB", "256")
        .env("RECOVERY_PASSWORD_HASH__ITERATIONS", "1")
        .env("RUST_LOG", "warn")
        // Tests run in parallel: no two may bind the default admin port.
        .env("RECOVERY_HTTP__ADMIN_LISTEN", "off")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// Starts `serve`, waits until it listens, stops it, and returns what it wrote on stderr.
async fn started(mut command: tokio::process::Command) -> String {
    let mut child = command.spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = stdout.next_line().await.unwrap().unwrap_or_default();
    assert!(line.contains("listening"), "{line}");
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .await
        .unwrap();
    stderr
}

#[tokio::test]
async fn serve_refuses_the_outbox_outside_demo_mode_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    // Bounded: without the refusal the service would start and serve for good.
    let refused = tokio::time::timeout(std::time::Duration::from_secs(60), serve(&dir).output())
        .await
        .expect("serve exits instead of serving")
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("notify.kind is \"outbox\"") && stderr.contains("allow_outbox = true"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("s.db").exists(),
        "refused before touching the database"
    );

    let mut allowed = serve(&dir);
    allowed.env("RECOVERY_ALLOW_OUTBOX", "true");
    let stderr = started(allowed).await;
    for key in ["token_key", "otp_key"] {
        assert!(
            stderr.contains(&format!("{key} is not configured")),
            "a warning about the generated {key}: {stderr}"
        );
    }

    let mut with_keys = serve(&dir);
    with_keys
        .env("RECOVERY_ALLOW_OUTBOX", "true")
        .env(
            "RECOVERY_TOKEN_KEY",
            "dG9rZW4ta2V5LXRva2VuLWtleS10b2tlbi1rZXktMTI",
        )
        .env(
            "RECOVERY_OTP_KEY",
            "b3RwLWtleS1vdHAta2V5LW90cC1rZXktb3RwLWtleSE",
        );
    let stderr = started(with_keys).await;
    assert!(!stderr.contains("is not configured"), "{stderr}");
}
