//! Active Directory's refusals, end to end: an in-process fake domain controller (LDAPS with the
//! test slapd's certificate, `ldap3_proto` for the wire) answers binds the way AD does, with the
//! reason in the diagnostic message, and `objectGUID` as 16 raw bytes.

use std::{path::Path, sync::Arc};

use futures::{SinkExt, StreamExt};
use ldap3_proto::proto::{
    LdapBindCred, LdapBindResponse, LdapFilter, LdapMsg, LdapOp, LdapPartialAttribute, LdapResult,
    LdapResultCode, LdapSearchResultEntry,
};
use ldap3_proto::LdapCodec;
use recovery_api::Secret;
use recovery_server::{
    config::DirectoryKind,
    directory::{
        ldap::{config::IdEncoding, LdapConfig},
        Directory, LdapDirectory, PasswordCheck, PasswordRefusal,
    },
};
use rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::codec::Framed;
use uuid::Uuid;

use crate::{
    ldap_directory::{hr_facts, starttls_config},
    support::{Backend, TestService, ADA_DOB, ADA_PIN},
};

const SERVICE_DN: &str = "CN=svc-recovery,OU=Service Accounts,DC=corp,DC=example";
const SERVICE_PASSWORD: &str = "service-password";
const STAFF: &str = ",OU=Staff,DC=corp,DC=example";
const ADA_DN: &str = "CN=Ada Lovelace,OU=Staff,DC=corp,DC=example";
/// Its 16 bytes, in AD's mixed-endian order, are `abcdefghijklmnop`: `ldap3_proto` reads filter
/// values as UTF-8 only, so a GUID with other bytes could not be searched for in the fake (the
/// mapping of any 16 bytes is unit-tested in `directory::ldap::attributes`).
const ADA_GUID: &str = "64636261-6665-6867-696a-6b6c6d6e6f70";

/// What the fake DC answers a bind as Ada with this password: AD's `data` code, or success.
fn ad_answer(password: &str) -> Option<&'static str> {
    match password {
        "right" => None,
        "hours" => Some("530"),
        "workstation" => Some("531"),
        "expired" => Some("532"),
        "disabled" => Some("533"),
        "account-expired" => Some("701"),
        "must-change" => Some("773"),
        "locked" => Some("775"),
        _ => Some("52e"),
    }
}

fn invalid_credentials(msgid: i32, data: &str) -> LdapMsg {
    let message = format!(
        "80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data {data}, v3839\u{0}"
    );
    bind_response(msgid, LdapResultCode::InvalidCredentials, message)
}

fn bind_response(msgid: i32, code: LdapResultCode, message: String) -> LdapMsg {
    LdapMsg {
        msgid,
        op: LdapOp::BindResponse(LdapBindResponse {
            res: result(code, message),
            saslcreds: None,
        }),
        ctrl: vec![],
    }
}

fn result(code: LdapResultCode, message: String) -> LdapResult {
    LdapResult {
        code,
        matcheddn: String::new(),
        message,
        referral: vec![],
    }
}

/// Ada as the fake DC holds her; anyone else but `nobody` exists too, with a plain entry (the
/// demo data the test service loads looks up katherine and grace).
fn entry(msgid: i32, username: &str) -> LdapMsg {
    let attribute = |atype: &str, vals: Vec<Vec<u8>>| LdapPartialAttribute {
        atype: atype.to_owned(),
        vals,
    };
    let (dn, attributes) = if username == "ada" {
        let guid = Uuid::parse_str(ADA_GUID).unwrap().to_bytes_le().to_vec();
        let attributes = vec![
            attribute("sAMAccountName", vec![b"ada".to_vec()]),
            attribute("objectGUID", vec![guid]),
            attribute("displayName", vec![b"Ada Lovelace".to_vec()]),
            attribute("mail", vec![b"ada@corp.example".to_vec()]),
            attribute("telephoneNumber", vec![b"+44 20 7946 0018".to_vec()]),
        ];
        (ADA_DN.to_owned(), attributes)
    } else {
        let mut guid = format!("{username:.<16}").into_bytes();
        guid.truncate(16);
        let attributes = vec![
            attribute("sAMAccountName", vec![username.as_bytes().to_vec()]),
            attribute("objectGUID", vec![guid]),
        ];
        (format!("CN={username}{STAFF}"), attributes)
    };
    LdapMsg {
        msgid,
        op: LdapOp::SearchResultEntry(LdapSearchResultEntry { dn, attributes }),
        ctrl: vec![],
    }
}

/// Who a search asks for: the `sAMAccountName` compared in the filter, or Ada for a GUID.
fn wanted(filter: &LdapFilter) -> Option<String> {
    match filter {
        LdapFilter::And(all) | LdapFilter::Or(all) => all.iter().find_map(wanted),
        LdapFilter::Equality(attribute, value) if attribute == "sAMAccountName" => {
            (value != "nobody").then(|| value.clone())
        }
        LdapFilter::Equality(attribute, _) if attribute == "objectGUID" => Some("ada".to_owned()),
        _ => None,
    }
}

