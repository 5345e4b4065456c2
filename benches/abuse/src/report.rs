//! Figures of one measurement, and the table that puts a binary beside its baseline.

use std::fmt::Write as _;

/// One figure's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Exact(f64),
    /// Censored at a limit: at least this much (the wait ran out, memory hit the cap…).
    AtLeast(f64),
    /// Not measured, and why.
    Missing(&'static str),
}

#[derive(Debug, Clone)]
pub struct Figure {
    pub label: String,
    pub value: Value,
    pub decimals: usize,
}

impl Figure {
    pub fn exact(label: impl Into<String>, value: f64, decimals: usize) -> Self {
        Self {
            label: label.into(),
            value: Value::Exact(value),
            decimals,
        }
    }

    pub fn count(label: impl Into<String>, value: usize) -> Self {
        Self::exact(label, value as f64, 0)
    }

    pub fn new(label: impl Into<String>, value: Value, decimals: usize) -> Self {
        Self {
            label: label.into(),
            value,
            decimals,
        }
    }

    fn cell(&self) -> String {
        let d = self.decimals;
        match self.value {
            Value::Exact(v) => format!("{v:.d$}"),
            Value::AtLeast(v) => format!("> {v:.d$}"),
            Value::Missing(why) => format!("n/a ({why})"),
        }
    }
}

/// after / before, honest about censored values.
fn ratio(after: &Value, before: &Value) -> String {
    match (after, before) {
        (Value::Exact(a), Value::Exact(b)) if *b != 0.0 => format!("{:.2}×", a / b),
        (Value::Exact(a), Value::Exact(_)) if *a == 0.0 => "=".to_owned(),
        (Value::Exact(a), Value::AtLeast(b)) if *b != 0.0 => format!("< {:.2}×", a / b),
        (Value::AtLeast(a), Value::Exact(b)) if *b != 0.0 => format!("> {:.2}×", a / b),
        _ => "-".to_owned(),
    }
}

/// A measurement's figures for the binary under test and, when given, for the baseline; the
/// two lists come from the same code, so they match row by row.
pub fn table(title: &str, method: &str, after: &[Figure], before: Option<&[Figure]>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\n== {title}\n{method}\n");
    match before {
        Some(before) => {
            let _ = writeln!(
                out,
                "{:<58} {:>18} {:>18} {:>10}",
                "", "before (--baseline)", "after (--server)", "after/before"
            );
            for (a, b) in after.iter().zip(before) {
                let _ = writeln!(
                    out,
                    "{:<58} {:>18} {:>18} {:>10}",
                    a.label,
                    b.cell(),
                    a.cell(),
                    ratio(&a.value, &b.value)
                );
            }
        }
        None => {
            let _ = writeln!(out, "{:<58} {:>18}", "", "--server");
            for a in after {
                let _ = writeln!(out, "{:<58} {:>18}", a.label, a.cell());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_say_which_side_is_censored() {
        assert_eq!(ratio(&Value::Exact(3.0), &Value::Exact(2.0)), "1.50×");
        assert_eq!(
            ratio(&Value::Exact(30.0), &Value::AtLeast(300.0)),
            "< 0.10×"
        );
        assert_eq!(
            ratio(&Value::AtLeast(300.0), &Value::Exact(30.0)),
            "> 10.00×"
        );
        assert_eq!(ratio(&Value::AtLeast(1.0), &Value::AtLeast(1.0)), "-");
        assert_eq!(ratio(&Value::Exact(0.0), &Value::Exact(0.0)), "=");
        assert_eq!(ratio(&Value::Exact(1.0), &Value::Missing("killed")), "-");
    }
}
