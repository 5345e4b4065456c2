-- The help-desk console (docs/help-desk.md): agent sessions, agents' own security keys, the
-- caller verifications agents make, and per-agent hourly counters.

-- Agent sessions: a token kind of their own (keyed hash), never a recovery session.
CREATE TABLE help_desk_sessions (
    id              TEXT PRIMARY KEY,
    token_hash      TEXT NOT NULL UNIQUE,
    agent_person_id TEXT NOT NULL,
    role            TEXT NOT NULL,
    method          TEXT NOT NULL,  -- 'security_key' or 'passcode'
    client          TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    ended_at        INTEGER
);
CREATE INDEX help_desk_sessions_by_agent ON help_desk_sessions (agent_person_id, ended_at);
-- Written first when an agent signs in: concurrent sign-ins queue, and one session stays live.
CREATE TABLE help_desk_agent_locks (
    agent_person_id TEXT PRIMARY KEY,
    touched_at      INTEGER NOT NULL
);

-- The agents' own security keys for signing in here, whatever the MFA provider.
CREATE TABLE help_desk_keys (
    id              TEXT PRIMARY KEY,
    agent_person_id TEXT NOT NULL,
    credential_id   TEXT NOT NULL UNIQUE,
    credential      TEXT NOT NULL,  -- webauthn-rs SecurityKey JSON: public key and counter
    name            TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX help_desk_keys_by_agent ON help_desk_keys (agent_person_id);
-- Sign-in challenges, one use; an empty state is a challenge for a username with no keys.
CREATE TABLE help_desk_key_challenges (
    id         TEXT PRIMARY KEY,
    username   TEXT NOT NULL,
    state      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX help_desk_key_challenges_by_expiry ON help_desk_key_challenges (expires_at);
-- An agent registering a key of their own, one use.
CREATE TABLE help_desk_key_registrations (
    id              TEXT PRIMARY KEY,
    agent_person_id TEXT NOT NULL,
    state           TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    finished_at     INTEGER
);

-- A caller verification: one agent session, one person, one method.
CREATE TABLE caller_verifications (
    id               TEXT PRIMARY KEY,
    agent_session_id TEXT NOT NULL,
    person_id        TEXT NOT NULL,
    method           TEXT NOT NULL,  -- 'sent_code', 'date_of_birth_and_pin', 'in_person'
    code_hash        TEXT,           -- argon2id of a sent code
    attempts_left    INTEGER NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'verified', 'failed')),
    created_at       INTEGER NOT NULL,
    verified_at      INTEGER,
    expires_at       INTEGER NOT NULL
);
CREATE INDEX caller_verifications_by_session ON caller_verifications (agent_session_id);

-- Per-agent hourly counters ('action', 'look_up'), charged by one conditional upsert.
CREATE TABLE help_desk_action_counts (
    agent_person_id TEXT NOT NULL,
    kind            TEXT NOT NULL,
    window_start    INTEGER NOT NULL,
    used            INTEGER NOT NULL,
    PRIMARY KEY (agent_person_id, kind)
);

-- A new help-desk bypass code replaces the person's previous help-desk code (as a self-service
-- code replaces the previous self-service code); codes of the other origin are left alone.
UPDATE bypass_codes SET revoked_at = created_at
 WHERE origin = 'help_desk' AND used_at IS NULL AND revoked_at IS NULL
   AND EXISTS (SELECT 1 FROM bypass_codes newer
                WHERE newer.person_id = bypass_codes.person_id AND newer.origin = 'help_desk'
                  AND newer.used_at IS NULL AND newer.revoked_at IS NULL
                  AND (newer.created_at > bypass_codes.created_at
                       OR (newer.created_at = bypass_codes.created_at AND newer.id > bypass_codes.id)));
CREATE UNIQUE INDEX bypass_codes_one_live_help_desk ON bypass_codes (person_id)
    WHERE origin = 'help_desk' AND used_at IS NULL AND revoked_at IS NULL;