/// One LDAPS connection, answered as a domain controller would.
async fn serve(stream: tokio_rustls::server::TlsStream<tokio::net::TcpStream>) {
    let mut framed = Framed::new(stream, LdapCodec::default());
    while let Some(Ok(message)) = framed.next().await {
        let msgid = message.msgid;
        let replies = match message.op {
            LdapOp::BindRequest(bind) => {
                let LdapBindCred::Simple(password) = bind.cred else {
                    return;
                };
                let reply = match (bind.dn.as_str(), ad_answer(&password)) {
                    (SERVICE_DN, _) if password == SERVICE_PASSWORD => {
                        bind_response(msgid, LdapResultCode::Success, String::new())
                    }
                    (dn, None) if dn.ends_with(STAFF) => {
                        bind_response(msgid, LdapResultCode::Success, String::new())
                    }
                    (dn, Some(data)) if dn.ends_with(STAFF) => invalid_credentials(msgid, data),
                    // No such user.
                    _ => invalid_credentials(msgid, "525"),
                };
                vec![reply]
            }
            LdapOp::SearchRequest(search) => {
                let mut replies = Vec::new();
                if let Some(username) = wanted(&search.filter) {
                    replies.push(entry(msgid, &username));
                }
                replies.push(LdapMsg {
                    msgid,
                    op: LdapOp::SearchResultDone(result(LdapResultCode::Success, String::new())),
                    ctrl: vec![],
                });
                replies
            }
            _ => return,
        };
        for reply in replies {
            if framed.send(reply).await.is_err() {
                return;
            }
        }
    }
}

/// The fake DC on a free port, with the test slapd's server certificate.
async fn fake_domain_controller() -> String {
    let ca = starttls_config().ca_file.unwrap();
    let dir = ca.parent().unwrap_or(Path::new("."));
    let certificates: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(dir.join("server.pem"))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
    let key = PrivateKeyDer::from_pem_file(dir.join("server.key")).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certificates, key)
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "ldaps://127.0.0.1:{}",
        listener.local_addr().unwrap().port()
    );
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(tcp).await {
                    serve(tls).await;
                }
            });
        }
    });
    url
}

async fn active_directory() -> (LdapDirectory, tempfile::TempDir) {
    let config = active_directory_config().await;
    let (facts, dir) = hr_facts().await;
    (LdapDirectory::new(&config, "US", facts).unwrap(), dir)
}

async fn active_directory_config() -> LdapConfig {
    let mut config = starttls_config();
    config.url = fake_domain_controller().await;
    config.starttls = false;
    config.bind_dn = SERVICE_DN.to_owned();
    config.bind_password = Secret::new(SERVICE_PASSWORD);
    config.base_dn = "DC=corp,DC=example".to_owned();
    config.user_filter = "(&(objectCategory=person)(objectClass=user))".to_owned();
    config.attributes.username = "sAMAccountName".to_owned();
    config.attributes.id = "objectGUID".to_owned();
    config.attributes.id_encoding = IdEncoding::Guid;
    config.attributes.date_of_birth = None;
    config
}

#[tokio::test]
async fn ldap_active_directory_reasons_become_refusals() {
    let (directory, _facts) = active_directory().await;
    let cases = [
        ("wrong", PasswordRefusal::Invalid),
        ("hours", PasswordRefusal::NotAllowedNow),
        ("workstation", PasswordRefusal::NotAllowedNow),
        ("expired", PasswordRefusal::PasswordExpired),
        ("disabled", PasswordRefusal::AccountDisabled),
        ("account-expired", PasswordRefusal::AccountExpired),
        ("must-change", PasswordRefusal::MustChangePassword),
        ("locked", PasswordRefusal::LockedOut),
    ];
    for (password, expected) in cases {
        let check = directory
            .verify_password("ada", &Secret::new(password))
            .await
            .unwrap();
        assert!(
            matches!(check, PasswordCheck::Refused(refusal) if refusal == expected),
            "{password}: {check:?}"
        );
    }
    // AD's "no such user" (525) is the same refusal as a wrong password.
    let unknown = directory
        .verify_password("nobody", &Secret::new("locked"))
        .await
        .unwrap();
    assert!(
        matches!(unknown, PasswordCheck::Refused(PasswordRefusal::Invalid)),
        "{unknown:?}"
    );
}

#[tokio::test]
async fn ldap_active_directory_object_guid_is_the_person_id() {
    let (directory, _facts) = active_directory().await;
    let check = directory
        .verify_password("ada", &Secret::new("right"))
        .await
        .unwrap();
    let PasswordCheck::Verified(ada) = check else {
        panic!("expected Verified, got {check:?}");
    };
    assert_eq!(ada.id.0, ADA_GUID);
    assert_eq!(ada.username, "ada");
    assert_eq!(ada.phones, ["+442079460018"]);
    let again = directory.person(&ada.id).await.unwrap();
    assert_eq!(again, Some(ada));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ldap_active_directory_reason_reaches_the_audit_record_not_the_person() {
    let config = active_directory_config().await;
    let service = TestService::start_with(Backend::Sqlite, |c| {
        c.directory.kind = DirectoryKind::Ldap;
        c.directory.ldap = Some(config);
    })
    .await;
    let locked = service.sign_in("ada", "locked", ADA_DOB, ADA_PIN).await;
    let wrong = service.sign_in("ada", "wrong", ADA_DOB, ADA_PIN).await;
    assert_eq!(locked.status(), wrong.status());
    let (locked, wrong): (serde_json::Value, serde_json::Value) =
        (locked.json().await.unwrap(), wrong.json().await.unwrap());
    assert_eq!(locked["code"], wrong["code"], "{locked} / {wrong}");
    let refusals: Vec<serde_json::Value> = service
        .audit()
        .await
        .into_iter()
        .filter(|record| record.event == "verification_failed")
        .map(|record| record.detail["directory_refusal"].clone())
        .collect();
    assert_eq!(
        refusals,
        [serde_json::json!("locked_out"), serde_json::Value::Null]
    );
    service.stop().await;
}
