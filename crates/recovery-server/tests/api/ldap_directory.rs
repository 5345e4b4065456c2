//! The LDAP directory against a real OpenLDAP `slapd`, which `cargo xtask test` (or
//! `cargo xtask with-ldap -- cargo test -p recovery-server --test api ldap`) starts on loopback
//! with a test CA and the people of `xtask/ldap/seed.ldif`.

use std::{net::TcpListener, ops::Deref, path::PathBuf};

use recovery_api::Secret;
use recovery_server::{
    directory::{
        ldap::{
            config::{DateOfBirthFormat, LdapConfig},
            LdapWork,
        },
        Directory, DirectoryError, LdapDirectory, NewFacts, PasswordCheck, PasswordRefusal, Person,
        PersonId,
    },
    hr_facts::HrFacts,
    sealed::SealingKey,
    storage::Database,
    token::TokenHasher,
};
use tempfile::TempDir;
use time::macros::date;

use crate::support::{ADA, ADA_EMAIL, ADA_PASSWORD};

/// Where the test slapd is, from the environment `cargo xtask` sets.
struct TestServer {
    starttls_url: String,
    ldaps_url: String,
    ca: PathBuf,
    base_dn: String,
    bind_dn: String,
    bind_password: String,
}

fn server() -> TestServer {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!(
                "the LDAP tests need {name}: `cargo xtask test` starts a private OpenLDAP slapd \
                 and sets it (or run them alone with `cargo xtask with-ldap -- cargo test -p \
                 recovery-server --test api ldap`)"
            )
        })
    };
    TestServer {
        starttls_url: var("RECOVERY_TEST_LDAP_URL"),
        ldaps_url: var("RECOVERY_TEST_LDAPS_URL"),
        ca: PathBuf::from(var("RECOVERY_TEST_LDAP_CA")),
        base_dn: var("RECOVERY_TEST_LDAP_BASE_DN"),
        bind_dn: var("RECOVERY_TEST_LDAP_BIND_DN"),
        bind_password: var("RECOVERY_TEST_LDAP_BIND_PASSWORD"),
    }
}

/// StartTLS over `ldap://`, trusting the test CA, the date of birth as YYYYMMDD.
pub fn starttls_config() -> LdapConfig {
    let server = server();
    let mut config = LdapConfig {
        url: server.starttls_url,
        starttls: true,
        ca_file: Some(server.ca),
        bind_dn: server.bind_dn,
        bind_password: Secret::new(server.bind_password),
        base_dn: server.base_dn,
        connect_timeout_seconds: 5,
        operation_timeout_seconds: 5,
        pool_size: 2,
        ..LdapConfig::default()
    };
    config.attributes.date_of_birth = Some("recoveryDateOfBirth".to_owned());
    config.attributes.date_of_birth_format = DateOfBirthFormat::Yyyymmdd;
    config
}

fn ldaps_config() -> LdapConfig {
    LdapConfig {
        url: server().ldaps_url,
        starttls: false,
        ..starttls_config()
    }
}

/// HR facts on their own SQLite file, for the date of birth when LDAP has none.
pub async fn hr_facts() -> (HrFacts, TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("facts.db").display());
    let db = Database::open(&url).await.unwrap();
    let key = SealingKey::from_encoded(TokenHasher::generate_key().expose()).unwrap();
    (HrFacts::new(db, key), dir)
}

/// An LDAP directory, with the HR facts it falls back on.
pub struct TestDirectory {
    directory: LdapDirectory,
    facts: HrFacts,
    _dir: TempDir,
}

impl Deref for TestDirectory {
    type Target = LdapDirectory;

    fn deref(&self) -> &LdapDirectory {
        &self.directory
    }
}

async fn directory(config: &LdapConfig) -> TestDirectory {
    let (facts, dir) = hr_facts().await;
    let directory =
        LdapDirectory::new(config, "US", facts.clone()).expect("the settings are accepted");
    TestDirectory {
        directory,
        facts,
        _dir: dir,
    }
}

