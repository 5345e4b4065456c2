//! The phone-app activation link as a QR code, drawn here (the `qrcode` crate) as SVG so that
//! the web view only shows a picture and never needs a QR library or the link as text.

use base64::Engine;
use qrcode::{render::svg, EcLevel, QrCode};

#[derive(Debug, thiserror::Error)]
#[error("the link is too long for a QR code")]
pub struct QrError;

/// A `data:image/svg+xml;base64,…` URI of the QR code for `link`: dark on white, with the quiet
/// zone phone cameras need, and medium error correction for glare on screens.
pub fn svg_data_uri(link: &str) -> Result<String, QrError> {
    let code =
        QrCode::with_error_correction_level(link.as_bytes(), EcLevel::M).map_err(|_| QrError)?;
    let svg = code
        .render::<svg::Color<'_>>()
        .min_dimensions(264, 264)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .quiet_zone(true)
        .build();
    Ok(format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_an_svg_data_uri() -> Result<(), QrError> {
        let uri = svg_data_uri("http://127.0.0.1:8750/v1/activations/abc")?;
        let encoded = uri
            .strip_prefix("data:image/svg+xml;base64,")
            .ok_or(QrError)?;
        let svg = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| QrError)?;
        let svg = String::from_utf8(svg).map_err(|_| QrError)?;
        assert!(svg.starts_with("<?xml"));
        assert!(svg.contains("<svg"));
        Ok(())
    }
}
