//! The screens: their names (numbered for the screenshot files), what happens on each screen
//! a test visits, and pictures of single elements.

use std::fs;
use std::time::Duration;

use anyhow::{ensure, Context, Result};

use crate::desk::Desk;

/// The screens, numbered for the screenshot file names (`<nn>-<screen>.png`).
pub const SCREENS: &[&str] = &[
    "start",
    "sign-in",
    "verify",
    "devices",
    "bypass-code",
    "done",
    "verify-passcode",
    "verify-error",
    "verify-locked",
    "add-landline",
    "landline-calling",
    "demo-inbox",
    "landline-added",
    "phone-app",
    "remove-device",
    "device-removed",
    "idle-warning",
    "resync-token",
    "token-resynced",
    "security-key",
    "security-key-new-pin",
    "security-key-touch",
    "security-key-registered",
    "security-key-added",
    "security-key-pin",
    "security-key-pin-wrong",
    "security-key-already-registered",
    "verify-recovery-pin",
    "recovery-pin",
    "recovery-pin-set",
    "agent-sign-in",
    "agent-key-pin",
    "agent-key-touch",
    "find-person",
    "person-record",
    "verify-caller",
    "caller-code-sent",
    "caller-verified",
    "issue-code",
    "help-desk-code",
    "send-key-link",
    "key-link-sent",
];

impl Desk {
    /// On each screen a test visits: the accessibility check, and the screenshot when the
    /// suite saves them.
    pub async fn screen(&self, screen: &str) -> Result<()> {
        let number = SCREENS
            .iter()
            .position(|s| *s == screen)
            .with_context(|| format!("unknown screen name `{screen}`: add it to SCREENS"))?
            + 1;
        // Let transitions and the live regions settle.
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.check_accessibility(screen).await?;
        if let Some(dir) = &self.suite.screenshots {
            let path = dir
                .join(&self.locale)
                .join(format!("{number:02}-{screen}.png"));
            if !path.exists() {
                fs::create_dir_all(path.parent().context("screenshot path")?)?;
                let png = self.client.screenshot().await?;
                fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
            }
        }
        Ok(())
    }

    /// A PNG of the element as the window shows it: the window's screenshot, cropped (the
    /// element screenshot of WebKitWebDriver 2.50 comes out blank in compositing mode).
    pub async fn element_png(&self, testid: &str) -> Result<Vec<u8>> {
        self.el(testid).await?;
        let rect = self
            .script(&format!(
                "const e = document.querySelector('{}'); e.scrollIntoView({{ block: 'center' }});
                 const r = e.getBoundingClientRect();
                 return [r.left, r.top, r.width, r.height, window.devicePixelRatio || 1];",
                Self::css(testid)
            ))
            .await?;
        let n = |i: usize| rect[i].as_f64().unwrap_or(0.0);
        let scale = n(4);
        let png = self.client.screenshot().await?;
        let mut img = image::load_from_memory(&png).context("reading the window screenshot")?;
        let x = (n(0) * scale).max(0.0) as u32;
        let y = (n(1) * scale).max(0.0) as u32;
        let w = ((n(2) * scale) as u32).min(img.width().saturating_sub(x));
        let h = ((n(3) * scale) as u32).min(img.height().saturating_sub(y));
        ensure!(
            w > 0 && h > 0,
            "[data-testid={testid}] is not on screen ({rect})"
        );
        let cropped = img.crop(x, y, w, h);
        let mut out = std::io::Cursor::new(Vec::new());
        cropped.write_to(&mut out, image::ImageFormat::Png)?;
        Ok(out.into_inner())
    }
}
