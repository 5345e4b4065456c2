//! The private privacyIDEA that `cargo xtask test` starts, and the people each test adds to it.

use std::{
    io::Write,
    sync::atomic::{AtomicU32, Ordering},
};

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{Backend, TestService};
use recovery_api::Secret;
use recovery_server::{
    config::ProviderKind,
    directory::{NewPerson, PasswordSource},
    mfa::privacyidea::PrivacyIdeaConfig,
    otp::{self, OtpSecret},
};

pub const PASSWORD: &str = "correct-horse-battery";
pub const DOB: &str = "1985-12-10";
pub const PIN: &str = "246810";
/// RFC 4226's test key, so the token's codes are known.
pub const HOTP_KEY: &[u8] = b"12345678901234567890";

/// Where `cargo xtask test` put privacyIDEA.
pub struct Pi {
    pub url: String,
    pub admin: String,
    pub password: String,
    pub realm: String,
    pub rp_id: String,
    pub users: String,
    pub http: reqwest::Client,
}

pub fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "privacyIDEA tests need {name}; `cargo xtask test` installs and starts a private \
             privacyIDEA and sets it"
        )
    })
}

pub fn pi() -> Pi {
    let url = var("RECOVERY_TEST_PRIVACYIDEA_URL");
    let password_file = var("RECOVERY_TEST_PRIVACYIDEA_PASSWORD_FILE");
    Pi {
        url,
        admin: var("RECOVERY_TEST_PRIVACYIDEA_ADMIN"),
        password: std::fs::read_to_string(password_file)
            .unwrap()
            .trim()
            .to_owned(),
        realm: var("RECOVERY_TEST_PRIVACYIDEA_REALM"),
        rp_id: var("RECOVERY_TEST_PRIVACYIDEA_RP_ID"),
        users: var("RECOVERY_TEST_PRIVACYIDEA_USERS"),
        http: reqwest::Client::new(),
    }
}

impl Pi {
    pub fn origin(&self) -> String {
        format!("https://{}", self.rp_id)
    }

    pub fn config(&self) -> PrivacyIdeaConfig {
        PrivacyIdeaConfig {
            base_url: self.url.clone(),
            realm: self.realm.clone(),
            admin_user: self.admin.clone(),
            admin_password: Some(Secret::new(self.password.clone())),
            api_key: None,
            ca_file: None,
            timeout_seconds: 10,
            webauthn_origin: self.origin(),
        }
    }

    pub async fn service(&self, backend: Backend) -> TestService {
        let config = self.config();
        TestService::start_with(backend, |c| {
            c.provider = ProviderKind::PrivacyIdea;
            c.privacyidea = Some(config);
        })
        .await
    }

    pub async fn jwt(&self) -> String {
        let answer: Value = self
            .http
            .post(format!("{}/auth", self.url))
            .form(&[("username", &self.admin), ("password", &self.password)])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["result"]["value"]["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A call as the service's admin; the whole answer.
    pub async fn call(&self, method: reqwest::Method, path: &str, form: &[(&str, &str)]) -> Value {
        self.http
            .request(method, format!("{}{path}", self.url))
            .header("PI-Authorization", self.jwt().await)
            .form(form)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn enroll(&self, user: &str, form: &[(&str, &str)]) -> String {
        let mut form = form.to_vec();
        form.extend([("user", user), ("realm", self.realm.as_str())]);
        let answer = self.call(reqwest::Method::POST, "/token/init", &form).await;
        assert_eq!(answer["result"]["status"], true, "{answer}");
        answer["detail"]["serial"].as_str().unwrap().to_owned()
    }

    pub async fn hotp(&self, user: &str) -> String {
        let key: String = HOTP_KEY.iter().map(|b| format!("{b:02x}")).collect();
        self.enroll(
            user,
            &[
                ("type", "hotp"),
                ("otpkey", &key),
                ("description", "Desk token"),
            ],
        )
        .await
    }

    pub async fn totp(&self, user: &str) -> String {
        self.enroll(
            user,
            &[
                ("type", "totp"),
                ("genkey", "1"),
                ("description", "Old phone"),
            ],
        )
        .await
    }

    /// The user's tokens as privacyIDEA lists them.
    pub async fn tokens(&self, user: &str) -> Vec<Value> {
        let answer: Value = self
            .http
            .get(format!("{}/token/", self.url))
            .query(&[("user", user), ("realm", &self.realm)])
            .header("PI-Authorization", self.jwt().await)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["result"]["value"]["tokens"]
            .as_array()
            .unwrap()
            .clone()
    }

    pub async fn token(&self, user: &str, serial: &str) -> Value {
        self.tokens(user)
            .await
            .into_iter()
            .find(|t| t["serial"] == serial)
            .unwrap_or(Value::Null)
    }

    /// A new user in privacyIDEA's users file (read on every request), with a uid no other
    /// user of this run has: privacyIDEA binds tokens to the uid.
    pub fn add_user(&self) -> String {
        static NEXT_UID: AtomicU32 = AtomicU32::new(10_000);
        let uid = NEXT_UID.fetch_add(1, Ordering::Relaxed);
        let username = format!("p{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let mut users = std::fs::OpenOptions::new()
            .append(true)
            .open(&self.users)
            .unwrap();
        writeln!(
            users,
            "{username}:x:{uid}:{uid}:Test Person,,,:/home/{username}:/bin/sh"
        )
        .unwrap();
        username
    }

    /// A new person in privacyIDEA's users file and in the directory.
    pub async fn person(&self, service: &TestService) -> String {
        let username = self.add_user();
        let person = NewPerson {
            username: username.clone(),
            display_name: "Test Person".to_owned(),
            notification_emails: vec![format!("{username}@example.org")],
            phones: Vec::new(),
            date_of_birth: time::macros::date!(1985 - 12 - 10),
            password: PasswordSource::Plain(Secret::new(PASSWORD)),
            recovery_pin: Some(Secret::new(PIN)),
        };
        service
            .app
            .builtin_directory()
            .import(&[person], time::OffsetDateTime::now_utc())
            .await
            .unwrap();
        username
    }
}

pub fn hotp_code(counter: u64) -> String {
    otp::hotp(&OtpSecret::from_bytes(HOTP_KEY.to_vec()), counter)
}

pub async fn session(service: &TestService, username: &str) -> String {
    let response = service.sign_in(username, PASSWORD, DOB, PIN).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

pub async fn devices(service: &TestService, token: &str) -> Vec<Value> {
    let body: Value = service
        .get_with("/v1/me/authenticators", token)
        .await
        .json()
        .await
        .unwrap();
    body["authenticators"].as_array().unwrap().clone()
}

pub async fn remove(service: &TestService, token: &str, id: &str) -> reqwest::Response {
    service
        .http
        .delete(service.url(&format!("/v1/me/authenticators/{id}?reason=lost")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}
