//! authenticatorClientPIN (CTAP 2.1 §6.5.5) over PIN/UV auth protocols 1 and 2: retries, the
//! power-cycle block after three consecutive mismatches, and the permanent block at 0.

use std::collections::BTreeMap;

use crypto_glue::ecdsa_p256;
use serde_cbor_2::Value;

use crate::{
    cbor::{bytes, cose_p256_key, encode, parse_map, required_bytes, text, uint},
    config::{Version, MAX_PIN_RETRIES, MISMATCHES_BEFORE_POWER_CYCLE},
    pin::{self, Protocol},
    pin_token::{PinUvAuthToken, GA, MC},
    state::State,
    status, VirtualAuthenticator,
};

/// getKeyAgreement's COSE algorithm: ECDH-ES+HKDF-256, which the spec says to send whatever
/// the protocol.
const ECDH_ES_HKDF_256: i128 = -25;

impl VirtualAuthenticator {
    /// Runs a clientPIN request; returns its subcommand (0 if unreadable) for the log.
    pub(super) fn client_pin(&self, params: &[u8]) -> (u8, Result<Vec<u8>, u8>) {
        let map = parse_map(params);
        let subcommand = map
            .as_ref()
            .ok()
            .and_then(|m| uint(m.get(&0x02)))
            .and_then(|s| u8::try_from(s).ok())
            .unwrap_or(0);
        let result = map.and_then(|m| self.state().client_pin(&m));
        (subcommand, result)
    }
}

impl State {
    fn client_pin(&mut self, map: &BTreeMap<u32, Value>) -> Result<Vec<u8>, u8> {
        let sub = uint(map.get(&0x02)).ok_or(status::MISSING_PARAMETER)?;
        let fido21 = self.config.version == Version::Fido21;
        match sub {
            0x01 => {
                let mut out = BTreeMap::from([(0x03u32, Value::Integer(self.pin_retries.into()))]);
                if fido21 {
                    out.insert(0x04, Value::Bool(self.power_cycle_blocked));
                }
                encode(&out)
            }
            0x02 => {
                self.protocol(uint(map.get(&0x01)))?;
                let (x, y) = pin::public_coords(&self.key_agreement);
                let key = cose_p256_key(ECDH_ES_HKDF_256, x, y);
                encode(&BTreeMap::from([(0x01u32, key)]))
            }
            0x03 => self.set_pin(map),
            0x04 => self.change_pin(map),
            0x05 => self.pin_token(map, false),
            0x09 if fido21 => self.pin_token(map, true),
            _ if fido21 => Err(status::INVALID_SUBCOMMAND),
            _ => Err(status::INVALID_PARAMETER),
        }
    }

    /// The shared secret with the platform's keyAgreement (0x03).
    fn shared_secret(&self, protocol: Protocol, map: &BTreeMap<u32, Value>) -> Result<Vec<u8>, u8> {
        let Some(Value::Map(key)) = map.get(&0x03) else {
            return Err(status::MISSING_PARAMETER);
        };
        let field = |k: i128| key.get(&Value::Integer(k));
        if field(1) != Some(&Value::Integer(2)) || field(-1) != Some(&Value::Integer(1)) {
            return Err(status::INVALID_PARAMETER);
        }
        let x = bytes(field(-2)).ok_or(status::INVALID_PARAMETER)?;
        let y = bytes(field(-3)).ok_or(status::INVALID_PARAMETER)?;
        protocol.shared_secret(&self.key_agreement, &x, &y)
    }

    /// The stored PIN hash, if the PIN may be tried now.
    fn triable_pin(&self) -> Result<[u8; 16], u8> {
        let stored = self.pin_hash.ok_or(status::PIN_NOT_SET)?;
        if self.pin_retries == 0 {
            return Err(status::PIN_BLOCKED);
        }
        if self.power_cycle_blocked {
            return Err(status::PIN_AUTH_BLOCKED);
        }
        Ok(stored)
    }

    /// Decrypts and checks a 64-byte padded new PIN against the policy. A bad ciphertext or
    /// padding is the platform's error, not the person's (CTAP 2.1 §6.5.5.5 steps 6-7).
    fn new_pin(
        &self,
        protocol: Protocol,
        secret: &[u8],
        new_pin_enc: &[u8],
    ) -> Result<[u8; 16], u8> {
        let padded = protocol
            .decrypt(secret, new_pin_enc)
            .map_err(|_| status::PIN_AUTH_INVALID)?;
        if padded.len() != 64 {
            return Err(status::INVALID_PARAMETER);
        }
        let end = padded.iter().position(|b| *b == 0).unwrap_or(padded.len());
        let pin = &padded[..end];
        let code_points = std::str::from_utf8(pin)
            .map_err(|_| status::PIN_POLICY_VIOLATION)?
            .chars()
            .count();
        if code_points < self.config.min_pin_length || pin.len() > 63 {
            return Err(status::PIN_POLICY_VIOLATION);
        }
        Ok(pin::pin_hash(pin))
    }

    fn set_pin(&mut self, map: &BTreeMap<u32, Value>) -> Result<Vec<u8>, u8> {
        let protocol = self.protocol(uint(map.get(&0x01)))?;
        let param = required_bytes(map, 0x04)?;
        let new_pin_enc = required_bytes(map, 0x05)?;
        if self.pin_hash.is_some() {
            return Err(status::NOT_ALLOWED);
        }
        let secret = self.shared_secret(protocol, map)?;
        if !protocol.verify(&secret, &new_pin_enc, &param) {
            return Err(status::PIN_AUTH_INVALID);
        }
        let hash = self.new_pin(protocol, &secret, &new_pin_enc)?;
        self.pin_hash = Some(hash);
        self.pin_retries = MAX_PIN_RETRIES;
        self.consecutive_mismatches = 0;
        Ok(Vec::new())
    }

