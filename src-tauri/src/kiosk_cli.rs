//! `recovery-desk kiosk enroll | status | forget`: the help desk's set-up of a kiosk PC.

use std::path::Path;

use anyhow::{bail, Context};
use recovery_api::Secret;
use recovery_desk_core::{
    config::DeskConfig,
    kiosk_credential::{self, KioskCredentialStore},
};
use url::Url;

use crate::cli::KioskCommand;

pub fn run(config_file: Option<&Path>, command: KioskCommand) -> anyhow::Result<()> {
    let config = DeskConfig::load(&DeskConfig::system_path(), config_file)?;
    let service = |server: Option<Url>| -> anyhow::Result<Url> {
        match server.or_else(|| config.service_url.clone()) {
            Some(url) if recovery_desk_core::config::secure_or_local(&url) => Ok(url),
            Some(url) => bail!("the service URL must use https: {url}"),
            None => bail!(
                "no recovery service: pass --server URL or set service_url in the configuration"
            ),
        }
    };
    match command {
        KioskCommand::Enroll { server, token } => {
            let url = service(server)?;
            let store = KioskCredentialStore::for_service(&url)?;
            let runtime = tokio::runtime::Runtime::new()?;
            let kiosk = runtime
                .block_on(kiosk_credential::enroll(&url, Secret::new(token), &store))
                .context("enrollment failed")?;
            println!(
                "Enrolled as \"{}\" (kiosk {}) with {url}; the credential is in the OS keyring.",
                kiosk.name, kiosk.kiosk_id
            );
        }
        KioskCommand::Status { server } => {
            let url = service(server)?;
            match KioskCredentialStore::for_service(&url)?.load()? {
                Some(kiosk) => println!(
                    "Enrolled as \"{}\" (kiosk {}) with {url}.",
                    kiosk.name, kiosk.kiosk_id
                ),
                None => println!("Not enrolled with {url}."),
            }
        }
        KioskCommand::Forget { server } => {
            let url = service(server)?;
            if KioskCredentialStore::for_service(&url)?.forget()? {
                println!("Removed this computer's kiosk credential for {url}. Revoke it at the service too.");
            } else {
                println!("No kiosk credential for {url} on this computer.");
            }
        }
    }
    Ok(())
}
