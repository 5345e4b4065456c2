-- The grants that keep Recovery Desk's audit log append-only on PostgreSQL
-- (docs/postgres-roles.md). Run as the owner role, after `recovery-server migrate`.
-- `recovery_service` is the role the service logs in with; rename it to yours.
GRANT USAGE ON SCHEMA public TO recovery_service;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO recovery_service;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO recovery_service;
-- The audit log: append and read, nothing else.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM recovery_service;
-- The chain head: read and move forward (its trigger refuses going back).
REVOKE INSERT, DELETE, TRUNCATE ON audit_chain_head FROM recovery_service;
-- The schema's history is the owner's.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON _sqlx_migrations FROM recovery_service;
