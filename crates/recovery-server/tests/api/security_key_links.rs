//! Security-key enrolment links: the help desk e-mails one, the person's browser registers a
//! key on the page the service serves. The key here is webauthn-authenticator-rs's software
//! key answering the page's real options for the page's origin, with its PIN verified (the
//! page asks for user verification, as the credential's protection policy demands).

use recovery_api::help_desk::{AgentRole, AgentSignInMethod, CallerVerificationMethod, LinkSent};
use recovery_server::{
    client::Client,
    clock::Clock,
    flows::help_desk::security_key_link,
    help_desk::{Agent, AgentSession, Authorized, VerifiedCaller},
};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use sqlx::Row;
use time::Duration;
use webauthn_authenticator_rs::{softtoken::SoftToken, WebauthnAuthenticator};

use crate::{
    help_desk_support::{margaret_token, post_as, verified_by_email, verified_by_pin, MARGARET},
    on_both_databases,
    support::{
        all_at_once, expect_problem, Backend, TestService, ADA, ADA_DOB, ADA_EMAIL, ADA_PIN,
    },
};

on_both_databases!(
    a_link_registers_one_key_and_is_then_spent,
    a_link_stops_working_when_it_expires,
    five_refused_answers_end_a_link,
    of_two_answers_at_once_exactly_one_registers,
    unknown_and_malformed_codes_change_nothing,
    a_bad_lifetime_or_no_address_sends_nothing,
    an_agent_sends_a_link_through_the_guard,
    the_operator_sends_a_link_from_the_command_line,
);

pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// A service whose relying-party origin is the page's own: `http://localhost:PORT`.
pub async fn service(backend: Backend) -> TestService {
    TestService::start_with(backend, |config| {
        let port = config
            .devices
            .public_url
            .rsplit(':')
            .next()
            .unwrap()
            .to_owned();
        config.security_keys.rp_origin = format!("http://localhost:{port}");
        config.devices.public_url = format!("http://localhost:{port}");
    })
    .await
}

fn origin(service: &TestService) -> url::Url {
    url::Url::parse(&service.app.config.security_keys.rp_origin).unwrap()
}

/// What the guard hands an action: agent grace, verified ada by a sent code.
pub async fn authorized(service: &TestService, username: &str) -> Authorized {
    let directory = &service.app.directory;
    let person = directory.find_by_username(username).await.unwrap().unwrap();
    let agent = directory.find_by_username("grace").await.unwrap().unwrap();
    let now = service.clock.now();
    let session = AgentSession {
        id: "agent-session-1".to_owned(),
        agent: Agent {
            person: agent,
            role: AgentRole::HelpDesk,
        },
        method: AgentSignInMethod::SecurityKey,
        signed_in_at: now,
        expires_at: now + Duration::minutes(15),
    };
    let client = session.client(&Client {
        throttle_key: "kiosk:2".to_owned(),
        label: "Help Desk Kiosk 2".to_owned(),
        from_kiosk: true,
    });
    Authorized {
        session,
        person,
        caller: VerifiedCaller {
            id: "caller-verification-1".to_owned(),
            method: CallerVerificationMethod::SentCode,
            verified_at: now,
        },
        reason: "lost her keys, ticket 4711".to_owned(),
        client,
    }
}

/// Sends ada a link and reads its code from her e-mail.
pub async fn send_link(service: &TestService) -> (LinkSent, String) {
    let sent = security_key_link::send(&service.app, &authorized(service, ADA).await, None)
        .await
        .unwrap();
    (sent, latest_code(service).await)
}

async fn latest_code(service: &TestService) -> String {
    let mail = service
        .outbox()
        .await
        .into_iter()
        .rev()
        .find(|m| m.to == ADA_EMAIL && m.body.contains("/v1/enrolments/"))
        .expect("the link e-mail");
    let start = mail.body.find("/v1/enrolments/").unwrap() + "/v1/enrolments/".len();
    mail.body[start..start + 43].to_owned()
}

async fn get_page(service: &TestService, code: &str, language: &str) -> Response {
    service
        .http
        .get(service.url(&format!("/v1/enrolments/{code}")))
        .header("accept-language", language)
        .send()
        .await
        .unwrap()
}

