-- Users, sessions, API keys, security events and the security policy. Passwords are argon2id
-- PHC strings; session tokens and API keys are stored only as SHA-256 hex, so a database dump
-- holds no usable secret. Lockout state lives here so every server sharing the database sees it.

CREATE TABLE users (
    id                  TEXT PRIMARY KEY NOT NULL,
    username            TEXT NOT NULL UNIQUE,
    password_hash       TEXT NOT NULL,
    -- JSON array of role names.
    roles               TEXT NOT NULL,
    disabled            BIGINT NOT NULL DEFAULT 0,
    failed_logins       BIGINT NOT NULL DEFAULT 0,
    locked_until        TEXT,
    last_login          TEXT,
    password_changed_at TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    -- The first characters of the secret, enough to recognise a key in a list.
    prefix     TEXT NOT NULL,
    key_hash   TEXT NOT NULL UNIQUE,
    roles      TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires    TEXT NOT NULL,
    last_used  TEXT,
    revoked_at TEXT
);

CREATE TABLE security_events (
    id         TEXT PRIMARY KEY NOT NULL,
    timestamp  TEXT NOT NULL,
    type       TEXT NOT NULL,
    username   TEXT,
    source_ip  TEXT,
    user_agent TEXT,
    -- JSON object.
    detail     TEXT NOT NULL
);
CREATE INDEX security_events_type_time ON security_events (type, timestamp);
CREATE INDEX security_events_time ON security_events (timestamp);

-- A single row (id = 1) holding the policy as JSON; absent means the built-in defaults.
CREATE TABLE security_policies (
    id         BIGINT PRIMARY KEY NOT NULL,
    policy     TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);
