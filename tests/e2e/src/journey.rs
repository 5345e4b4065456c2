//! The journey's common steps: the language, signing in, the PIN, the error box, the devices
//! hub and the bypass code.

use std::ops::ControlFlow::{Break, Continue};

use anyhow::{ensure, Result};
use serde_json::Value;

use crate::desk::Desk;
use crate::text::is_grouped_code;
use crate::wait::{wait_until, WAIT};

impl Desk {
    /// Switches the language with the picker.
    pub async fn choose_language(&mut self, locale: &str) -> Result<()> {
        let picker = self.el("language-picker").await?;
        picker.select_by_value(locale).await?;
        let desk = &*self;
        wait_until(WAIT, || async move {
            let lang = desk.script("return document.documentElement.lang").await?;
            Ok(if lang.as_str() == Some(locale) {
                Break(())
            } else {
                Continue(format!("<html lang> stayed {lang} after choosing {locale}"))
            })
        })
        .await?;
        self.locale = locale.to_owned();
        Ok(())
    }

    /// Start → `choice` → SignIn with `username` / `password` → Verify.
    pub async fn sign_in(&self, choice: &str, username: &str, password: &str) -> Result<()> {
        self.click(&format!("choice-{choice}")).await?;
        self.el("username").await?;
        self.type_into("username", username).await?;
        self.type_into("password", password).await?;
        self.click("sign-in-submit").await?;
        self.el("verify-submit").await?;
        Ok(())
    }

    /// Verify with date of birth and PIN (does not wait for the outcome).
    pub async fn submit_pin(&self, date_of_birth: &str, pin: &str) -> Result<()> {
        self.type_into("date-of-birth", date_of_birth).await?;
        self.type_into("pin", pin).await?;
        self.click("verify-submit").await
    }

    /// Waits for the error on the current screen, and returns its text.
    pub async fn error_text(&self) -> Result<String> {
        self.text_when("error", |t| !t.is_empty()).await
    }

    /// Waits for the devices hub of `display_name`.
    pub async fn on_devices(&self) -> Result<()> {
        self.el("session-countdown").await?;
        self.el("devices-refresh").await?;
        // The list has loaded: a device card or the "no devices" text.
        wait_until(WAIT, || async move {
            let loaded = self
                .script("return !!document.querySelector('[data-testid^=\"device-\"], [data-testid=\"devices-empty\"]');")
                .await?;
            Ok(if loaded == Value::Bool(true) {
                Break(())
            } else {
                Continue("the devices list did not load".to_owned())
            })
        })
        .await
    }

    /// The `data-testid`s on the page that start with `prefix`.
    pub async fn testids(&self, prefix: &str) -> Result<Vec<String>> {
        let v = self
            .script(&format!(
                "return [...document.querySelectorAll('[data-testid^=\"{prefix}\"]')].map((e) => e.dataset.testid);"
            ))
            .await?;
        Ok(v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// The device ids on the hub (from `device-<id>` cards).
    pub async fn device_ids(&self) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        for t in self.testids("device-").await? {
            let Some(id) = t.strip_prefix("device-") else {
                continue;
            };
            if ["remove-", "qr-", "resync-"]
                .iter()
                .any(|p| id.starts_with(p))
            {
                continue;
            }
            ids.push(id.to_owned());
        }
        Ok(ids)
    }

    /// The bypass code as shown (`123 456 789`), checked for its format.
    pub async fn bypass_code(&self) -> Result<String> {
        let shown = self.text_when("bypass-code", |t| !t.is_empty()).await?;
        ensure!(
            is_grouped_code(&shown),
            "the bypass code reads {shown:?}, not 9 digits grouped 3-3-3"
        );
        Ok(shown)
    }
}