async fn options(service: &TestService, code: &str) -> Response {
    service
        .http
        .post(service.url(&format!("/v1/enrolments/{code}/options")))
        .send()
        .await
        .unwrap()
}

async fn started(service: &TestService, code: &str) -> Value {
    let response = options(service, code).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.unwrap()
}

fn answer(service: &TestService, key: &mut SoftToken, started: &Value) -> Value {
    let options = serde_json::from_value(started["options"].clone()).unwrap();
    let credential = key.do_registration(origin(service), options).unwrap();
    serde_json::to_value(credential).unwrap()
}

async fn register(service: &TestService, code: &str, id: &str, credential: &Value) -> Response {
    service
        .http
        .post(service.url(&format!("/v1/enrolments/{code}/registration")))
        .json(&json!({ "registration_id": id, "name": "Blue key", "credential": credential }))
        .send()
        .await
        .unwrap()
}

async fn keys_of_ada(service: &TestService) -> Vec<recovery_api::authenticator::Authenticator> {
    let ada = service
        .app
        .directory
        .find_by_username(ADA)
        .await
        .unwrap()
        .unwrap();
    service
        .app
        .mfa
        .authenticators(&ada, service.clock.now())
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.kind == recovery_api::authenticator::AuthenticatorKind::SecurityKey)
        .collect()
}

async fn events(service: &TestService) -> Vec<String> {
    service.audit().await.into_iter().map(|r| r.event).collect()
}

