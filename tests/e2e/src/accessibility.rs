//! The accessibility check: axe-core (vendored from `ui/node_modules/axe-core`, never
//! fetched) on the whole page.

use anyhow::{bail, ensure, Context, Result};
use serde_json::Value;

use crate::desk::Desk;

impl Desk {
    /// axe-core on the whole page; fails on any serious or critical violation.
    pub async fn check_accessibility(&self, screen: &str) -> Result<()> {
        let loaded = self
            .script("return typeof window.axe === 'object';")
            .await?;
        if loaded != Value::Bool(true) {
            // Executed by WebDriver, not a <script> element: the CSP (script-src 'self') does
            // not apply.
            let js = format!("{}\n;return typeof window.axe;", self.suite.axe);
            let v = self.script(&js).await.context("injecting axe-core")?;
            ensure!(v.as_str() == Some("object"), "axe-core did not load ({v})");
        }
        let result = self
            .script_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] }).then(
                   (r) => done(r.violations
                     .filter((v) => v.impact === 'serious' || v.impact === 'critical')
                     .map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                                    targets: v.nodes.map((n) => n.target.join(' ')) }))),
                   (e) => done({ error: String(e) }));",
            )
            .await?;
        if let Some(error) = result.get("error") {
            bail!("axe-core failed on {screen}: {error}");
        }
        let violations = result.as_array().cloned().unwrap_or_default();
        if violations.is_empty() {
            return Ok(());
        }
        let lines: Vec<String> = violations
            .iter()
            .map(|v| {
                format!(
                    "  {} ({}): {} — {}",
                    v["id"].as_str().unwrap_or("?"),
                    v["impact"].as_str().unwrap_or("?"),
                    v["help"].as_str().unwrap_or(""),
                    v["targets"]
                        .as_array()
                        .map(|t| t
                            .iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(", "))
                        .unwrap_or_default()
                )
            })
            .collect();
        bail!(
            "accessibility (axe-core) on screen `{screen}` ({}): serious or critical violations:\n{}",
            self.locale,
            lines.join("\n")
        )
    }
}