async fn check(directory: &LdapDirectory, username: &str, password: &str) -> PasswordCheck {
    directory
        .verify_password(username, &Secret::new(password))
        .await
        .expect("the directory answers")
}

fn verified(check: PasswordCheck) -> Person {
    match check {
        PasswordCheck::Verified(person) => person,
        other => panic!("expected Verified, got {other:?}"),
    }
}

fn assert_invalid(check: PasswordCheck, what: &str) {
    assert!(
        matches!(check, PasswordCheck::Refused(PasswordRefusal::Invalid)),
        "{what}: {check:?}"
    );
}

#[tokio::test]
async fn ldap_right_password_over_starttls_verifies_with_mapped_attributes() {
    let directory = directory(&starttls_config()).await;
    let ada = verified(check(&directory, ADA, ADA_PASSWORD).await);
    assert_eq!(ada.username, ADA);
    assert_eq!(ada.display_name, "Ada Lovelace");
    assert_eq!(ada.notification_emails, [ADA_EMAIL]);
    assert_eq!(ada.phones, ["+12015550123"]);
    // entryUUID, as slapd made it.
    assert!(uuid::Uuid::parse_str(&ada.id.0).is_ok(), "{:?}", ada.id);
}

#[tokio::test]
async fn ldap_right_password_over_ldaps_verifies_and_maps_every_value() {
    let directory = directory(&ldaps_config()).await;
    let grace = verified(check(&directory, "grace", "nanosecond-wire-30cm").await);
    assert_eq!(
        grace.notification_emails,
        ["grace.hopper@example.org", "g.hopper@navy.example.org"]
    );
    // "ext. 42" is no phone number: skipped.
    assert_eq!(grace.phones, ["+12015550142", "+12015550199"]);
    let alan = verified(check(&directory, "alan", "imitation-game-1950").await);
    assert_eq!(
        alan.display_name, "Alan Turing",
        "from cn, without displayName"
    );
    assert!(alan.phones.is_empty());
}

#[tokio::test]
async fn ldap_wrong_password_unknown_user_and_blank_password_are_one_refusal() {
    let directory = directory(&starttls_config()).await;
    assert_invalid(check(&directory, ADA, "not-the-password").await, "wrong");
    assert_invalid(check(&directory, "nobody", ADA_PASSWORD).await, "unknown");
    // Blank passwords would be unauthenticated binds: refused with no work at all.
    directory.probe().record();
    assert_invalid(check(&directory, ADA, "").await, "empty");
    assert_invalid(check(&directory, ADA, " \t ").await, "blank");
    assert_eq!(directory.probe().recorded(), []);
}

#[tokio::test]
async fn ldap_filter_injection_never_matches_anyone() {
    let directory = directory(&starttls_config()).await;
    for username in [
        "*",
        "ada)(uid=*",
        "\\2a",
        "a*",
        "*)(|(uid=*",
        "ada)(|(objectClass=*))",
        "ada\0",
    ] {
        assert_invalid(
            check(&directory, username, ADA_PASSWORD).await,
            &format!("{username:?}"),
        );
        let found = directory.find_by_username(username).await.unwrap();
        assert_eq!(found, None, "{username:?}");
    }
}

#[tokio::test]
async fn ldap_two_entries_with_one_username_are_nobody() {
    let directory = directory(&starttls_config()).await;
    assert_invalid(check(&directory, "twin", "twin-password-1").await, "twin");
    assert_eq!(directory.find_by_username("twin").await.unwrap(), None);
}

#[tokio::test]
async fn ldap_unknown_user_costs_what_a_wrong_password_costs() {
    let directory = directory(&starttls_config()).await;
    // Fill the pool first, so that no new service connection lands in one case only.
    directory.find_by_username(ADA).await.unwrap();
    let mut work = Vec::new();
    for (username, password) in [
        ("nobody", ADA_PASSWORD),
        (ADA, "not-the-password"),
        ("twin", "twin-password-1"),
        (ADA, ADA_PASSWORD),
    ] {
        directory.probe().record();
        check(&directory, username, password).await;
        work.push((username, directory.probe().recorded()));
    }
    let expected = [LdapWork::Search, LdapWork::Connect, LdapWork::PersonBind];
    for (username, recorded) in work {
        assert_eq!(recorded, expected, "{username}");
    }
}