async fn a_link_registers_one_key_and_is_then_spent(backend: Backend) {
    let service = service(backend).await;
    let (sent, code) = send_link(&service).await;
    assert_eq!(sent.sent_to, vec!["a•••@example.org".to_owned()]);
    let in_a_day = service.clock.now() + Duration::hours(24);
    assert_eq!(sent.expires_at.unix_timestamp(), in_a_day.unix_timestamp());

    // The link went only by e-mail, sealed at rest, and only its hash is stored.
    let mail = service
        .outbox()
        .await
        .into_iter()
        .find(|m| m.body.contains(&code))
        .unwrap();
    assert_eq!(mail.to, ADA_EMAIL);
    assert!(
        mail.body.contains("agent grace at Help Desk Kiosk 2"),
        "{}",
        mail.body
    );
    assert!(mail.body.contains(&format!(
        "{}/v1/enrolments/{code}",
        service.app.config.devices.public_url
    )));
    for table in ["outbox_messages", "security_key_links", "audit_events"] {
        let rows = sqlx::query(&format!("SELECT * FROM {table}"))
            .fetch_all(service.app.db.pool())
            .await
            .unwrap();
        for row in rows {
            for column in 0..row.len() {
                let text: Option<String> = row.try_get(column).ok().flatten();
                assert!(
                    !text.unwrap_or_default().contains(&code),
                    "the code is stored in {table}"
                );
            }
        }
    }
    let sent_record = service
        .audit()
        .await
        .into_iter()
        .find(|r| r.event == "security_key_link_sent")
        .unwrap();
    assert_eq!(sent_record.username.as_deref(), Some(ADA));
    assert_eq!(sent_record.client, "agent grace at Help Desk Kiosk 2");
    assert_eq!(sent_record.detail["help_desk"]["agent"], "grace");
    assert_eq!(
        sent_record.detail["help_desk"]["agent_session"],
        "agent-session-1"
    );
    assert_eq!(
        sent_record.detail["help_desk"]["caller_verification"],
        "sent_code"
    );
    assert_eq!(
        sent_record.detail["help_desk"]["reason"],
        "lost her keys, ticket 4711"
    );
    assert_eq!(sent_record.detail["valid_hours"], 24);

    // The page, in English and in Spanish, under a strict policy, never cached.
    let page = get_page(&service, &code, "en-GB,en;q=0.9").await;
    assert_eq!(page.status(), StatusCode::OK);
    let headers = page.headers().clone();
    assert_eq!(headers["content-security-policy"], CSP);
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["content-language"], "en");
    let html = page.text().await.unwrap();
    assert!(html.contains("Add your security key"), "{html}");
    assert!(html.contains("<script src=\"/v1/enrolments/assets/enrol.js\"></script>"));
    assert!(!html.contains(&code), "the page does not repeat the code");
    let spanish = get_page(&service, &code, "es-ES,es;q=0.9,en;q=0.5").await;
    assert_eq!(spanish.headers()["content-language"], "es");
    assert!(spanish
        .text()
        .await
        .unwrap()
        .contains("Añade tu llave de seguridad"));
    for (asset, content_type, needle) in [
        (
            "enrol.js",
            "text/javascript; charset=utf-8",
            "navigator.credentials.create",
        ),
        ("enrol.css", "text/css; charset=utf-8", "focus-visible"),
    ] {
        let response = service
            .http
            .get(service.url(&format!("/v1/enrolments/assets/{asset}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], content_type);
        assert!(response.text().await.unwrap().contains(needle));
    }

    // The page's two calls register a key for ada.
    let (mut key, _ca) = SoftToken::new(true).unwrap();
    let started = started(&service, &code).await;
    assert_eq!(
        started["origin"],
        service.app.config.security_keys.rp_origin
    );
    let credential = answer(&service, &mut key, &started);
    let registered = register(
        &service,
        &code,
        started["id"].as_str().unwrap(),
        &credential,
    )
    .await;
    assert_eq!(registered.status(), StatusCode::CREATED);
    let registered: Value = registered.json().await.unwrap();
    assert_eq!(registered["kind"], "security_key");
    assert_eq!(registered["name"], "Blue key");
    let keys = keys_of_ada(&service).await;
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].id, registered["id"]);

    let events = events(&service).await;
    assert!(
        events.contains(&"security_key_link_used".to_owned()),
        "{events:?}"
    );
    assert!(
        events.contains(&"security_key_registered".to_owned()),
        "{events:?}"
    );
    let used = service
        .audit()
        .await
        .into_iter()
        .find(|r| r.event == "security_key_link_used")
        .unwrap();
    assert_eq!(used.detail["sent_by"], "grace");
    assert!(service
        .outbox()
        .await
        .iter()
        .any(|m| m.to == ADA_EMAIL && m.body.contains("The security key \"Blue key\" was added")));

    // Spent: the page says so, and neither call works again.
    let again = get_page(&service, &code, "en").await;
    assert_eq!(again.status(), StatusCode::GONE);
    assert_eq!(again.headers()["content-security-policy"], CSP);
    let html = again.text().await.unwrap();
    assert!(html.contains("This link no longer works"), "{html}");
    assert!(
        html.contains("+1 201 555 0100"),
        "the help desk's number: {html}"
    );
    expect_problem(
        options(&service, &code).await,
        410,
        "enrolment_link_invalid",
    )
    .await;
    let twice = register(
        &service,
        &code,
        started["id"].as_str().unwrap(),
        &credential,
    )
    .await;
    expect_problem(twice, 410, "enrolment_link_invalid").await;
    assert_eq!(keys_of_ada(&service).await.len(), 1);
    service.stop().await;
}

async fn a_link_stops_working_when_it_expires(backend: Backend) {
    let service = service(backend).await;
    let (_, day_long) = send_link(&service).await;
    let sent = security_key_link::send(&service.app, &authorized(&service, ADA).await, Some(1))
        .await
        .unwrap();
    let hour_long = latest_code(&service).await;
    assert_eq!(
        sent.expires_at.unix_timestamp(),
        (service.clock.now() + Duration::hours(1)).unix_timestamp()
    );
    let started = started(&service, &hour_long).await;

    service.clock.advance(Duration::minutes(61));
    assert_eq!(
        get_page(&service, &hour_long, "en").await.status(),
        StatusCode::GONE
    );
    expect_problem(
        options(&service, &hour_long).await,
        410,
        "enrolment_link_invalid",
    )
    .await;
    let (mut key, _ca) = SoftToken::new(true).unwrap();
    let credential = answer(&service, &mut key, &started);
    let late = register(
        &service,
        &hour_long,
        started["id"].as_str().unwrap(),
        &credential,
    )
    .await;
    expect_problem(late, 410, "enrolment_link_invalid").await;

    assert_eq!(
        get_page(&service, &day_long, "en").await.status(),
        StatusCode::OK
    );
    service.clock.advance(Duration::hours(23));
    assert_eq!(
        get_page(&service, &day_long, "en").await.status(),
        StatusCode::GONE
    );
    expect_problem(
        options(&service, &day_long).await,
        410,
        "enrolment_link_invalid",
    )
    .await;
    assert!(keys_of_ada(&service).await.is_empty());
    service.stop().await;
}

