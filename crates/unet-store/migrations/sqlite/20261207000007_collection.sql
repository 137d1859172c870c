-- Collection of running configurations from devices. One status row per node collected at
-- least once: how its last attempt ended, its consecutive failures (for backoff) and when it
-- is due again. Rows are written one per attempt, so the foreign key costs one index lookup.
CREATE TABLE collection_status (
    node_id         TEXT PRIMARY KEY NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
    last_attempt_at TEXT NOT NULL,
    last_success_at TEXT,
    duration_ms     INTEGER NOT NULL,
    result          TEXT NOT NULL CHECK (result IN ('stored', 'unchanged', 'unreachable',
        'timeout', 'auth_failed', 'host_key_mismatch', 'output_not_recognised',
        'command_failed', 'not_configured')),
    -- What went wrong (never a secret nor configuration text); NULL on success.
    message         TEXT,
    failures        INTEGER NOT NULL,
    next_due_at     TEXT NOT NULL,
    -- The running-config version the last success stored or found unchanged.
    version         INTEGER
);
-- The scheduler's question: which nodes are due.
CREATE INDEX collection_status_due ON collection_status (next_due_at);
CREATE INDEX collection_status_result ON collection_status (result, node_id);

-- The SSH host key each node presented on first contact (trust on first use); a different
-- key later is refused until an operator forgets this one.
CREATE TABLE node_host_keys (
    node_id     TEXT PRIMARY KEY NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
    -- "algorithm base64", as in an OpenSSH known_hosts line.
    host_key    TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    pinned_at   TEXT NOT NULL
);

-- Syslog messages name the sending address: the node it belongs to is one lookup.
CREATE INDEX nodes_management_ip ON nodes (management_ip);
