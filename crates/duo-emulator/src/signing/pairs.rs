//! Parameters as they arrive and as they are signed: form decoding of the query string
//! and form body, percent-encoding and the canonical, sorted parameter line.

/// A parameter as it arrived, percent-decoded to raw bytes.
pub(crate) type RawPair = (Vec<u8>, Vec<u8>);

const UPPER_HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Percent-encodes bytes: RFC 3986 unreserved characters stay, everything else becomes
/// `%XX` with upper-case hex (so a space is `%20`, never `+`).
pub(crate) fn percent_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(UPPER_HEX[usize::from(b >> 4)]));
            out.push(char::from(UPPER_HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `application/x-www-form-urlencoded` decoding of one component: `+` is a space, `%XX` a
/// byte; a `%` not followed by two hex digits stays literal.
pub(crate) fn form_decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        match b {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hi = input.get(i + 1).copied().and_then(hex_value);
                let lo = input.get(i + 2).copied().and_then(hex_value);
                if let (Some(hi), Some(lo)) = (hi, lo) {
                    out.push(hi << 4 | lo);
                    i += 3;
                } else {
                    out.push(b'%');
                    i += 1;
                }
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Splits a query string or form body into decoded pairs. Empty segments are skipped; a
/// segment without `=` is a key with an empty value.
pub(crate) fn parse_pairs(raw: &[u8]) -> Vec<RawPair> {
    raw.split(|&b| b == b'&')
        .filter(|segment| !segment.is_empty())
        .map(|segment| match segment.iter().position(|&b| b == b'=') {
            Some(eq) => (
                form_decode(segment.get(..eq).unwrap_or_default()),
                form_decode(segment.get(eq + 1..).unwrap_or_default()),
            ),
            None => (form_decode(segment), Vec::new()),
        })
        .collect()
}

/// The canonical parameter line: each key and value percent-encoded, sorted by encoded key
/// and then by encoded value, `k=v` joined with `&`. No parameters give `""`.
pub(crate) fn canon_params(pairs: &[RawPair]) -> String {
    let mut encoded: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (percent_encode(k), percent_encode(v)))
        .collect();
    // Tuple order compares the whole key first, so `a` sorts before `a-b` even though
    // `a-b=` < `a=` as joined strings.
    encoded.sort();
    encoded
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vectors::{self, Pair};

    fn raw(pairs: &[Pair]) -> Vec<RawPair> {
        pairs
            .iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn canonical_params_match_the_shared_vectors() {
        let vectors = vectors::load().unwrap();
        for vector in &vectors.canonical_params {
            assert_eq!(
                canon_params(&raw(&vector.params)),
                vector.canonical,
                "{}",
                vector.name
            );
        }
    }

    #[test]
    fn wire_forms_decode_to_the_same_canonical_line() {
        // Python's urlencode sends `+` for a space; others send %20. Both mean the same.
        let plus = parse_pairs(b"realname=First+Last&username=root");
        let pct = parse_pairs(b"username=root&realname=First%20Last");
        assert_eq!(canon_params(&plus), "realname=First%20Last&username=root");
        assert_eq!(canon_params(&plus), canon_params(&pct));
        assert_eq!(
            parse_pairs(b"a&&b=&c=%zz%4"),
            vec![
                (b"a".to_vec(), Vec::new()),
                (b"b".to_vec(), Vec::new()),
                (b"c".to_vec(), b"%zz%4".to_vec()),
            ]
        );
    }
}
