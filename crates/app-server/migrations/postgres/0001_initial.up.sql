-- Users seen by the app, keyed by their SCIM userName.
CREATE TABLE users (
    user_id        TEXT PRIMARY KEY,
    display_name   TEXT,
    active         BOOLEAN NOT NULL DEFAULT TRUE,
    first_seen_at  TIMESTAMPTZ NOT NULL,
    last_seen_at   TIMESTAMPTZ NOT NULL,
    deactivated_at TIMESTAMPTZ
);

CREATE TABLE user_preferences (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id          TEXT NOT NULL,
    preference_key   TEXT NOT NULL CHECK (char_length(preference_key) BETWEEN 1 AND 255),
    preference_value JSONB NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    CONSTRAINT user_preferences_user_id_preference_key_key UNIQUE (user_id, preference_key)
);

-- Serves lookups by user_id and the newest-first listing of one user's preferences.
CREATE INDEX user_preferences_user_id_updated_at_idx
    ON user_preferences (user_id, updated_at DESC);

-- One row per model invocation, success or failure. Payloads are capped in size by the app.
CREATE TABLE model_inference_logs (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id       TEXT NOT NULL UNIQUE,
    user_id          TEXT NOT NULL,
    endpoint_name    TEXT NOT NULL,
    request_payload  JSONB,
    response_payload JSONB,
    status           TEXT NOT NULL,
    http_status      INTEGER,
    latency_ms       BIGINT CHECK (latency_ms >= 0),
    error_message    TEXT,
    requested_at     TIMESTAMPTZ NOT NULL,
    completed_at     TIMESTAMPTZ
);

-- Serves lookups by user_id and the newest-first listing of one user's invocations.
CREATE INDEX model_inference_logs_user_id_requested_at_idx
    ON model_inference_logs (user_id, requested_at DESC);
