-- Verification attempts being checked now, each with a deadline. Counted with the failures on
-- record when a new attempt is charged; an attempt left behind by a process that died stops
-- counting at its deadline.
CREATE TABLE verification_attempts (
    id         TEXT PRIMARY KEY,
    username   TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX verification_attempts_by_username ON verification_attempts (username, expires_at);

-- Dummy hashes for unknown usernames, one per kind of secret ('password', 'knowledge'), with
-- the argon2 parameters most people's records have; refreshed when people are imported.
CREATE TABLE hash_dummies (
    kind TEXT PRIMARY KEY,
    phc  TEXT NOT NULL
);
