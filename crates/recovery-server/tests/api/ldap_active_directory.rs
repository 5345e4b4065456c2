//! Active Directory's refusals, end to end: an in-process fake domain controller (LDAPS with the
//! test slapd's certificate, `ldap3_proto` for the wire) answers binds the way AD does, with the
//! reason in the diagnostic message, and `objectGUID` as 16 raw bytes.

use std::{path::Path, sync::Arc};

use futures::{SinkExt, StreamExt};
use ldap3_proto::proto::{
    LdapBindCred, LdapBindResponse, LdapMsg, LdapOp, LdapPartialAttribute, LdapResult,
    LdapResultCode, LdapSearchResultEntry,
};
use ldap3_proto::LdapCodec;
use recovery_api::Secret;
use recovery_server::directory::{
    ldap::config::IdEncoding, Directory, LdapDirectory, PasswordCheck, PasswordRefusal,
};
use rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::codec::Framed;
use uuid::Uuid;

use crate::ldap_directory::{hr_facts, starttls_config};

const SERVICE_DN: &str = "CN=svc-recovery,OU=Service Accounts,DC=corp,DC=example";
const SERVICE_PASSWORD: &str = "service-password";
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

fn ada_entry(msgid: i32) -> LdapMsg {
    let guid = Uuid::parse_str(ADA_GUID).unwrap().to_bytes_le().to_vec();
    let attribute = |atype: &str, vals: Vec<Vec<u8>>| LdapPartialAttribute {
        atype: atype.to_owned(),
        vals,
    };
    LdapMsg {
        msgid,
        op: LdapOp::SearchResultEntry(LdapSearchResultEntry {
            dn: ADA_DN.to_owned(),
            attributes: vec![
                attribute("sAMAccountName", vec![b"ada".to_vec()]),
                attribute("objectGUID", vec![guid]),
                attribute("displayName", vec![b"Ada Lovelace".to_vec()]),
                attribute("mail", vec![b"ada@corp.example".to_vec()]),
                attribute("telephoneNumber", vec![b"+44 20 7946 0018".to_vec()]),
            ],
        }),
        ctrl: vec![],
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
                    (ADA_DN, None) => bind_response(msgid, LdapResultCode::Success, String::new()),
                    (ADA_DN, Some(data)) => invalid_credentials(msgid, data),
                    // No such user.
                    _ => invalid_credentials(msgid, "525"),
                };
                vec![reply]
            }
            LdapOp::SearchRequest(search) => {
                let wanted = format!("{:?}", search.filter);
                let mut replies = Vec::new();
                if wanted.contains("\"ada\"") || wanted.contains("objectGUID") {
                    replies.push(ada_entry(msgid));
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
    let (facts, dir) = hr_facts().await;
    (LdapDirectory::new(&config, "US", facts).unwrap(), dir)
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
