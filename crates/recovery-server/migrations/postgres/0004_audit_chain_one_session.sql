-- Tamper-evident audit log: every record holds the SHA-256 of the record before it (a hash
-- chain; see crates/recovery-server/src/audit/chain.rs for the exact encoding), and a one-row head names the last
-- record, so that an altered, deleted, inserted or reordered record, or a log cut short while
-- the head remains, shows in `recovery-server audit verify`. Appends update the head in the
-- same transaction: its row lock puts them in one order. docs/postgres-roles.md gives the
-- grants that keep the service's own role from changing either table.
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_events ADD COLUMN hash TEXT;

CREATE TABLE audit_chain_head (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    -- Records up to this one were written before the chain existed; they are not covered.
    start_seq BIGINT NOT NULL,
    last_seq  BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_chain_head (id, start_seq, last_seq, last_hash)
SELECT 1, COALESCE(MAX(seq), 0), COALESCE(MAX(seq), 0),
       '0000000000000000000000000000000000000000000000000000000000000000'
FROM audit_events;

-- Row triggers do not see TRUNCATE; a statement trigger does (for an owner without the grants).
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();

CREATE FUNCTION audit_chain_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION 'audit_chain_head cannot be deleted';
    END IF;
    IF NEW.last_seq < OLD.last_seq OR NEW.start_seq <> OLD.start_seq THEN
        RAISE EXCEPTION 'the audit chain head only moves forward';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER audit_chain_head_forward_only BEFORE UPDATE OR DELETE ON audit_chain_head
FOR EACH ROW EXECUTE FUNCTION audit_chain_head_forward_only();
CREATE TRIGGER audit_chain_head_no_truncate BEFORE TRUNCATE ON audit_chain_head
FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_head_forward_only();

-- One live recovery session per person: opening one ends the older ones. Each opening first
-- writes this person's row, so concurrent sign-ins of one person queue (PostgreSQL; SQLite has
-- one writer anyway) and the last one to commit is the only session left.
CREATE TABLE session_person_locks (
    person_id  TEXT PRIMARY KEY,
    touched_at BIGINT NOT NULL
);