#[tokio::test]
async fn ldap_person_and_find_by_username_agree() {
    let directory = directory(&starttls_config()).await;
    let katherine = directory
        .find_by_username("katherine")
        .await
        .unwrap()
        .expect("katherine is in the directory");
    assert_eq!(katherine.phones, ["+12015550178"]);
    let again = directory.person(&katherine.id).await.unwrap();
    assert_eq!(again.as_ref(), Some(&katherine));
    let verified = verified(check(&directory, "katherine", "orbital-trajectory-1962").await);
    assert_eq!(verified, katherine);
    for id in ["00000000-0000-0000-0000-000000000000", "*", ""] {
        let nobody = directory.person(&PersonId(id.to_owned())).await.unwrap();
        assert_eq!(nobody, None, "{id:?}");
    }
    assert_eq!(directory.find_by_username("nobody").await.unwrap(), None);
}

#[tokio::test]
async fn ldap_date_of_birth_is_read_in_each_format() {
    for (attribute, format) in [
        ("recoveryDateOfBirth", DateOfBirthFormat::Yyyymmdd),
        ("recoveryBirthDay", DateOfBirthFormat::YyyyMmDd),
        ("recoveryBirthDate", DateOfBirthFormat::GeneralizedTime),
    ] {
        let mut config = starttls_config();
        config.attributes.date_of_birth = Some(attribute.to_owned());
        config.attributes.date_of_birth_format = format;
        let directory = directory(&config).await;
        let ada = directory.find_by_username(ADA).await.unwrap().unwrap();
        let grace = directory.find_by_username("grace").await.unwrap().unwrap();
        let edsger = directory.find_by_username("edsger").await.unwrap().unwrap();
        assert_eq!(
            directory.date_of_birth(&ada).await.unwrap(),
            Some(date!(1985 - 12 - 10)),
            "{attribute}"
        );
        assert_eq!(
            directory.date_of_birth(&grace).await.unwrap(),
            Some(date!(1976 - 12 - 09)),
            "{attribute}"
        );
        assert_eq!(directory.date_of_birth(&edsger).await.unwrap(), None);
    }
    // The wrong format for the attribute shows at once.
    let mut config = starttls_config();
    config.attributes.date_of_birth = Some("recoveryBirthDay".to_owned());
    config.attributes.date_of_birth_format = DateOfBirthFormat::Yyyymmdd;
    let directory = directory(&config).await;
    let ada = directory.find_by_username(ADA).await.unwrap().unwrap();
    let error = directory.date_of_birth(&ada).await.unwrap_err();
    assert!(matches!(error, DirectoryError::Corrupt(_)), "{error:?}");
}

