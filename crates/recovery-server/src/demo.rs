//! The demo directory: the people of shared/DESIGN.md that the embedded service, `serve --demo`,
//! the documentation and the tests rely on. Their secrets are public on purpose.

use recovery_api::{authenticator::PhoneType, help_desk::AgentRole, Secret};
use time::macros::date;

use crate::{
    app::App,
    config::AgentConfig,
    directory::{DirectoryError, NewPerson, PasswordSource},
    mfa::{
        builtin::{NewPhone, NewToken},
        ProviderError,
    },
    otp::OtpSecret,
};

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Directory(#[from] DirectoryError),
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error("a demo person is missing after import")]
    Missing,
    #[error("the demo agent's security key cannot be stored: {0}")]
    SecurityKey(#[from] crate::security_key::SecurityKeyError),
}

struct DemoPerson {
    username: &'static str,
    display_name: &'static str,
    email: &'static str,
    date_of_birth: time::Date,
    password: &'static str,
    pin: &'static str,
    phone: Option<(&'static str, &'static str, PhoneType, Option<&'static str>)>,
}

const PEOPLE: [DemoPerson; 6] = [
    DemoPerson {
        username: "ada",
        display_name: "Ada Lovelace",
        email: "ada.lovelace@example.org",
        date_of_birth: date!(1985 - 12 - 10),
        password: "correct-horse-battery",
        pin: "246810",
        phone: Some(("iPhone", "+12015550123", PhoneType::Mobile, Some("ios"))),
    },
    DemoPerson {
        username: "grace",
        display_name: "Grace Hopper",
        email: "grace.hopper@example.org",
        date_of_birth: date!(1976 - 12 - 09),
        password: "nanosecond-wire-30cm",
        pin: "135790",
        phone: Some((
            "Pixel 8",
            "+12015550145",
            PhoneType::Mobile,
            Some("android"),
        )),
    },
    DemoPerson {
        username: "katherine",
        display_name: "Katherine Johnson",
        email: "katherine.johnson@example.org",
        date_of_birth: date!(1968 - 08 - 26),
        password: "orbital-trajectory-1962",
        pin: "112358",
        phone: Some(("Office phone", "+12015550178", PhoneType::Landline, None)),
    },
    DemoPerson {
        username: "alan",
        display_name: "Alan Turing",
        email: "alan.turing@example.org",
        date_of_birth: date!(1992 - 06 - 23),
        password: "imitation-game-1950",
        pin: "975310",
        phone: None,
    },
    // The help-desk agents ([`agents`]).
    DemoPerson {
        username: "hopper",
        display_name: "Grace Hopper (help desk)",
        email: "hopper.helpdesk@example.org",
        date_of_birth: date!(1906 - 12 - 09),
        password: "cobol-compiler-1959",
        pin: "190612",
        phone: None,
    },
    DemoPerson {
        username: "margaret",
        display_name: "Margaret Hamilton",
        email: "margaret.hamilton@example.org",
        date_of_birth: date!(1936 - 08 - 17),
        password: "apollo-guidance-1969",
        pin: "196907",
        phone: None,
    },
];

/// The demo's help-desk agents: `hopper` (help desk; her security key, PIN 1906, is the app's
/// demo key in agent mode) and `margaret` (admin; hardware token DEMO-000456).
pub fn agents() -> Vec<AgentConfig> {
    vec![
        AgentConfig {
            username: "hopper".to_owned(),
            role: AgentRole::HelpDesk,
        },
        AgentConfig {
            username: "margaret".to_owned(),
            role: AgentRole::Admin,
        },
    ]
}

/// hopper's credential (webauthn-rs `SecurityKey` JSON) for the app's demo key
/// (`crates/virtual-ctap/src/demo_credential.rs`, PIN 1906): its public half only.
const HOPPER_SECURITY_KEY: Option<&str> = Some(include_str!("demo/hopper_security_key.json"));

/// Whether the demo people are already in the database (a demo restarted on its old data).
pub async fn is_loaded(app: &App) -> Result<bool, DemoError> {
    let ada = app.directory.find_by_username(PEOPLE[0].username).await?;
    Ok(ada.is_some())
}

/// Loads the demo people and their devices into the (fresh) database.
pub async fn load(app: &App) -> Result<(), DemoError> {
    let now = app.clock.now();
    let people: Vec<NewPerson> = PEOPLE
        .iter()
        .map(|p| NewPerson {
            username: p.username.to_owned(),
            display_name: p.display_name.to_owned(),
            notification_emails: vec![p.email.to_owned()],
            phones: p
                .phone
                .iter()
                .map(|(_, number, _, _)| (*number).to_owned())
                .collect(),
            date_of_birth: p.date_of_birth,
            password: PasswordSource::Plain(Secret::new(p.password)),
            recovery_pin: Some(Secret::new(p.pin)),
        })
        .collect();
    app.builtin_directory().import(&people, now).await?;
    let provider = app.builtin_provider();
    for demo in &PEOPLE {
        let Some((name, number, phone_type, platform)) = demo.phone else {
            continue;
        };
        let person = app
            .directory
            .find_by_username(demo.username)
            .await?
            .ok_or(DemoError::Missing)?;
        let phone = NewPhone {
            name: name.to_owned(),
            number: number.to_owned(),
            phone_type,
            platform: platform.map(str::to_owned),
            app_activated: phone_type == PhoneType::Mobile,
        };
        provider.add_phone(&person, &phone, now).await?;
    }
    // Grace's code-generating token uses RFC 4226's test key, so its codes can be computed
    // (the first ones: 755224, 287082, 359152, 969429, 338314).
    let grace = app
        .directory
        .find_by_username("grace")
        .await?
        .ok_or(DemoError::Missing)?;
    let token = NewToken {
        serial: "DEMO-000123".to_owned(),
        secret: OtpSecret::from_bytes(b"12345678901234567890".to_vec()),
        counter: 0,
        owner: "grace".to_owned(),
    };
    // Margaret's token uses the same test key: 755224, 287082, 359152… sign her in. (A demo
    // over another directory, as the LDAP tests run it, may not have the agents.)
    let mut tokens = vec![(grace, token)];
    if let Some(margaret) = app.directory.find_by_username("margaret").await? {
        let margaret_token = NewToken {
            serial: "DEMO-000456".to_owned(),
            secret: OtpSecret::from_bytes(b"12345678901234567890".to_vec()),
            counter: 0,
            owner: "margaret".to_owned(),
        };
        tokens.push((margaret, margaret_token));
    }
    provider.import_tokens(&tokens, now).await?;
    if let Some(key_json) = HOPPER_SECURITY_KEY {
        if app.directory.find_by_username("hopper").await?.is_some() {
            seed_hopper_key(app, key_json).await?;
        }
    }
    Ok(())
}

/// Registers `key_json` (a webauthn-rs `SecurityKey`) as hopper's security key for signing in
/// to the help-desk console.
pub async fn seed_hopper_key(app: &App, key_json: &str) -> Result<(), DemoError> {
    let hopper = app
        .directory
        .find_by_username("hopper")
        .await?
        .ok_or(DemoError::Missing)?;
    app.help_desk
        .keys
        .seed(&hopper.id, key_json, "Demo security key", app.clock.now())
        .await?;
    Ok(())
}
