//! Duo's official request-signing test vectors (reference section 9), kept once in
//! `vectors.json` for every suite: the emulator's tests check that it accepts them,
//! duo-client's that it produces them.

use serde::Deserialize;

use crate::signing::SignatureVersion;

const VECTORS: &str = include_str!("vectors.json");

/// A `[name, value]` pair: a parameter (decoded) or a header.
pub type Pair = (String, String);

/// Every vector, by kind.
#[derive(Debug, Clone, Deserialize)]
pub struct Vectors {
    /// Canonical parameter lines (percent-encoding and sort order).
    pub canonical_params: Vec<CanonicalParams>,
    /// SHA-512 of `X-Duo-*` header sets (v5).
    pub x_duo_headers: Vec<HeaderHash>,
    /// SHA-512 of bodies (v4, v5).
    pub body_sha512: Vec<BodyHash>,
    /// Whole requests with their canonical strings and signatures.
    pub requests: Vec<SignedRequest>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CanonicalParams {
    pub name: String,
    pub params: Vec<Pair>,
    pub canonical: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HeaderHash {
    pub name: String,
    pub headers: Vec<Pair>,
    pub sha512: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BodyHash {
    pub name: String,
    pub body: String,
    pub sha512: String,
}

/// One request, as a client signs it and as it travels.
#[derive(Debug, Clone, Deserialize)]
pub struct SignedRequest {
    /// The reference's number, e.g. `9.1`, `9.8e`.
    pub id: String,
    pub name: String,
    /// Empty for a vector that gives only a canonical string.
    pub ikey: String,
    pub skey: String,
    /// The host signed (in the case given; the canonical string lower-cases it).
    pub host: String,
    pub date: String,
    pub date_unix: i64,
    /// `Date` or `X-Duo-Date`: the header the date travels in.
    pub date_header: String,
    /// As given (the canonical string upper-cases it).
    pub method: String,
    pub path: String,
    /// `v2` or `v5`: the canonical form.
    pub form: String,
    /// The signed parameters, decoded: the query string, or the form body for a v2 POST.
    pub params: Vec<Pair>,
    /// The JSON body a v5 request hashes ("" for none).
    pub body: String,
    /// `X-Duo-*` headers signed besides `X-Duo-Date`.
    pub x_duo_headers: Vec<Pair>,
    pub wire: Wire,
    pub signatures: Vec<Signature>,
    /// The whole canonical string, when the reference gives it.
    #[serde(default)]
    pub canonical: Option<String>,
    /// How the canonical string starts and ends, when the reference gives only that.
    #[serde(default)]
    pub canonical_prefix: Option<String>,
    #[serde(default)]
    pub canonical_suffix: Option<String>,
}

impl SignedRequest {
    pub fn is_v5(&self) -> bool {
        self.form == "v5"
    }

    /// The `X-Duo-*` headers a v5 signature covers: `X-Duo-Date` (lower-cased, as sent by
    /// the client that produced the vector) when the date travels in it, then the others.
    pub fn signed_x_duo_headers(&self) -> Vec<Pair> {
        let mut headers = Vec::new();
        if self.date_header.eq_ignore_ascii_case("x-duo-date") {
            headers.push(("x-duo-date".to_owned(), self.date.clone()));
        }
        headers.extend(self.x_duo_headers.iter().cloned());
        headers
    }
}

/// The bytes a client puts on the wire for the request.
#[derive(Debug, Clone, Deserialize)]
pub struct Wire {
    /// The raw query string ("" for none).
    pub query: String,
    /// The raw body ("" for none).
    pub body: String,
    pub content_type: Option<String>,
    /// Headers sent but not signed.
    pub unsigned_headers: Vec<Pair>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Signature {
    /// `v2-sha1`, `v2-sha512` or `v5`.
    pub version: String,
    /// The lower-case hex HMAC, when the reference gives it.
    #[serde(default)]
    pub hmac: Option<String>,
    /// The whole `Authorization` header value.
    pub authorization: String,
}

impl Signature {
    /// `None` for a version name this crate does not know.
    pub fn signature_version(&self) -> Option<SignatureVersion> {
        match self.version.as_str() {
            "v2-sha1" => Some(SignatureVersion::V2Sha1),
            "v2-sha512" => Some(SignatureVersion::V2Sha512),
            "v5" => Some(SignatureVersion::V5),
            _ => None,
        }
    }
}

impl Vectors {
    /// The request vector with this id.
    pub fn request(&self, id: &str) -> Option<&SignedRequest> {
        self.requests.iter().find(|r| r.id == id)
    }
}

/// Reads `vectors.json`.
pub fn load() -> Result<Vectors, serde_json::Error> {
    serde_json::from_str(VECTORS)
}
