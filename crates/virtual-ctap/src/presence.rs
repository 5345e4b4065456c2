//! User presence: how the configured person answers a request for a touch, signalled with
//! keep-alives the way `USBToken` does, and ended early by CTAPHID_CANCEL.
//!
//! The pause after each keep-alive is a tokio sleep on a multi-thread runtime (so a wrapper's
//! `select!` can pre-empt it, as with USB), and a thread sleep elsewhere (so the key never
//! hangs a current-thread runtime).

use std::time::{Duration, Instant};

use webauthn_authenticator_rs::ui::UiCallback;

use crate::{config::Presence, status, VirtualAuthenticator};

impl VirtualAuthenticator {
    /// Collects user presence the way the configured person behaves, sending keep-alives
    /// through the UI callback as `USBToken` does, and honouring CTAPHID_CANCEL.
    pub(crate) async fn wait_for_presence<U: UiCallback>(&self, ui: &U) -> Result<(), u8> {
        let (presence, interval, timeout, processing) = {
            let mut state = self.state();
            state.waiting = true;
            state.cancel_requested = false;
            state.touched = false;
            let c = &state.config;
            (
                c.presence,
                c.keepalive_interval,
                c.up_timeout,
                c.processing_keepalives,
            )
        };
        let _waiting = WaitingGuard(self);
        for _ in 0..processing {
            self.check_cancel()?;
            ui.processing();
            pause(interval).await;
        }
        match presence {
            Presence::Immediate => self.check_cancel(),
            Presence::Denied => {
                ui.request_touch();
                pause(interval).await;
                self.check_cancel()?;
                Err(status::OPERATION_DENIED)
            }
            Presence::AfterKeepalives(n) => {
                for _ in 0..n {
                    self.check_cancel()?;
                    ui.request_touch();
                    pause(interval).await;
                }
                self.check_cancel()
            }
            Presence::Manual => {
                let started = Instant::now();
                loop {
                    self.check_cancel()?;
                    if std::mem::take(&mut self.state().touched) {
                        return Ok(());
                    }
                    if started.elapsed() >= timeout {
                        return Err(status::USER_ACTION_TIMEOUT);
                    }
                    ui.request_touch();
                    pause(interval).await;
                }
            }
        }
    }

    /// KEEPALIVE_CANCEL once for each CTAPHID_CANCEL that arrived while waiting.
    fn check_cancel(&self) -> Result<(), u8> {
        if std::mem::take(&mut self.state().cancel_requested) {
            Err(status::KEEPALIVE_CANCEL)
        } else {
            Ok(())
        }
    }
}

/// Clears "waiting for a touch" however the wait ends, including when a wrapper drops the
/// request future.
struct WaitingGuard<'a>(&'a VirtualAuthenticator);

impl Drop for WaitingGuard<'_> {
    fn drop(&mut self) {
        let mut state = self.0.state();
        state.waiting = false;
        state.touched = false;
    }
}

async fn pause(duration: Duration) {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::time::sleep(duration).await;
        }
        _ => std::thread::sleep(duration),
    }
}
