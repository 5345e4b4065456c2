//! Linux and macOS: the key plugged in over USB HID (design §1.2, §3.1).

use std::{fmt, time::Duration};

use async_trait::async_trait;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;
use webauthn_authenticator_rs::{
    error::WebauthnCError,
    transport::Token,
    ui::UiCallback,
    usb::{USBToken, USBTransport},
};
use webauthn_rs_proto::AuthenticatorTransport;

use super::discovery::{self, Wait};
use crate::security_key::{KeyError, KeyEvent};

/// The USB key [`os_key`] found, already initialised (CTAPHID_INIT). Give it to
/// [`crate::security_key::register_with_info`]; never reuse it after a cancel or timeout (its answer to
/// the cancelled request is still queued), call [`os_key`] again instead.
pub struct OsKey(USBToken);

impl fmt::Debug for OsKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("OsKey").field(&self.0).finish()
    }
}

#[async_trait]
impl Token for OsKey {
    type Id = <USBToken as Token>::Id;

    fn has_button(&self) -> bool {
        self.0.has_button()
    }

    fn get_transport(&self) -> AuthenticatorTransport {
        self.0.get_transport()
    }

    async fn transmit_raw<U>(&mut self, cbor: &[u8], ui: &U) -> Result<Vec<u8>, WebauthnCError>
    where
        U: UiCallback,
    {
        self.0.transmit_raw(cbor, ui).await
    }

    async fn cancel(&mut self) -> Result<(), WebauthnCError> {
        self.0.cancel().await
    }

    async fn init(&mut self) -> Result<(), WebauthnCError> {
        self.0.init().await
    }

    async fn close(&mut self) -> Result<(), WebauthnCError> {
        self.0.close().await
    }
}

/// The one security key plugged in over USB, waiting up to `timeout` for it.
///
/// Emits [`KeyEvent::WaitingForKey`] only when it has to wait (none plugged in), and
/// [`KeyEvent::TooManyKeys`] while more than one is. Errors: `Cancelled` once `cancel` fires;
/// `NoPermission` as soon as a FIDO key is seen that this user may not open (Linux; twice in
/// a row, half a second apart, so udev can finish with a key just plugged in); at `timeout`,
/// `NoKey`, or `TooManyKeys` if several keys stayed plugged in. Must run on a multi-thread tokio
/// runtime (fido-hid-rs watches udev from a blocking-pool thread).
pub async fn os_key(
    events: &UnboundedSender<KeyEvent>,
    cancel: &CancellationToken,
    timeout: Duration,
) -> Result<OsKey, KeyError> {
    let wait = Wait {
        events,
        cancel,
        deadline: tokio::time::Instant::now() + timeout,
        probe_interval: discovery::PROBE_INTERVAL,
    };
    let transport = match USBTransport::new().await {
        Ok(transport) => transport,
        Err(error) => {
            // No USB HID access at all (macOS IOKit refused, say): nothing can be found.
            tracing::warn!(%error, "USB security keys cannot be reached");
            return Err(KeyError::NoKey);
        }
    };
    discovery::one_key(&transport, denied_nodes, wait)
        .await
        .map(OsKey)
}

#[cfg(target_os = "linux")]
fn denied_nodes() -> Vec<std::path::PathBuf> {
    use super::hidraw_permissions::{denied_fido_nodes, open_read_write, DEV, SYSFS_HIDRAW};
    denied_fido_nodes(
        std::path::Path::new(SYSFS_HIDRAW),
        std::path::Path::new(DEV),
        open_read_write,
    )
}

/// macOS asks for no device permission (IOKit opens FIDO keys for any user).
#[cfg(not(target_os = "linux"))]
fn denied_nodes() -> Vec<std::path::PathBuf> {
    Vec::new()
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::time::Instant;

    use tokio::sync::mpsc;

    use super::*;

    /// This machine has no FIDO hidraw node (and may have no udev daemon: then fido-hid-rs'
    /// watcher ends at once and discovery polls the list instead). Either way: waiting, then
    /// "no key" at the deadline, or "cancelled" on cancel.
    fn no_fido_node_here() -> bool {
        let nodes = std::fs::read_dir("/sys/class/hidraw").into_iter().flatten();
        !nodes.flatten().any(|node| {
            std::fs::read(node.path().join("device/report_descriptor"))
                .is_ok_and(|d| super::super::hidraw_permissions::is_fido(&d))
        })
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn without_a_key_it_is_no_key_at_the_deadline() {
        if !no_fido_node_here() {
            eprintln!("skipped: a FIDO key is plugged into this machine");
            return;
        }
        let (events, mut received) = mpsc::unbounded_channel();
        let started = Instant::now();
        let result = os_key(
            &events,
            &CancellationToken::new(),
            Duration::from_millis(700),
        )
        .await;
        assert_eq!(result.unwrap_err(), KeyError::NoKey);
        assert!(started.elapsed() >= Duration::from_millis(700));
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(received.try_recv(), Ok(KeyEvent::WaitingForKey));
        assert!(received.try_recv().is_err(), "WaitingForKey is said once");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cancel_ends_the_wait_at_once() {
        if !no_fido_node_here() {
            eprintln!("skipped: a FIDO key is plugged into this machine");
            return;
        }
        let (events, _received) = mpsc::unbounded_channel();
        let cancel = CancellationToken::new();
        let later = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            later.cancel();
        });
        let started = Instant::now();
        let result = os_key(&events, &cancel, Duration::from_secs(30)).await;
        assert_eq!(result.unwrap_err(), KeyError::Cancelled);
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    /// The app spawns discovery on Tauri's runtime: its future must be `Send`.
    #[test]
    fn os_key_can_be_spawned() {
        fn spawnable<F: std::future::Future + Send>(_: F) {}
        let (events, _received) = mpsc::unbounded_channel();
        let cancel = CancellationToken::new();
        spawnable(os_key(&events, &cancel, Duration::ZERO));
    }
}
