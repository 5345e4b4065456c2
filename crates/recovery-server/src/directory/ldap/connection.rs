//! Opening connections to the directory: TLS always (LDAPS or StartTLS), against the configured
//! CA or the system's roots, within the connect timeout; and what an ldap3 failure means for
//! the service (the directory is down, or our settings are wrong).

use std::{sync::Arc, time::Duration};

use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, LdapError};
use rustls::{
    pki_types::{pem::PemObject, CertificateDer},
    ClientConfig, RootCertStore,
};

use super::config::LdapConfig;
use crate::directory::DirectoryError;

/// Everything needed to open a TLS connection to the directory; cheap to share.
pub(super) struct Connector {
    url: String,
    starttls: bool,
    tls: Option<Arc<ClientConfig>>,
    connect_timeout: Duration,
    operation_timeout: Duration,
}

impl Connector {
    /// Checks the URL and reads the CA file: refused settings stop the service at start.
    pub fn new(config: &LdapConfig) -> Result<Self, DirectoryError> {
        let url = url::Url::parse(&config.url).map_err(|error| {
            DirectoryError::Misconfigured(format!("directory.ldap.url {:?}: {error}", config.url))
        })?;
        match (url.scheme(), config.starttls) {
            ("ldaps", false) | ("ldap", true) => {}
            ("ldaps", true) => {
                return Err(DirectoryError::Misconfigured(
                    "directory.ldap: an ldaps:// URL is TLS already; set starttls = false".into(),
                ))
            }
            ("ldap", false) => {
                return Err(DirectoryError::Misconfigured(
                    "directory.ldap: an ldap:// URL needs starttls = true, so that passwords \
                     never travel in clear text (or use ldaps://)"
                        .into(),
                ))
            }
            (other, _) => {
                return Err(DirectoryError::Misconfigured(format!(
                    "directory.ldap.url: the scheme must be ldaps or ldap (got {other})"
                )))
            }
        }
        let tls = config.ca_file.as_deref().map(client_config).transpose()?;
        Ok(Self {
            url: config.url.clone(),
            starttls: config.starttls,
            tls,
            connect_timeout: config.connect_timeout(),
            operation_timeout: config.operation_timeout(),
        })
    }

    pub fn operation_timeout(&self) -> Duration {
        self.operation_timeout
    }

    /// A new connection, TLS established, nobody bound yet.
    pub async fn connect(&self) -> Result<Ldap, DirectoryError> {
        let mut settings = LdapConnSettings::new()
            .set_conn_timeout(self.connect_timeout)
            .set_starttls(self.starttls);
        if let Some(tls) = &self.tls {
            settings = settings.set_config(Arc::clone(tls));
        }
        let (connection, ldap) = LdapConnAsync::with_settings(settings, &self.url)
            .await
            .map_err(|error| failure("connecting to the directory", error))?;
        ldap3::drive!(connection);
        Ok(ldap)
    }
}

/// Trusts exactly the certificates in the PEM file.
fn client_config(path: &std::path::Path) -> Result<Arc<ClientConfig>, DirectoryError> {
    let unreadable = |why: String| {
        DirectoryError::Misconfigured(format!("directory.ldap.ca_file {}: {why}", path.display()))
    };
    let mut roots = RootCertStore::empty();
    for certificate in CertificateDer::pem_file_iter(path).map_err(|e| unreadable(e.to_string()))? {
        let certificate = certificate.map_err(|e| unreadable(e.to_string()))?;
        roots
            .add(certificate)
            .map_err(|e| unreadable(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(unreadable("no PEM certificate in it".into()));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| unreadable(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// What an ldap3 error says about the directory: unreachable or slow (`Unavailable`), or
/// refusing our TLS settings (`Misconfigured`: an untrusted certificate is not an outage).
pub(super) fn failure(doing: &str, error: LdapError) -> DirectoryError {
    match error {
        LdapError::Timeout { .. } => DirectoryError::Unavailable(format!("{doing}: timed out")),
        LdapError::Io { source } => match tls_error(&source) {
            Some(tls) => tls_refused(doing, tls),
            None => DirectoryError::Unavailable(format!("{doing}: {source}")),
        },
        LdapError::Rustls { source } => tls_refused(doing, &source),
        LdapError::DNSName { source } => DirectoryError::Misconfigured(format!(
            "{doing}: the URL's host is no valid TLS server name: {source}"
        )),
        LdapError::UrlParsing { .. } | LdapError::UnknownScheme(_) => {
            DirectoryError::Misconfigured(format!("{doing}: {error}"))
        }
        // StartTLS refused, typically.
        LdapError::LdapResult { result } => DirectoryError::Misconfigured(format!(
            "{doing}: the directory answered {} ({})",
            result.rc,
            result.text.trim_end_matches('\0')
        )),
        other => DirectoryError::Unavailable(format!("{doing}: {other}")),
    }
}

fn tls_error(error: &std::io::Error) -> Option<&rustls::Error> {
    error.get_ref()?.downcast_ref::<rustls::Error>()
}

fn tls_refused(doing: &str, error: &rustls::Error) -> DirectoryError {
    DirectoryError::Misconfigured(format!(
        "{doing}: TLS failed ({error}); check directory.ldap.ca_file and that the URL names a \
         host in the directory's certificate"
    ))
}