#[tokio::test]
async fn ldap_without_a_date_of_birth_attribute_the_hr_facts_answer() {
    let mut config = starttls_config();
    config.attributes.date_of_birth = None;
    let directory = directory(&config).await;
    let ada = directory.find_by_username(ADA).await.unwrap().unwrap();
    directory.probe().record();
    // No LDAP request is made for it: the HR facts answer.
    assert_eq!(directory.date_of_birth(&ada).await.unwrap(), None);
    let facts = [NewFacts {
        username: ADA.to_owned(),
        date_of_birth: date!(1985 - 12 - 10),
    }];
    directory
        .facts
        .import(&facts, time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert_eq!(
        directory.date_of_birth(&ada).await.unwrap(),
        Some(date!(1985 - 12 - 10))
    );
    assert_eq!(directory.probe().recorded(), []);
}

#[tokio::test]
async fn ldap_an_untrusted_certificate_is_a_clear_configuration_error() {
    for mut config in [starttls_config(), ldaps_config()] {
        // The system's roots, which do not include the test CA.
        config.ca_file = None;
        let directory = directory(&config).await;
        let error = directory.find_by_username(ADA).await.unwrap_err();
        assert!(
            matches!(&error, DirectoryError::Misconfigured(why) if why.contains("TLS")),
            "{}: {error:?}",
            config.url
        );
        let error = directory
            .verify_password(ADA, &Secret::new(ADA_PASSWORD))
            .await
            .unwrap_err();
        assert!(
            matches!(error, DirectoryError::Misconfigured(_)),
            "{error:?}"
        );
    }
}

#[tokio::test]
async fn ldap_a_refused_service_account_is_a_configuration_error() {
    let mut config = starttls_config();
    config.bind_password = Secret::new("not-the-service-password");
    let directory = directory(&config).await;
    let error = directory.find_by_username(ADA).await.unwrap_err();
    assert!(
        matches!(&error, DirectoryError::Misconfigured(why) if why.contains("service account")),
        "{error:?}"
    );
    assert!(!format!("{error}").contains("not-the-service-password"));
    let error = directory
        .verify_password(ADA, &Secret::new(ADA_PASSWORD))
        .await
        .unwrap_err();
    assert!(
        matches!(error, DirectoryError::Misconfigured(_)),
        "{error:?}"
    );
}

#[tokio::test]
async fn ldap_an_unreachable_or_silent_server_is_unavailable() {
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    // Accepts connections and never answers: StartTLS waits until the connect timeout.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    for url in [
        format!("ldap://127.0.0.1:{closed}"),
        format!("ldap://127.0.0.1:{}", silent.local_addr().unwrap().port()),
    ] {
        let config = LdapConfig {
            url: url.clone(),
            connect_timeout_seconds: 1,
            ..starttls_config()
        };
        let directory = directory(&config).await;
        let error = directory
            .verify_password(ADA, &Secret::new(ADA_PASSWORD))
            .await
            .unwrap_err();
        assert!(
            matches!(error, DirectoryError::Unavailable(_)),
            "{url}: {error:?}"
        );
    }
    drop(silent);
}

#[tokio::test]
async fn ldap_passwords_never_go_in_clear_text() {
    let config = LdapConfig {
        starttls: false,
        ..starttls_config()
    };
    let (facts, _dir) = hr_facts().await;
    let error = LdapDirectory::new(&config, "US", facts).unwrap_err();
    assert!(
        matches!(&error, DirectoryError::Misconfigured(why) if why.contains("starttls")),
        "{error:?}"
    );
}

#[tokio::test]
async fn ldap_group_members_are_agents_and_others_are_not() {
    use recovery_api::help_desk::AgentRole;
    use recovery_server::{config::HelpDeskConfig, help_desk::agents::role_of};
    let directory = directory(&starttls_config()).await;
    let config = HelpDeskConfig {
        ldap_group: Some("cn=help-desk,ou=groups,dc=example,dc=org".to_owned()),
        ldap_admin_group: Some("cn=mfa-admins,ou=groups,dc=example,dc=org".to_owned()),
        ..HelpDeskConfig::default()
    };
    let role = |username: &'static str| {
        let directory = &directory;
        let config = &config;
        async move {
            let person = directory.find_by_username(username).await.unwrap().unwrap();
            role_of(config, &directory.directory, &person)
                .await
                .unwrap()
        }
    };
    assert_eq!(role("grace").await, Some(AgentRole::HelpDesk));
    assert_eq!(role("katherine").await, Some(AgentRole::Admin));
    assert_eq!(role(ADA).await, None);
    // A group that does not exist is the configuration's fault, said so.
    let missing = HelpDeskConfig {
        ldap_group: Some("cn=nope,ou=groups,dc=example,dc=org".to_owned()),
        ..HelpDeskConfig::default()
    };
    let ada = directory.find_by_username(ADA).await.unwrap().unwrap();
    let error = role_of(&missing, &directory.directory, &ada)
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("service's configuration")
            || matches!(error, recovery_server::error::RecoveryError::Misconfigured),
        "{error}"
    );
}
