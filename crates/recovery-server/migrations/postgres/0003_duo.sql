-- Duo provider: landlines being proven by an answered call (Duo's Auth API transaction).
CREATE TABLE duo_pending_phones (
    phone_id      TEXT PRIMARY KEY,
    person_id     TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    txid          TEXT NOT NULL,
    -- 1 when this service created the phone object, so a failed proof deletes it again.
    created_phone BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
