-- Timestamps are RFC 3339 UTC text with six fractional digits (2026-12-04T19:47:05.123456Z), so
-- text order is time order. JSON columns hold serialised JSON text.

-- Users seen by the app, keyed by their SCIM userName.
CREATE TABLE users (
    user_id        TEXT PRIMARY KEY NOT NULL,
    display_name   TEXT,
    active         BOOLEAN NOT NULL DEFAULT TRUE CHECK (active IN (0, 1)),
    first_seen_at  TEXT NOT NULL,
    last_seen_at   TEXT NOT NULL,
    deactivated_at TEXT
);

CREATE TABLE user_preferences (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id          TEXT NOT NULL,
    preference_key   TEXT NOT NULL CHECK (length(preference_key) BETWEEN 1 AND 255),
    preference_value TEXT NOT NULL CHECK (json_valid(preference_value)),
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    UNIQUE (user_id, preference_key)
);

-- Serves lookups by user_id and the newest-first listing of one user's preferences.
CREATE INDEX user_preferences_user_id_updated_at_idx
    ON user_preferences (user_id, updated_at DESC);

-- One row per model invocation, success or failure. Payloads are capped in size by the app.
CREATE TABLE model_inference_logs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id       TEXT NOT NULL UNIQUE,
    user_id          TEXT NOT NULL,
    endpoint_name    TEXT NOT NULL,
    request_payload  TEXT CHECK (request_payload IS NULL OR json_valid(request_payload)),
    response_payload TEXT CHECK (response_payload IS NULL OR json_valid(response_payload)),
    status           TEXT NOT NULL,
    http_status      INTEGER,
    latency_ms       INTEGER CHECK (latency_ms >= 0),
    error_message    TEXT,
    requested_at     TEXT NOT NULL,
    completed_at     TEXT
);

-- Serves lookups by user_id and the newest-first listing of one user's invocations.
CREATE INDEX model_inference_logs_user_id_requested_at_idx
    ON model_inference_logs (user_id, requested_at DESC);