async fn five_refused_answers_end_a_link(backend: Backend) {
    let service = service(backend).await;
    let (_, code) = send_link(&service).await;
    let (mut key, _ca) = SoftToken::new(true).unwrap();
    let first = started(&service, &code).await;
    let credential = answer(&service, &mut key, &first);
    let second = started(&service, &code).await;
    // An answer to another registration's challenge, then registrations that do not exist.
    let crossed = register(&service, &code, second["id"].as_str().unwrap(), &credential).await;
    expect_problem(crossed, 422, "security_key_rejected").await;
    for _ in 0..4 {
        let unknown = register(&service, &code, "no-such-registration", &credential).await;
        expect_problem(unknown, 409, "registration_invalid").await;
    }
    let failures = service
        .audit()
        .await
        .into_iter()
        .filter(|r| r.event == "security_key_registration_failed")
        .map(|r| r.detail["answers_left"].as_i64().unwrap())
        .collect::<Vec<_>>();
    assert_eq!(failures, vec![4, 3, 2, 1, 0]);

    // Even the right answer is refused now.
    let right = register(&service, &code, first["id"].as_str().unwrap(), &credential).await;
    expect_problem(right, 410, "enrolment_link_invalid").await;
    expect_problem(
        options(&service, &code).await,
        410,
        "enrolment_link_invalid",
    )
    .await;
    assert_eq!(
        get_page(&service, &code, "en").await.status(),
        StatusCode::GONE
    );
    assert!(keys_of_ada(&service).await.is_empty());
    service.stop().await;
}

async fn of_two_answers_at_once_exactly_one_registers(backend: Backend) {
    let service = service(backend).await;
    let (_, code) = send_link(&service).await;
    let mut answers = Vec::new();
    for _ in 0..2 {
        let (mut key, _ca) = SoftToken::new(true).unwrap();
        let started = started(&service, &code).await;
        let credential = answer(&service, &mut key, &started);
        answers.push((started["id"].as_str().unwrap().to_owned(), credential));
    }
    let url = service.url(&format!("/v1/enrolments/{code}/registration"));
    let http = service.http.clone();
    let statuses = all_at_once(2, |i| {
        let (id, credential) = answers[i].clone();
        let (url, http) = (url.clone(), http.clone());
        async move {
            http.post(url)
                .json(&json!({ "registration_id": id, "name": "", "credential": credential }))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    })
    .await;
    let mut sorted = statuses.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, vec![201, 410], "{statuses:?}");
    assert_eq!(keys_of_ada(&service).await.len(), 1);
    let used = events(&service)
        .await
        .into_iter()
        .filter(|e| e == "security_key_link_used")
        .count();
    assert_eq!(used, 1);
    service.stop().await;
}

async fn unknown_and_malformed_codes_change_nothing(backend: Backend) {
    let service = service(backend).await;
    let (_, code) = send_link(&service).await;
    let before = service.audit().await.len();
    // Well-shaped but not a link of ours: gone; not the shape of a code at all: not found.
    let unknown = "A".repeat(43);
    let page = get_page(&service, &unknown, "es").await;
    assert_eq!(page.status(), StatusCode::GONE);
    assert_eq!(page.headers()["content-security-policy"], CSP);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("Este enlace ya no funciona"));
    let body = expect_problem(
        options(&service, &unknown).await,
        410,
        "enrolment_link_invalid",
    )
    .await;
    assert!(!body.to_string().contains(&unknown));
    let credential = json!({ "id": "x", "rawId": "eA", "type": "public-key",
        "response": { "attestationObject": "eA", "clientDataJSON": "eA" } });
    let foreign = register(&service, &unknown, "no-such-registration", &credential).await;
    expect_problem(foreign, 410, "enrolment_link_invalid").await;
    for malformed in [
        "short".to_owned(),
        format!("{}A", code),
        code[..42].to_owned(),
        format!("{}!", &code[..42]),
    ] {
        let page = get_page(&service, &malformed, "en").await;
        assert_eq!(page.status(), StatusCode::NOT_FOUND, "{malformed}");
        assert!(page
            .text()
            .await
            .unwrap()
            .contains("This link no longer works"));
        let body = expect_problem(options(&service, &malformed).await, 404, "not_found").await;
        assert!(!body.to_string().contains(&malformed));
        let wrong = register(&service, &malformed, "r", &credential).await;
        expect_problem(wrong, 404, "not_found").await;
    }
    // Not text at all.
    expect_problem(options(&service, "%FF%FE").await, 400, "malformed_request").await;
    // A body the service cannot read leaves the link as it was.
    let unreadable = service
        .http
        .post(service.url(&format!("/v1/enrolments/{code}/registration")))
        .json(&json!({ "registration_id": "r", "credential": { "id": 5 } }))
        .send()
        .await
        .unwrap();
    expect_problem(unreadable, 422, "invalid_field").await;
    assert_eq!(service.audit().await.len(), before, "nothing was audited");
    let registrations: i64 = sqlx::query("SELECT COUNT(*) AS n FROM security_key_registrations")
        .fetch_one(service.app.db.pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
    assert_eq!(registrations, 0);
    assert_eq!(
        get_page(&service, &code, "en").await.status(),
        StatusCode::OK
    );
    service.stop().await;
}