    fn change_pin(&mut self, map: &BTreeMap<u32, Value>) -> Result<Vec<u8>, u8> {
        let protocol = self.protocol(uint(map.get(&0x01)))?;
        let param = required_bytes(map, 0x04)?;
        let new_pin_enc = required_bytes(map, 0x05)?;
        let pin_hash_enc = required_bytes(map, 0x06)?;
        let stored = self.triable_pin()?;
        let secret = self.shared_secret(protocol, map)?;
        let signed: Vec<u8> = new_pin_enc.iter().chain(&pin_hash_enc).copied().collect();
        if !protocol.verify(&secret, &signed, &param) {
            return Err(status::PIN_AUTH_INVALID);
        }
        self.check_pin_hash(protocol, &secret, &pin_hash_enc, stored)?;
        let hash = self.new_pin(protocol, &secret, &new_pin_enc)?;
        self.pin_hash = Some(hash);
        self.pin_token = None;
        Ok(Vec::new())
    }

    /// getPinToken (0x05) and getPinUvAuthTokenUsingPinWithPermissions (0x09).
    fn pin_token(
        &mut self,
        map: &BTreeMap<u32, Value>,
        with_permissions: bool,
    ) -> Result<Vec<u8>, u8> {
        let protocol = self.protocol(uint(map.get(&0x01)))?;
        if !map.contains_key(&0x03) {
            return Err(status::MISSING_PARAMETER);
        }
        let pin_hash_enc = required_bytes(map, 0x06)?;
        let rp_id = text(map.get(&0x0A));
        let permissions = if with_permissions {
            let bits = uint(map.get(&0x09)).ok_or(status::MISSING_PARAMETER)?;
            if bits == 0 {
                return Err(status::INVALID_PARAMETER);
            }
            // Only mc and ga: no credential management, bio, large blobs or config here.
            if bits & !u32::from(MC | GA) != 0 {
                return Err(status::UNAUTHORIZED_PERMISSION);
            }
            u8::try_from(bits).map_err(|_| status::INVALID_PARAMETER)?
        } else {
            if self.config.version == Version::Fido21
                && (map.contains_key(&0x09) || map.contains_key(&0x0A))
            {
                return Err(status::INVALID_PARAMETER);
            }
            MC | GA
        };
        let stored = self.triable_pin()?;
        let secret = self.shared_secret(protocol, map)?;
        self.check_pin_hash(protocol, &secret, &pin_hash_enc, stored)?;
        let token: [u8; 32] = pin::random_array();
        let encrypted = protocol.encrypt(&secret, &token)?;
        self.pin_token = Some(PinUvAuthToken {
            token,
            permissions,
            rp_id: if with_permissions { rp_id } else { None },
            legacy: !with_permissions,
        });
        encode(&BTreeMap::from([(0x02u32, Value::Bytes(encrypted))]))
    }

    /// Decrements the retries, then compares; a mismatch regenerates the key-agreement key and
    /// answers PIN_BLOCKED at 0, PIN_AUTH_BLOCKED after three in a row, else PIN_INVALID.
    fn check_pin_hash(
        &mut self,
        protocol: Protocol,
        secret: &[u8],
        pin_hash_enc: &[u8],
        stored: [u8; 16],
    ) -> Result<(), u8> {
        self.pin_retries = self.pin_retries.saturating_sub(1);
        let matches = protocol
            .decrypt(secret, pin_hash_enc)
            .is_ok_and(|sent| sent.len() == 16 && sent[..] == stored[..]);
        if !matches {
            self.key_agreement = ecdsa_p256::new_key();
            self.consecutive_mismatches += 1;
            if self.pin_retries == 0 {
                return Err(status::PIN_BLOCKED);
            }
            if self.consecutive_mismatches >= MISMATCHES_BEFORE_POWER_CYCLE {
                self.power_cycle_blocked = true;
                return Err(status::PIN_AUTH_BLOCKED);
            }
            return Err(status::PIN_INVALID);
        }
        self.pin_retries = MAX_PIN_RETRIES;
        self.consecutive_mismatches = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn padded(pin: &[u8], len: usize) -> Vec<u8> {
        let mut out = vec![0u8; len];
        out[..pin.len()].copy_from_slice(pin);
        out
    }

    /// setPIN and changePIN (CTAP 2.1 §6.5.5.5 steps 6-9): an undecryptable newPinEnc is
    /// PIN_AUTH_INVALID, a paddedNewPin that is not 64 bytes INVALID_PARAMETER, and only a
    /// PIN the policy refuses PIN_POLICY_VIOLATION.
    #[test]
    fn a_new_pin_is_unpadded_before_the_policy_is_applied() {
        let state = State::new(Config::default());
        for (protocol, secret) in [
            (Protocol::One, [7u8; 32].to_vec()),
            (Protocol::Two, [7u8; 64].to_vec()),
        ] {
            let enc = |plaintext: &[u8]| protocol.encrypt(&secret, plaintext).unwrap();
            assert_eq!(
                state.new_pin(protocol, &secret, &enc(&padded(b"1234", 64))),
                Ok(pin::pin_hash(b"1234"))
            );
            assert_eq!(
                state.new_pin(protocol, &secret, &enc(&padded(b"1234", 48))),
                Err(status::INVALID_PARAMETER)
            );
            assert_eq!(
                state.new_pin(protocol, &secret, &enc(&padded(b"123", 64))),
                Err(status::PIN_POLICY_VIOLATION)
            );
            assert_eq!(
                state.new_pin(protocol, &secret, &[1u8; 15]),
                Err(status::PIN_AUTH_INVALID)
            );
        }
    }
}
