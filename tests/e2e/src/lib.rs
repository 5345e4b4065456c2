//! The harness of the end-to-end suite: one [`Desk`] is one fresh app process (with its own
//! embedded demo service) driven over WebDriver through its own `tauri-driver`, with its own
//! HOME and XDG folders.
//!
//! `cargo xtask test` (and `cargo xtask screenshots`) build everything, start Xvfb and run the
//! suite with these variables set; the tests are `#[ignore]`d so that a plain
//! `cargo test --workspace` skips them:
//!
//! | variable | what |
//! |---|---|
//! | `RECOVERY_DESK_E2E_APP` | the app binary (absolute path; built with `custom-protocol`) |
//! | `RECOVERY_DESK_E2E_SERVER` | the `recovery-server` binary (the admin CLI) |
//! | `RECOVERY_DESK_E2E_DRIVER` | `tauri-driver` |
//! | `RECOVERY_DESK_E2E_SCREENSHOTS` | optional: save every screen to `DIR/<locale>/<nn>-<screen>.png` |
//! | `DISPLAY` | the X display (Xvfb) |
//!
//! Every screen a test visits goes through [`Desk::screen`], which runs axe-core (vendored from
//! `ui/node_modules/axe-core`, never fetched) and fails on a serious or critical violation. A
//! failing test leaves `target/e2e-failures/<test>/{screenshot.png,page.html,app.log}`.

mod accessibility;
mod admin;
mod desk;
mod driver;
mod files;
mod interact;
mod journey;
mod keyboard;
mod qr;
mod screens;
mod suite;
mod text;
mod wait;

pub use desk::{Desk, Launch};
pub use files::files_under;
pub use qr::{decode_qr_png, decode_qr_svg_data_uri};
pub use screens::SCREENS;
pub use suite::{message, Suite};
pub use text::{contains_word, digits, is_grouped_code};
pub use wait::WAIT;
