//! The suite's settings (from the variables xtask sets, see the crate doc), and the UI's
//! messages in each language.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{anyhow, ensure, Context, Result};
use serde_json::Value;

/// The suite's settings, from the environment that xtask sets.
#[derive(Debug)]
pub struct Suite {
    pub app: PathBuf,
    pub server: PathBuf,
    pub driver: PathBuf,
    pub screenshots: Option<PathBuf>,
    pub root: PathBuf,
    /// axe-core's script (`ui/node_modules/axe-core/axe.min.js`).
    pub(crate) axe: String,
}

fn var_path(name: &str) -> Result<PathBuf> {
    let value = std::env::var_os(name).with_context(|| {
        format!("{name} is not set: run the end-to-end suite with `cargo xtask test` or `cargo xtask screenshots`")
    })?;
    let path = PathBuf::from(value);
    ensure!(
        path.is_absolute() && path.exists(),
        "{name}={} is not an existing absolute path",
        path.display()
    );
    Ok(path)
}

impl Suite {
    /// Read once per test binary.
    pub fn get() -> Result<&'static Suite> {
        static SUITE: OnceLock<std::result::Result<Suite, String>> = OnceLock::new();
        SUITE
            .get_or_init(|| Suite::from_env().map_err(|e| format!("{e:#}")))
            .as_ref()
            .map_err(|e| anyhow!("{e}"))
    }

    fn from_env() -> Result<Self> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .nth(2)
            .context("the e2e crate is not two levels below the workspace root")?
            .to_path_buf();
        ensure!(
            std::env::var_os("DISPLAY").is_some(),
            "DISPLAY is not set: run the end-to-end suite with `cargo xtask test`"
        );
        let axe_path = root.join("ui/node_modules/axe-core/axe.min.js");
        let axe = fs::read_to_string(&axe_path).with_context(|| {
            format!(
                "cannot read {} (installed by `npm ci` in ui/)",
                axe_path.display()
            )
        })?;
        Ok(Self {
            app: var_path("RECOVERY_DESK_E2E_APP")?,
            server: var_path("RECOVERY_DESK_E2E_SERVER")?,
            driver: var_path("RECOVERY_DESK_E2E_DRIVER")?,
            screenshots: std::env::var_os("RECOVERY_DESK_E2E_SCREENSHOTS").map(PathBuf::from),
            root,
            axe,
        })
    }

    /// Where a failing test leaves its screenshot, page and app log.
    pub(crate) fn failures(&self, test: &str) -> PathBuf {
        self.root.join("target/e2e-failures").join(test)
    }

    /// The UI's messages in `locale` (`ui/src/locales/<locale>.json`), as they are now.
    pub fn messages(&self, locale: &str) -> Result<BTreeMap<String, String>> {
        let path = self.root.join(format!("ui/src/locales/{locale}.json"));
        let text =
            fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let value: Value =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        let mut out = BTreeMap::new();
        flatten("", &value, &mut out);
        Ok(out)
    }
}

fn flatten(prefix: &str, value: &Value, out: &mut BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        Value::String(s) => {
            out.insert(prefix.to_owned(), s.clone());
        }
        _ => {}
    }
}

/// One message in `locale`, `{placeholders}` left as they are.
pub fn message(locale: &str, key: &str) -> Result<String> {
    Suite::get()?
        .messages(locale)?
        .remove(key)
        .with_context(|| format!("no message `{key}` in ui/src/locales/{locale}.json"))
}
