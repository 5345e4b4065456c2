//! Finding elements by `data-testid` and acting on them: waiting for them, clicking, typing,
//! reading their text and the screen's heading, and running scripts in the page.

use std::ops::ControlFlow::{Break, Continue};
use std::time::Duration;

use anyhow::{Context, Result};
use fantoccini::elements::Element;
use fantoccini::Locator;
use serde_json::Value;

use crate::desk::Desk;
use crate::wait::{wait_until, WAIT};

impl Desk {
    pub(crate) fn css(testid: &str) -> String {
        format!("[data-testid=\"{testid}\"]")
    }

    /// Waits for the element with `data-testid` = `testid`.
    pub async fn el(&self, testid: &str) -> Result<Element> {
        self.el_within(testid, WAIT).await
    }

    pub async fn el_within(&self, testid: &str, wait: Duration) -> Result<Element> {
        let css = &Self::css(testid);
        wait_until(wait, || async move {
            Ok(match self.client.find(Locator::Css(css)).await {
                Ok(el) => Break(el),
                Err(_) => Continue(format!("no element [data-testid={testid}] after {wait:?}")),
            })
        })
        .await
    }

    /// Whether the element is there now.
    pub async fn has(&self, testid: &str) -> Result<bool> {
        Ok(!self
            .client
            .find_all(Locator::Css(&Self::css(testid)))
            .await?
            .is_empty())
    }

    /// Waits until no element carries `testid`.
    pub async fn gone(&self, testid: &str) -> Result<()> {
        wait_until(WAIT, || async move {
            Ok(if self.has(testid).await? {
                Continue(format!("[data-testid={testid}] still there after {WAIT:?}"))
            } else {
                Break(())
            })
        })
        .await
    }

    pub async fn click(&self, testid: &str) -> Result<()> {
        let el = &self.el(testid).await?;
        // A button disabled while a command runs: wait until it can be pressed.
        wait_until(WAIT, || async move {
            Ok(if el.is_enabled().await? {
                Break(())
            } else {
                Continue(format!("[data-testid={testid}] stayed disabled"))
            })
        })
        .await?;
        el.click()
            .await
            .with_context(|| format!("clicking [data-testid={testid}]"))
    }

    /// Empties the input and types `text` into it.
    pub async fn type_into(&self, testid: &str, text: &str) -> Result<()> {
        let el = self.el(testid).await?;
        el.clear().await?;
        el.send_keys(text)
            .await
            .with_context(|| format!("typing into [data-testid={testid}]"))
    }

    /// The element's visible text, trimmed.
    pub async fn text(&self, testid: &str) -> Result<String> {
        Ok(self.el(testid).await?.text().await?.trim().to_owned())
    }

    /// Waits until the element's text satisfies `ok`; returns it.
    pub async fn text_when(&self, testid: &str, ok: impl Fn(&str) -> bool) -> Result<String> {
        let ok = &ok;
        wait_until(WAIT, || async move {
            let text = match self.client.find(Locator::Css(&Self::css(testid))).await {
                Ok(el) => el.text().await.unwrap_or_default().trim().to_owned(),
                Err(_) => String::new(),
            };
            Ok(if ok(&text) {
                Break(text)
            } else {
                Continue(format!(
                    "[data-testid={testid}] never had the expected text (last: {text:?})"
                ))
            })
        })
        .await
    }

    /// The current screen's main heading (`<h1>`).
    pub async fn heading(&self) -> Result<String> {
        let h1 = self.client.find(Locator::Css("main h1")).await?;
        Ok(h1.text().await?.trim().to_owned())
    }

    /// Waits for the `<h1>` to read `expected`.
    pub async fn heading_is(&self, expected: &str) -> Result<()> {
        wait_until(WAIT, || async move {
            let now = self.heading().await.unwrap_or_default();
            Ok(if now == expected {
                Break(())
            } else {
                Continue(format!("the heading is {now:?}, expected {expected:?}"))
            })
        })
        .await
    }

    pub async fn script(&self, js: &str) -> Result<Value> {
        self.client
            .execute(js, vec![])
            .await
            .with_context(|| running_script(js))
    }

    pub async fn script_async(&self, js: &str) -> Result<Value> {
        self.client
            .execute_async(js, vec![])
            .await
            .with_context(|| running_script(js))
    }
}

/// The context of a script's error: its first 60 characters.
fn running_script(js: &str) -> String {
    format!("running script {}", js.chars().take(60).collect::<String>())
}
