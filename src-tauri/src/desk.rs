//! What the app holds while it runs: the journey on the configured service (or the embedded
//! demo service, kept alive here), the help desk's console in agent mode, the start-up
//! information for the web view, and settings.

use std::path::Path;

use anyhow::Context;
use recovery_desk_core::{
    config::{DeskConfig, Locale, UpdaterSettings},
    embedded::{self, DemoService},
    help_desk::HelpDeskOptions,
    journey::JourneyOptions,
    kiosk_credential::KioskCredentialStore,
    security_key::PinReply,
    service_client::ServiceClient,
    view::{AppInfo, AppMode},
    FlowError, HelpDesk, Journey,
};

pub struct Desk {
    pub journey: Journey,
    /// The help desk's console: only in agent mode (`--help-desk`, `[help_desk] enabled`).
    pub help_desk: Option<HelpDesk>,
    pub info: AppInfo,
    pub updater: UpdaterSettings,
    /// The embedded demo service: stopped (and its database removed) with the app.
    _demo: Option<DemoService>,
}

impl Desk {
    /// Reads the configuration and connects to its service, or starts the demo service.
    /// `help_desk_flag`: `--help-desk`, the same as `[help_desk] enabled = true`.
    pub async fn start(
        config_file: Option<&Path>,
        kiosk_flag: bool,
        help_desk_flag: bool,
        demo_data_dir: Option<&Path>,
    ) -> anyhow::Result<Self> {
        let mut config = DeskConfig::load(&DeskConfig::system_path(), config_file)?;
        config.help_desk.enabled |= help_desk_flag;
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
        let mode = if config.help_desk.enabled {
            AppMode::HelpDesk
        } else {
            AppMode::Person
        };
        let help_desk = (mode == AppMode::HelpDesk).then(|| {
            HelpDesk::new(
                client.clone(),
                HelpDeskOptions {
                    demo: demo.is_some(),
                    min_key_pin_length: config.security_keys.min_pin_length,
                },
            )
        });
        let info = AppInfo::new(
            &config,
            mode,
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
            help_desk,
            info,
            updater: config.updater,
            _demo: demo,
        })
    }

    pub fn kiosk(&self) -> bool {
        self.info.kiosk
    }

    /// "Finish and clear" (also the kiosk's idle reset): the person's session ends and, in
    /// agent mode, the agent is signed out too; Rust forgets them both.
    pub async fn finish(&self) {
        self.journey.finish().await;
        if let Some(help_desk) = &self.help_desk {
            help_desk.sign_out().await;
        }
    }

    /// The help desk's console, or `help_desk_only` outside agent mode.
    pub fn help_desk(&self) -> Result<&HelpDesk, FlowError> {
        self.help_desk.as_ref().ok_or(FlowError::HelpDeskOnly)
    }

    /// The security-key prompts (`answer_key_pin`, `cancel_security_key`, `touch_demo_key`)
    /// go to the ceremony of the console the app is: the agent's in agent mode.
    pub fn answer_key_pin(&self, reply: PinReply) -> Result<(), FlowError> {
        match &self.help_desk {
            Some(help_desk) => help_desk.answer_key_pin(reply),
            None => self.journey.answer_key_pin(reply),
        }
    }

    pub fn cancel_security_key(&self) {
        match &self.help_desk {
            Some(help_desk) => help_desk.cancel_security_key(),
            None => self.journey.cancel_security_key(),
        }
    }

    pub fn touch_demo_key(&self) -> Result<bool, FlowError> {
        match &self.help_desk {
            Some(help_desk) => help_desk.touch_demo_key(),
            None => self.journey.touch_demo_key(),
        }
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
