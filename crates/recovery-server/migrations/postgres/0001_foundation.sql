-- Directory (builtin): who people are and how they are verified.
CREATE TABLE people (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    -- argon2id of date of birth and recovery PIN together: one check, one answer.
    recovery_hash TEXT NOT NULL,
    emails        TEXT NOT NULL,  -- JSON array of notification addresses
    phones        TEXT NOT NULL,  -- JSON array of E.164 numbers
    updated_at    BIGINT NOT NULL
);

-- Verification throttle, keyed by the username as typed (normalised), known or not.
CREATE TABLE account_throttle (
    username       TEXT PRIMARY KEY,
    in_a_row       BIGINT NOT NULL,
    locked_until   BIGINT NOT NULL DEFAULT 0,
    help_desk_lock BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE verification_failures (
    username TEXT NOT NULL,
    at       BIGINT NOT NULL
);
CREATE INDEX verification_failures_by_username ON verification_failures (username, at);
CREATE TABLE client_throttle (
    client       TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    failures     BIGINT NOT NULL
);

CREATE TABLE recovery_sessions (
    id         TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    person_id  TEXT NOT NULL,
    client     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ended_at   BIGINT
);

-- MFA provider (builtin): bypass codes and devices.
CREATE TABLE bypass_codes (
    id         TEXT PRIMARY KEY,
    person_id  TEXT NOT NULL,
    code_hash  TEXT NOT NULL,
    origin     TEXT NOT NULL CHECK (origin IN ('self_service', 'help_desk')),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    revoked_at BIGINT
);
CREATE INDEX bypass_codes_by_person ON bypass_codes (person_id, expires_at);
-- At most one live self-service code per person, even under concurrent issuing.
CREATE UNIQUE INDEX bypass_codes_one_live_self_service ON bypass_codes (person_id)
    WHERE origin = 'self_service' AND used_at IS NULL AND revoked_at IS NULL;

-- One row per person, written first in every transaction that changes their bypass codes: the
-- row lock queues concurrent changes for one person (PostgreSQL; SQLite has one writer anyway).
CREATE TABLE mfa_person_locks (
    person_id  TEXT PRIMARY KEY,
    touched_at BIGINT NOT NULL
);

CREATE TABLE authenticators (
    id            TEXT PRIMARY KEY,
    person_id     TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('phone', 'security_key', 'hardware_token')),
    name          TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('active', 'pending', 'disabled')),
    phone_number  TEXT,
    phone_type    TEXT CHECK (phone_type IN ('mobile', 'landline')),
    platform      TEXT,
    app_activated BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL
);
CREATE INDEX authenticators_by_person ON authenticators (person_id);

-- Append-only: the triggers refuse every change after the fact.
CREATE TABLE audit_events (
    seq       BIGSERIAL PRIMARY KEY,
    at        BIGINT NOT NULL,
    event     TEXT NOT NULL,
    outcome   TEXT NOT NULL,
    person_id TEXT,
    username  TEXT,
    client    TEXT NOT NULL,
    detail    TEXT NOT NULL
);
CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_events is append-only'; END;
$$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();

-- What the outbox notifier "sent" (demo and tests).
CREATE TABLE outbox_messages (
    id         BIGSERIAL PRIMARY KEY,
    channel    TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    subject    TEXT,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE kiosks (
    id                    TEXT PRIMARY KEY,
    name                  TEXT NOT NULL,
    enrollment_hash       TEXT NOT NULL UNIQUE,
    enrollment_expires_at BIGINT NOT NULL,
    credential_hash       TEXT UNIQUE,
    enrolled_at           BIGINT,
    revoked_at            BIGINT,
    created_at            BIGINT NOT NULL
);

-- Keys the service generates for itself when the configuration gives none.
CREATE TABLE service_keys (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
