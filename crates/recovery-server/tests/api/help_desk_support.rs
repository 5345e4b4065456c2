//! What the help-desk tests share: the demo agents, their codes, signing in, verifying a caller.

use recovery_api::demo::{Channel, OutboxMessage};
use recovery_server::{flows, mfa::builtin::NewToken, otp::OtpSecret};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::support::{TestService, ADA_EMAIL};

pub const HOPPER: &str = "hopper";
pub const HOPPER_PASSWORD: &str = "cobol-compiler-1959";
pub const MARGARET: &str = "margaret";
pub const MARGARET_PASSWORD: &str = "apollo-guidance-1969";
/// RFC 4226's test key's codes, in order: margaret's token DEMO-000456 (and the token these
/// tests give hopper) answer them one by one.
pub const HOTP: [&str; 10] = [
    "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871",
    "520489",
];

/// Gives hopper a hardware token with the RFC 4226 key, so she can sign in with [`HOTP`] codes.
pub async fn give_hopper_a_token(service: &TestService) {
    let hopper = service
        .app
        .directory
        .find_by_username(HOPPER)
        .await
        .unwrap()
        .unwrap();
    let token = NewToken {
        serial: "TEST-HOPPER".to_owned(),
        secret: OtpSecret::from_bytes(b"12345678901234567890".to_vec()),
        counter: 0,
        owner: HOPPER.to_owned(),
    };
    service
        .app
        .builtin_provider()
        .import_tokens(
            &[(hopper, token)],
            recovery_server::clock::Clock::now(service.app.clock.as_ref()),
        )
        .await
        .unwrap();
}

pub async fn agent_sign_in(
    service: &TestService,
    username: &str,
    password: &str,
    passcode: &str,
) -> Response {
    let body = json!({ "username": username, "password": password, "passcode": passcode });
    service.post_json("/v1/help-desk/sessions", &body).await
}

/// Signs the agent in with a passcode and returns the agent token.
pub async fn agent_token(
    service: &TestService,
    username: &str,
    password: &str,
    passcode: &str,
) -> String {
    let response = agent_sign_in(service, username, password, passcode).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

pub async fn hopper_token(service: &TestService, code: usize) -> String {
    agent_token(service, HOPPER, HOPPER_PASSWORD, HOTP[code]).await
}

pub async fn margaret_token(service: &TestService, code: usize) -> String {
    agent_token(service, MARGARET, MARGARET_PASSWORD, HOTP[code]).await
}

pub async fn post_as(service: &TestService, token: &str, path: &str, body: &Value) -> Response {
    service
        .http
        .post(service.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Starts a caller verification for `username` with `body`.
pub async fn start_verification(
    service: &TestService,
    token: &str,
    username: &str,
    body: &Value,
) -> Response {
    let path = format!("/v1/help-desk/people/{username}/caller-verifications");
    post_as(service, token, &path, body).await
}

pub async fn check_code(
    service: &TestService,
    token: &str,
    username: &str,
    id: &str,
    code: &str,
) -> Response {
    let path = format!("/v1/help-desk/people/{username}/caller-verifications/{id}/code");
    post_as(service, token, &path, &json!({ "code": code })).await
}

/// The newest message to `to` on `channel`.
pub async fn newest_to(service: &TestService, channel: Channel, to: &str) -> OutboxMessage {
    service
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.channel == channel && m.to == to)
        .max_by_key(|m| m.id)
        .unwrap_or_else(|| panic!("no {channel:?} to {to}"))
}

/// The 6-digit code in a message ("… 123 456 …").
pub fn code_in(message: &OutboxMessage) -> String {
    let digits: String = message
        .body
        .split(|c: char| !c.is_ascii_digit() && c != ' ')
        .map(|part| part.replace(' ', ""))
        .find(|part| part.len() == 6)
        .unwrap_or_else(|| panic!("no code in {:?}", message.body));
    digits
}

/// A code e-mailed to ada, sent: the verification's id and the code.
pub async fn email_code_to_ada(service: &TestService, token: &str) -> (String, String) {
    let started = start_verification(
        service,
        token,
        "ada",
        &json!({ "method": "sent_code", "channel": "email" }),
    )
    .await;
    assert_eq!(started.status(), StatusCode::CREATED);
    let started: Value = started.json().await.unwrap();
    let code = code_in(&newest_to(service, Channel::Email, ADA_EMAIL).await);
    (started["id"].as_str().unwrap().to_owned(), code)
}

/// A caller verification of `username` by a code e-mailed and read back (strong).
pub async fn verified_by_email(service: &TestService, token: &str, username: &str) -> String {
    let person = service
        .app
        .directory
        .find_by_username(username)
        .await
        .unwrap()
        .unwrap();
    let started = start_verification(
        service,
        token,
        username,
        &json!({ "method": "sent_code", "channel": "email" }),
    )
    .await;
    assert_eq!(started.status(), StatusCode::CREATED);
    let id = started.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let code = code_in(&newest_to(service, Channel::Email, &person.notification_emails[0]).await);
    let checked = check_code(service, token, username, &id, &code).await;
    assert_eq!(checked.status(), StatusCode::OK);
    id
}

/// A caller verification by date of birth + recovery PIN (weak).
pub async fn verified_by_pin(
    service: &TestService,
    token: &str,
    username: &str,
    date_of_birth: &str,
    pin: &str,
) -> String {
    let started = start_verification(
        service,
        token,
        username,
        &json!({ "method": "date_of_birth_and_pin", "date_of_birth": date_of_birth, "pin": pin }),
    )
    .await;
    assert_eq!(started.status(), StatusCode::CREATED);
    started.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Enrolls a kiosk and returns its credential.
pub async fn kiosk_credential(service: &TestService, name: &str) -> String {
    let (_, token) = flows::kiosk::create_enrollment(&service.app, name)
        .await
        .unwrap();
    let body = json!({ "enrollment_token": token.expose() });
    let enrolled = service.post_json("/v1/kiosks/enrollments", &body).await;
    assert_eq!(enrolled.status(), StatusCode::CREATED);
    let enrolled: Value = enrolled.json().await.unwrap();
    enrolled["credential"].as_str().unwrap().to_owned()
}

/// How many audit records of this event there are.
pub async fn count_events(service: &TestService, event: &str) -> usize {
    service
        .audit()
        .await
        .iter()
        .filter(|r| r.event == event)
        .count()
}