async fn a_bad_lifetime_or_no_address_sends_nothing(backend: Backend) {
    let service = service(backend).await;
    let authorized = authorized(&service, ADA).await;
    for hours in [0, 25, 1000] {
        let refused = security_key_link::send(&service.app, &authorized, Some(hours)).await;
        let error = refused.unwrap_err();
        assert!(
            matches!(&error, recovery_server::error::RecoveryError::InvalidField(f) if f.field == "valid_hours"),
            "{error:?}"
        );
    }
    let mut nobody = authorized.clone();
    nobody.person.notification_emails.clear();
    let refused = security_key_link::send(&service.app, &nobody, None).await;
    assert!(matches!(
        refused,
        Err(recovery_server::error::RecoveryError::Conflict(_))
    ));
    let links: i64 = sqlx::query("SELECT COUNT(*) AS n FROM security_key_links")
        .fetch_one(service.app.db.pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
    assert_eq!(links, 0);
    assert!(!events(&service)
        .await
        .contains(&"security_key_link_sent".to_owned()));
    assert!(service
        .outbox()
        .await
        .iter()
        .all(|m| !m.body.contains("/v1/enrolments/")));
    service.stop().await;
}

async fn link_count(service: &TestService) -> i64 {
    sqlx::query("SELECT COUNT(*) AS n FROM security_key_links")
        .fetch_one(service.app.db.pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

async fn an_agent_sends_a_link_through_the_guard(backend: Backend) {
    let service = service(backend).await;
    let token = margaret_token(&service, 0).await;
    let path = "/v1/help-desk/people/ada/security-key-links";

    // Refused: no verified caller, the agent's own account, a bad lifetime or reason.
    let unverified = post_as(
        &service,
        &token,
        path,
        &json!({ "caller_verification": "nope", "reason": "ticket 1" }),
    )
    .await;
    expect_problem(unverified, 403, "caller_not_verified").await;
    let weak = verified_by_pin(&service, &token, ADA, ADA_DOB, ADA_PIN).await;
    let own = post_as(
        &service,
        &token,
        &format!("/v1/help-desk/people/{MARGARET}/security-key-links"),
        &json!({ "caller_verification": weak, "reason": "ticket 1" }),
    )
    .await;
    expect_problem(own, 403, "own_account").await;
    for (body, field) in [
        (
            json!({ "caller_verification": weak, "reason": "ticket 1", "valid_hours": 25 }),
            "valid_hours",
        ),
        (
            json!({ "caller_verification": weak, "reason": "ticket 1", "valid_hours": 0 }),
            "valid_hours",
        ),
        (
            json!({ "caller_verification": weak, "reason": "" }),
            "reason",
        ),
        (
            json!({ "caller_verification": weak, "reason": "a\nb" }),
            "reason",
        ),
    ] {
        let refused = expect_problem(
            post_as(&service, &token, path, &body).await,
            422,
            "invalid_field",
        )
        .await;
        assert_eq!(refused["field"], field);
    }
    assert_eq!(link_count(&service).await, 0);
    assert!(service
        .outbox()
        .await
        .iter()
        .all(|m| !m.body.contains("/v1/enrolments/")));

    // Date of birth + PIN is enough to send a link to the person's own addresses.
    let sent = post_as(&service, &token, path,
        &json!({ "caller_verification": weak, "reason": "lost keys, ticket 4711", "valid_hours": 2 })).await;
    assert_eq!(sent.status(), StatusCode::ACCEPTED);
    let sent: Value = sent.json().await.unwrap();
    assert_eq!(sent["sent_to"], json!(["a•••@example.org"]));
    assert!(
        !sent.to_string().contains("/v1/enrolments/"),
        "the agent never sees the link"
    );
    assert_eq!(link_count(&service).await, 1);
    let record = service
        .audit()
        .await
        .into_iter()
        .find(|r| r.event == "security_key_link_sent")
        .unwrap();
    assert_eq!(record.detail["valid_hours"], 2);
    assert_eq!(record.detail["help_desk"]["agent"], MARGARET);
    assert_eq!(
        record.detail["help_desk"]["caller_verification"],
        "date_of_birth_and_pin"
    );
    assert_eq!(
        record.detail["help_desk"]["reason"],
        "lost keys, ticket 4711"
    );

    // The e-mailed link works on the page.
    let code = latest_code(&service).await;
    let strong = verified_by_email(&service, &token, ADA).await;
    assert!(!strong.is_empty());
    let (mut key, _ca) = SoftToken::new(true).unwrap();
    let started = started(&service, &code).await;
    let credential = answer(&service, &mut key, &started);
    let registered = register(
        &service,
        &code,
        started["id"].as_str().unwrap(),
        &credential,
    )
    .await;
    assert_eq!(registered.status(), StatusCode::CREATED);
    assert!(service
        .outbox()
        .await
        .iter()
        .any(|m| m.to == ADA_EMAIL && m.body.contains("agent margaret at")));
    service.stop().await;
}

async fn admin(service: &TestService, args: &[&str]) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_recovery-server"))
        .args(args)
        .env("RECOVERY_DATABASE_URL", &service.database_url)
        .env("RECOVERY_PASSWORD_HASH__MEMORY_KIB", "256")
        .env("RECOVERY_PASSWORD_HASH__ITERATIONS", "1")
        .env(
            "RECOVERY_DEVICES__PUBLIC_URL",
            &service.app.config.devices.public_url,
        )
        .env("RUST_LOG", "warn")
        .output()
        .await
        .unwrap()
}

async fn the_operator_sends_a_link_from_the_command_line(backend: Backend) {
    let service = service(backend).await;
    for args in [
        vec!["help-desk", "security-key-link", "ada", "--reason", ""],
        vec![
            "help-desk",
            "security-key-link",
            "nobody",
            "--reason",
            "ticket 1",
        ],
        vec![
            "help-desk",
            "security-key-link",
            "ada",
            "--reason",
            "ticket 1",
            "--valid-hours",
            "30",
        ],
        vec!["help-desk", "security-key-link", "ada"],
    ] {
        let output = admin(&service, &args).await;
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.is_empty());
    }
    assert_eq!(link_count(&service).await, 0);

    let agents = admin(&service, &["help-desk", "agents"]).await;
    assert!(agents.status.success());
    let output = admin(
        &service,
        &[
            "help-desk",
            "security-key-link",
            "ada",
            "--reason",
            "lost keys, ticket 4711",
        ],
    )
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("a•••@example.org"), "{stdout}");
    assert!(
        !stdout.contains("/v1/enrolments/"),
        "the link is never printed: {stdout}"
    );
    let record = service
        .audit()
        .await
        .into_iter()
        .find(|r| r.event == "security_key_link_sent")
        .unwrap();
    assert_eq!(record.client, "the help desk");
    assert_eq!(
        record.detail["help_desk"]["caller_verification"],
        "operator"
    );
    assert_eq!(
        record.detail["help_desk"]["reason"],
        "lost keys, ticket 4711"
    );
    let code = latest_code(&service).await;
    assert_eq!(
        get_page(&service, &code, "en").await.status(),
        StatusCode::OK
    );
    service.stop().await;
}
