//! The few HTML pages the service serves itself (a person's browser, not the app, opens them),
//! with their static script and style embedded in the binary. Pages hold no inline script or
//! style, so their Content-Security-Policy can forbid both.

pub mod enrolment;

/// The policy of every page: its own script and style only, nothing else, never framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// A page's language, from `Accept-Language`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    English,
    Spanish,
}

impl Language {
    /// The supported language the browser prefers most (by `q`, then order); English when it
    /// names neither.
    pub fn from_accept_language(header: Option<&str>) -> Self {
        let mut best: Option<(f32, Self)> = None;
        for entry in header.unwrap_or_default().split(',') {
            let mut parts = entry.split(';');
            let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let quality = parts
                .find_map(|p| p.trim().strip_prefix("q=").map(str::to_owned))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or_default();
            let language = match primary {
                "es" => Self::Spanish,
                "en" => Self::English,
                _ => continue,
            };
            if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, language));
            }
        }
        best.map_or(Self::English, |(_, language)| language)
    }

    pub fn tag(self) -> &'static str {
        match self {
            Self::English => "en",
            Self::Spanish => "es",
        }
    }
}

/// Text made safe for HTML content and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preferred_supported_language_wins() {
        use Language::{English, Spanish};
        for (header, expected) in [
            (None, English),
            (Some(""), English),
            (Some("es-ES,es;q=0.9,en;q=0.8"), Spanish),
            (Some("en-GB,en;q=0.9,es;q=0.8"), English),
            (Some("fr-FR,fr;q=0.9,es;q=0.5"), Spanish),
            (Some("de"), English),
            (Some("en;q=0.2, es;q=0.7"), Spanish),
            (Some("es;q=0"), English),
            (Some("ES-mx"), Spanish),
        ] {
            assert_eq!(
                Language::from_accept_language(header),
                expected,
                "{header:?}"
            );
        }
    }

    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">O'Brien & co</a>"),
            "&lt;a href=&quot;x&quot;&gt;O&#39;Brien &amp; co&lt;/a&gt;"
        );
    }
}
