-- Single-use links to the security-key enrolment page (src/security_key_link.rs): the help
-- desk e-mails one, the person registers a key in their browser. Only the code's keyed hash is
-- kept; a link is spent once (used_at), ends at expires_at, and ends after 5 rejected answers.
CREATE TABLE security_key_links (
    id            TEXT PRIMARY KEY,
    person_id     TEXT NOT NULL,
    code_hash     TEXT NOT NULL UNIQUE,
    created_by    TEXT NOT NULL,  -- the agent's username, or 'operator' for the CLI
    agent_session TEXT,           -- the agent session it was sent from, for the audit trail
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    used_at       INTEGER,
    started       INTEGER NOT NULL DEFAULT 0,  -- registrations begun through it
    rejected      INTEGER NOT NULL DEFAULT 0   -- answers refused; 5 end the link
);
CREATE INDEX security_key_links_person ON security_key_links (person_id);
