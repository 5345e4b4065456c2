//! The keyboard: pressing keys and typing at the focused element, and moving the focus with
//! Tab.

use std::time::Instant;

use anyhow::{bail, Result};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;

use crate::desk::Desk;
use crate::wait::WAIT;

impl Desk {
    /// Presses and releases each key in turn, at the focused element (WebDriver actions).
    pub async fn keys(&self, keys: &[char]) -> Result<()> {
        let mut actions = KeyActions::new("keyboard".to_owned());
        for &k in keys {
            actions = actions
                .then(KeyAction::Down { value: k })
                .then(KeyAction::Up { value: k });
        }
        self.client.perform_actions(actions).await?;
        self.client.release_actions().await?;
        Ok(())
    }

    pub async fn press(&self, key: Key) -> Result<()> {
        self.keys(&[key.into()]).await
    }

    /// Types `text` at the focused element.
    pub async fn type_keys(&self, text: &str) -> Result<()> {
        let chars: Vec<char> = text.chars().collect();
        self.keys(&chars).await
    }

    /// The focused element's `data-testid` (or empty).
    pub async fn focused(&self) -> Result<String> {
        let v = self
            .script("const e = document.activeElement; return e && e.dataset ? (e.dataset.testid || '') : '';")
            .await?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    /// Presses Tab until the element `testid` has the focus.
    pub async fn tab_to(&self, testid: &str) -> Result<()> {
        let start = Instant::now();
        let mut seen = Vec::new();
        for _ in 0..60 {
            let now = self.focused().await?;
            if now == testid {
                return Ok(());
            }
            seen.push(now);
            self.press(Key::Tab).await?;
            if start.elapsed() > WAIT {
                break;
            }
        }
        bail!("Tab never reached [data-testid={testid}]; focus went through {seen:?}")
    }

    /// Waits until the element `testid` exists and has the focus, pressing Tab while it
    /// exists but another element has the focus.
    pub async fn tab_to_when_there(&self, testid: &str) -> Result<()> {
        self.el(testid).await?;
        self.tab_to(testid).await
    }
}
