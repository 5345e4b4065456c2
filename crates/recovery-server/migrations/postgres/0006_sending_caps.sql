-- Daily caps on what the service sends on a person's behalf (src/sending_caps.rs): one
-- counter per person or session and per channel, over a day that starts at its first send.
CREATE TABLE sending_counts (
    scope        TEXT NOT NULL,  -- 'person:<id>' or 'session:<id>'
    channel      TEXT NOT NULL,  -- 'notice', 'call' or 'text'
    window_start BIGINT NOT NULL,
    sent         BIGINT NOT NULL,
    PRIMARY KEY (scope, channel)
);

-- Duo provider: the person's current self-service bypass code at Duo, so a new one revokes it
-- there (DELETE /admin/v1/bypass_codes/{id}). Help-desk codes are never recorded here.
CREATE TABLE duo_self_service_codes (
    person_id      TEXT PRIMARY KEY,
    bypass_code_id TEXT NOT NULL
);
