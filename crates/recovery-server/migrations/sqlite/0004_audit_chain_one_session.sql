-- Tamper-evident audit log: every record holds the SHA-256 of the record before it (a hash
-- chain; see crates/recovery-server/src/audit/chain.rs for the exact encoding), and a one-row head names the last
-- record, so that an altered, deleted, inserted or reordered record, or a log cut short while
-- the head remains, shows in `recovery-server audit verify`. Appends update the head in the
-- same transaction, which puts them in one order.
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_events ADD COLUMN hash TEXT;

CREATE TABLE audit_chain_head (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    -- Records up to this one were written before the chain existed; they are not covered.
    start_seq INTEGER NOT NULL,
    last_seq  INTEGER NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_chain_head (id, start_seq, last_seq, last_hash)
SELECT 1, COALESCE(MAX(seq), 0), COALESCE(MAX(seq), 0),
       '0000000000000000000000000000000000000000000000000000000000000000'
FROM audit_events;

CREATE TRIGGER audit_chain_head_no_delete BEFORE DELETE ON audit_chain_head
BEGIN SELECT RAISE(ABORT, 'audit_chain_head cannot be deleted'); END;
CREATE TRIGGER audit_chain_head_forward_only BEFORE UPDATE ON audit_chain_head
WHEN NEW.last_seq < OLD.last_seq OR NEW.start_seq <> OLD.start_seq
BEGIN SELECT RAISE(ABORT, 'the audit chain head only moves forward'); END;

-- One live recovery session per person: opening one ends the older ones. Each opening first
-- writes this person's row, so concurrent sign-ins of one person queue (PostgreSQL; SQLite has
-- one writer anyway) and the last one to commit is the only session left.
CREATE TABLE session_person_locks (
    person_id  TEXT PRIMARY KEY,
    touched_at INTEGER NOT NULL
);
