-- The recovery PIN leaves the builtin directory: the service keeps it for every directory
-- (builtin or LDAP), hashed with the date of birth, and people can set it themselves.
CREATE TABLE recovery_pins (
    person_id      TEXT PRIMARY KEY,
    knowledge_hash TEXT NOT NULL,  -- argon2id of date of birth and PIN together
    set_at         BIGINT NOT NULL
);
INSERT INTO recovery_pins (person_id, knowledge_hash, set_at)
    SELECT id, recovery_hash, updated_at FROM people;
ALTER TABLE people DROP COLUMN recovery_hash;

-- HR facts for directories that do not hold them (LDAP without a date-of-birth attribute),
-- and for the builtin one: the date of birth, sealed under the service's key.
CREATE TABLE hr_facts (
    username      TEXT PRIMARY KEY,
    date_of_birth TEXT NOT NULL,
    updated_at    BIGINT NOT NULL
);

-- How a session was opened: setting the recovery PIN needs one opened with a passcode.
ALTER TABLE recovery_sessions ADD COLUMN method TEXT NOT NULL DEFAULT 'date_of_birth_and_pin';
