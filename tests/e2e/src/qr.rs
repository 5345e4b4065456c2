//! Reading QR codes: from a PNG (a screenshot) and from the SVG data URI the app draws.

use anyhow::{anyhow, ensure, Context, Result};
use base64::Engine;

/// Decodes the one QR code in a PNG.
pub fn decode_qr_png(png: &[u8]) -> Result<String> {
    let img = image::load_from_memory(png)
        .context("reading the QR screenshot")?
        .to_luma8();
    let (w, h) = img.dimensions();
    decode_grey(w as usize, h as usize, |x, y| {
        img.get_pixel(x as u32, y as u32).0[0]
    })
}

/// Decodes the one QR code in a `w`×`h` picture of grey levels (0 black, 255 white).
fn decode_grey(w: usize, h: usize, grey: impl FnMut(usize, usize) -> u8) -> Result<String> {
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, grey);
    let grids = prepared.detect_grids();
    ensure!(
        grids.len() == 1,
        "found {} QR codes, expected 1",
        grids.len()
    );
    let (_, content) = grids[0]
        .decode()
        .map_err(|e| anyhow!("QR code unreadable: {e:?}"))?;
    Ok(content)
}

/// Decodes the QR code of a `data:image/svg+xml;base64,…` URI drawn by the `qrcode` crate
/// (one path of `M{x} {y}h{w}v{h}H{x}V{y}` rectangles), by filling its rectangles.
pub fn decode_qr_svg_data_uri(uri: &str) -> Result<String> {
    let b64 = uri
        .strip_prefix("data:image/svg+xml;base64,")
        .context("not an SVG data URI")?;
    let svg = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(b64)?)?;
    let attr = |name: &str| -> Result<usize> {
        let start = svg
            .find(&format!("{name}=\""))
            .with_context(|| format!("the SVG has no {name}"))?
            + name.len()
            + 2;
        let end = svg[start..].find('"').context("unterminated attribute")? + start;
        Ok(svg[start..end].trim_end_matches("px").parse::<f64>()? as usize)
    };
    let (w, h) = (attr("width")?, attr("height")?);
    let d_start = svg.rfind(" d=\"").context("the SVG has no path")? + 4;
    let d_end = svg[d_start..].find('"').context("unterminated path")? + d_start;
    let mut dark = vec![false; w * h];
    for rect in svg[d_start..d_end].split('M').filter(|r| !r.is_empty()) {
        // "{x} {y}h{w}v{h}H{x}V{y}"
        let nums: Vec<f64> = rect
            .split(|c: char| c == ' ' || c.is_ascii_alphabetic())
            .filter(|s| !s.is_empty())
            .map(str::parse)
            .collect::<std::result::Result<_, _>>()
            .with_context(|| format!("cannot read the rectangle {rect:?}"))?;
        ensure!(nums.len() >= 4, "short rectangle {rect:?}");
        let (x, y, rw, rh) = (
            nums[0] as usize,
            nums[1] as usize,
            nums[2] as usize,
            nums[3] as usize,
        );
        for yy in y..(y + rh).min(h) {
            for xx in x..(x + rw).min(w) {
                dark[yy * w + xx] = true;
            }
        }
    }
    decode_grey(w, h, |x, y| if dark[y * w + x] { 0 } else { 255 })
}
