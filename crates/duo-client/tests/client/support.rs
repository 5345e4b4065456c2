//! An emulator and clients configured for it, with Duo's backoff shrunk to milliseconds.

use std::time::Duration;

use duo_client::{Backoff, DuoApplication, DuoClients, DuoConfig, Tuning};
use duo_emulator::{DuoEmulator, EmulatorKeys, RequestRecord};
use recovery_api::Secret;

pub async fn emulator() -> DuoEmulator {
    DuoEmulator::start(EmulatorKeys::example()).await
}

pub fn config(emu: &DuoEmulator) -> DuoConfig {
    let keys = emu.keys();
    DuoConfig {
        api_host: emu.api_host().to_owned(),
        admin: DuoApplication {
            integration_key: keys.admin_ikey.clone(),
            secret_key: Secret::new(keys.admin_skey.clone()),
        },
        auth: DuoApplication {
            integration_key: keys.auth_ikey.clone(),
            secret_key: Secret::new(keys.auth_skey.clone()),
        },
        base_url: Some(emu.base_url()),
        timeout_seconds: 10,
        max_retry_wait_seconds: 32,
    }
}

pub fn fast_tuning() -> Tuning {
    Tuning {
        timeout: Duration::from_secs(5),
        backoff: Backoff {
            first_wait: Duration::from_millis(1),
            max_wait: Duration::from_millis(32),
            max_jitter: Duration::from_millis(1),
        },
    }
}

pub fn clients(emu: &DuoEmulator) -> DuoClients {
    clients_with(config(emu), fast_tuning())
}

pub fn clients_with(config: DuoConfig, tuning: Tuning) -> DuoClients {
    DuoClients::with_http(&config, reqwest::Client::new(), tuning).unwrap()
}

/// The last request the emulator saw.
pub fn last(emu: &DuoEmulator) -> RequestRecord {
    emu.request_log().pop().unwrap()
}
