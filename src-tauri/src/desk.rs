//! What the app holds while it runs: the journey on the configured service (or the embedded
//! demo service, kept alive here), the start-up information for the web view, and settings.

use std::path::Path;

use anyhow::Context;
use recovery_desk_core::{
    config::{DeskConfig, Locale, UpdaterSettings},
    embedded::{self, DemoService},
    journey::JourneyOptions,
    kiosk_credential::KioskCredentialStore,
    service_client::ServiceClient,
    view::AppInfo,
    Journey,
};

pub struct Desk {
    pub journey: Journey,
    pub info: AppInfo,
    pub updater: UpdaterSettings,
    /// The embedded demo service: stopped (and its database removed) with the app.
    _demo: Option<DemoService>,
}

impl Desk {
    /// Reads the configuration and connects to its service, or starts the demo service.
    pub async fn start(
        config_file: Option<&Path>,
        kiosk_flag: bool,
        demo_data_dir: Option<&Path>,
    ) -> anyhow::Result<Self> {
        let config = DeskConfig::load(&DeskConfig::system_path(), config_file)?;
        Self::with_config(config, kiosk_flag, demo_data_dir).await
    }

    pub async fn with_config(
        config: DeskConfig,
        kiosk_flag: bool,
        demo_data_dir: Option<&Path>,
    ) -> anyhow::Result<Self> {
        let kiosk = kiosk_flag || config.kiosk.enabled;
        let (client, demo) = match &config.service_url {
            Some(url) => (
                ServiceClient::new(url.clone(), kiosk_credential(url, kiosk))?,
                None,
            ),
            None => {
                let (service, client) = embedded::start_demo(demo_data_dir)
                    .await
                    .context("starting the embedded demo service")?;
                tracing::info!(url = %service.url(), "demo mode: the recovery service runs in-process with the demo directory");
                (client, Some(service))
            }
        };
        let info = AppInfo::new(
            &config,
            demo.is_some(),
            kiosk,
            env!("CARGO_PKG_VERSION"),
            config.logo_data_uri()?,
            system_locale(),
        );
        let journey = Journey::new(
            client,
            JourneyOptions {
                demo: demo.is_some(),
                copy_allowed: info.copy_allowed,
                min_key_pin_length: config.security_keys.min_pin_length,
            },
        );
        Ok(Self {
            journey,
            info,
            updater: config.updater,
            _demo: demo,
        })
    }

    pub fn kiosk(&self) -> bool {
        self.info.kiosk
    }
}

/// A kiosk's credential from the keyring; without one the kiosk still works, as any client.
fn kiosk_credential(url: &url::Url, kiosk: bool) -> Option<recovery_api::Secret> {
    if !kiosk {
        return None;
    }
    let stored = KioskCredentialStore::for_service(url).and_then(|store| store.load());
    match stored {
        Ok(Some(kiosk)) => Some(kiosk.credential),
        Ok(None) => {
            tracing::warn!(
                "kiosk mode without an enrolled credential: run `recovery-desk kiosk enroll`"
            );
            None
        }
        Err(error) => {
            tracing::warn!(%error, "the kiosk credential cannot be read");
            None
        }
    }
}

/// Spanish when the system's language is Spanish, else English.
fn system_locale() -> Locale {
    let language = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.is_empty());
    match language {
        Some(value) if value.starts_with("es") => Locale::Es,
        _ => Locale::En,
    }
}
