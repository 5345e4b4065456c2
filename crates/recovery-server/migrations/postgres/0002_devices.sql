-- Devices beyond the first phone: landlines proven by a call, phone-app activation, security
-- keys, hardware tokens, and removal.
ALTER TABLE authenticators ADD COLUMN phone_extension TEXT;
-- Security keys: the credential as webauthn-rs serialises it (public key and counter; not secret).
ALTER TABLE authenticators ADD COLUMN credential_id TEXT;
ALTER TABLE authenticators ADD COLUMN credential TEXT;
-- TOTP (phone app) and HOTP (hardware token) secrets, sealed with the service's OTP key.
ALTER TABLE authenticators ADD COLUMN otp_secret TEXT;
-- HOTP: the next counter; TOTP: the last time step accepted (no replay).
ALTER TABLE authenticators ADD COLUMN otp_counter BIGINT;
ALTER TABLE authenticators ADD COLUMN serial TEXT;
ALTER TABLE authenticators ADD COLUMN disabled_at BIGINT;
ALTER TABLE authenticators ADD COLUMN disabled_reason TEXT;
CREATE UNIQUE INDEX authenticators_by_serial ON authenticators (serial)
    WHERE serial IS NOT NULL AND status <> 'disabled';
-- A credential belongs to one person at a time (webauthn-rs leaves this check to us).
CREATE UNIQUE INDEX authenticators_by_credential_id ON authenticators (credential_id)
    WHERE credential_id IS NOT NULL AND status <> 'disabled';

-- The code a verification call spoke, hashed, with the tries left.
CREATE TABLE phone_verifications (
    phone_id      TEXT PRIMARY KEY,
    code_hash     TEXT NOT NULL,
    attempts_left BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);

-- Single-use activation codes (at least 112 bits), stored as keyed hashes.
CREATE TABLE phone_activations (
    id         TEXT PRIMARY KEY,
    phone_id   TEXT NOT NULL,
    code_hash  TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

-- WebAuthn registration state stays on the server and is finished at most once.
CREATE TABLE security_key_registrations (
    id          TEXT PRIMARY KEY,
    person_id   TEXT NOT NULL,
    state       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    finished_at BIGINT
);
