//! Admin API endpoints, one file per resource.

mod bypass_codes;
mod phones;
mod tokens;
mod users;

use duo_emulator::DuoEmulator;

use crate::common::{admin, keys, Creds};

async fn start() -> (DuoEmulator, Creds) {
    let emu = DuoEmulator::start(keys()).await;
    (emu, admin(&keys()))
}
