//! The hash chain over the audit log. Each record's hash is SHA-256 over a canonical encoding
//! of its sequence number, time, event, outcome, person, client, detail and the hash of the
//! record before it; the first record after the chain began follows [`GENESIS`]. A one-row
//! head (`audit_chain_head`) holds the last sequence number and hash, so a log cut short while
//! the head remains is told from a complete one.
//!
//! The encoding, version 1: the bytes `recovery-desk-audit-v1`, then each field as a 4-byte
//! big-endian length and its UTF-8 bytes (an absent person field as the length `0xFFFFFFFF`
//! alone): seq (decimal), time (Unix seconds, decimal), event, outcome, person id, username,
//! client, detail (compact JSON as `serde_json` writes it, keys sorted), previous hash
//! (lowercase hex). The hash is written as lowercase hex.

use data_encoding::HEXLOWER;
use sha2::{Digest, Sha256};

use super::ExportedRecord;
use crate::clock::to_unix;

/// What the first chained record names as its predecessor.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

const DOMAIN: &[u8] = b"recovery-desk-audit-v1";
const ABSENT: u32 = u32::MAX;

/// The fields a record's hash covers, as stored.
#[derive(Debug, Clone, Copy)]
pub struct Link<'a> {
    pub seq: i64,
    pub at_unix: i64,
    pub event: &'a str,
    pub outcome: &'a str,
    pub person_id: Option<&'a str>,
    pub username: Option<&'a str>,
    pub client: &'a str,
    /// The detail as compact JSON, as `serde_json` writes a value (keys sorted).
    pub detail: &'a str,
    pub prev_hash: &'a str,
}

impl Link<'_> {
    pub fn hash(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(DOMAIN);
        let seq = self.seq.to_string();
        let at = self.at_unix.to_string();
        for field in [
            Some(seq.as_str()),
            Some(at.as_str()),
            Some(self.event),
            Some(self.outcome),
            self.person_id,
            self.username,
            Some(self.client),
            Some(self.detail),
            Some(self.prev_hash),
        ] {
            match field {
                Some(value) => {
                    let len = u32::try_from(value.len()).unwrap_or(ABSENT - 1);
                    hasher.update(len.to_be_bytes());
                    hasher.update(value.as_bytes());
                }
                None => hasher.update(ABSENT.to_be_bytes()),
            }
        }
        HEXLOWER.encode(&hasher.finalize())
    }
}

/// The chain's head as the database holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub start_seq: i64,
    pub last_seq: i64,
    pub last_hash: String,
}

/// The first broken link found, in the words an operator needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Break {
    #[error("record {seq} was altered: its contents do not match its hash")]
    Altered { seq: i64 },
    #[error(
        "the record before {seq} is not the one it was chained to: a record was deleted, inserted \
         or reordered there (expected sequence number {expected_seq})"
    )]
    Unlinked { seq: i64, expected_seq: i64 },
    #[error("record {seq} carries no hash although the chain began at {start_seq}")]
    Unchained { seq: i64, start_seq: i64 },
    #[error(
        "the log ends at record {last_seq} but the chain head names record {head_seq}: records \
         after {last_seq} were deleted, or the table was emptied"
    )]
    Truncated { last_seq: i64, head_seq: i64 },
    #[error("the last record {last_seq} is not the one the chain head names: the head or the last record was changed")]
    HeadMismatch { last_seq: i64 },
    #[error("the chain head is missing")]
    NoHead,
}

/// What a walk over an intact chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Records covered by the chain.
    pub chained: u64,
    /// Records written before the chain existed (not covered).
    pub before_chain: u64,
    pub last_seq: i64,
    /// The last record's hash: keep it to check that a later export still contains the log.
    pub last_hash: Option<String>,
}

/// Walks records in the order given. `head` is `None` for an export, which ends where it ends
/// (an export taken with `--after` starts mid-chain: its first record is trusted as the start).
pub fn verify(
    records: impl IntoIterator<Item = ExportedRecord>,
    head: Option<&Head>,
) -> Result<Verified, Break> {
    let start_seq = head.map(|h| h.start_seq);
    let mut expected: Option<(i64, String)> = head.map(|h| (h.start_seq + 1, GENESIS.to_owned()));
    let mut verified = Verified {
        chained: 0,
        before_chain: 0,
        last_seq: head.map_or(0, |h| h.start_seq),
        last_hash: None,
    };
    for record in records {
        let (Some(prev_hash), Some(hash)) = (&record.prev_hash, &record.hash) else {
            match start_seq {
                Some(start) if record.seq <= start => {
                    verified.before_chain += 1;
                    continue;
                }
                Some(start) => {
                    return Err(Break::Unchained {
                        seq: record.seq,
                        start_seq: start,
                    })
                }
                // An export: records before the chain carry no hash and come first.
                None if expected.is_none() => {
                    verified.before_chain += 1;
                    continue;
                }
                None => {
                    return Err(Break::Unchained {
                        seq: record.seq,
                        start_seq: verified.last_seq,
                    })
                }
            }
        };
        if let Some((expected_seq, expected_prev)) = &expected {
            if record.seq != *expected_seq || prev_hash != expected_prev {
                return Err(Break::Unlinked {
                    seq: record.seq,
                    expected_seq: *expected_seq,
                });
            }
        }
        let detail = record.detail.to_string();
        let link = Link {
            seq: record.seq,
            at_unix: to_unix(record.at),
            event: &record.event,
            outcome: &record.outcome,
            person_id: record.person_id.as_deref(),
            username: record.username.as_deref(),
            client: &record.client,
            detail: &detail,
            prev_hash,
        };
        if link.hash() != *hash {
            return Err(Break::Altered { seq: record.seq });
        }
        verified.chained += 1;
        verified.last_seq = record.seq;
        verified.last_hash = Some(hash.clone());
        expected = Some((record.seq + 1, hash.clone()));
    }
    if let Some(head) = head {
        if head.last_seq > verified.last_seq {
            return Err(Break::Truncated {
                last_seq: verified.last_seq,
                head_seq: head.last_seq,
            });
        }
        let last_hash = expected.map_or_else(|| GENESIS.to_owned(), |(_, hash)| hash);
        if head.last_seq != verified.last_seq || head.last_hash != last_hash {
            return Err(Break::HeadMismatch {
                last_seq: verified.last_seq,
            });
        }
    }
    Ok(verified)
}
