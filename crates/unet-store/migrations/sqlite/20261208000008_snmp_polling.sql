-- SNMP polling. One status row per node polled at least once: how its last poll ended, its
-- failures in a row (for backoff), when it is due again, whether the agent answers, and the
-- system group and drift of its last successful poll.
CREATE TABLE poll_status (
    node_id         TEXT PRIMARY KEY NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
    last_poll_at    TEXT NOT NULL,
    last_success_at TEXT,
    duration_ms     INTEGER NOT NULL,
    result          TEXT NOT NULL CHECK (result IN ('ok', 'timeout', 'auth_failed', 'malformed',
        'not_configured', 'network_error')),
    -- What went wrong (never a secret); NULL on success.
    message         TEXT,
    failures        INTEGER NOT NULL,
    next_due_at     TEXT NOT NULL,
    -- 1 answers, 0 does not (timeouts), NULL not known yet.
    reachable       INTEGER,
    sys_name        TEXT,
    sys_descr       TEXT,
    sys_object_id   TEXT,
    sys_contact     TEXT,
    sys_location    TEXT,
    -- sysUpTime in hundredths of a second, and the boot time it implies.
    uptime_ticks    INTEGER,
    booted_at       TEXT,
    vendor          TEXT,
    version         TEXT,
    -- Where the device disagreed with the inventory at its last successful poll (JSON array).
    drift           TEXT NOT NULL DEFAULT '[]',
    drift_count     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX poll_status_due ON poll_status (next_due_at);
CREATE INDEX poll_status_result ON poll_status (result, node_id);
CREATE INDEX poll_status_reachable ON poll_status (reachable, node_id);
CREATE INDEX poll_status_drift ON poll_status (drift_count, node_id);

-- The interfaces of each node's last successful poll, with its counters and the rates since
-- the poll before.
CREATE TABLE polled_interfaces (
    node_id           TEXT NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
    if_index          INTEGER NOT NULL,
    name              TEXT NOT NULL,
    description       TEXT,
    alias             TEXT,
    admin_status      TEXT NOT NULL,
    oper_status       TEXT NOT NULL,
    speed_bps         INTEGER,
    last_change_ticks INTEGER,
    in_octets         INTEGER,
    out_octets        INTEGER,
    in_errors         INTEGER,
    out_errors        INTEGER,
    in_discards       INTEGER,
    out_discards      INTEGER,
    high_capacity     INTEGER NOT NULL,
    in_bps            INTEGER,
    out_bps           INTEGER,
    PRIMARY KEY (node_id, if_index)
);

-- The LLDP neighbours of each node's last successful poll.
CREATE TABLE polled_neighbours (
    node_id          TEXT NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
    local_port       TEXT NOT NULL,
    chassis_id       TEXT NOT NULL,
    port             TEXT NOT NULL,
    system_name      TEXT,
    port_description TEXT,
    PRIMARY KEY (node_id, local_port, chassis_id, port)
);

-- What successive polls revealed: reachability, reboots, interfaces up and down, neighbours
-- added and lost. Kept for snmp.event_retention.
CREATE TABLE status_events (
    id          TEXT PRIMARY KEY NOT NULL,
    node_id     TEXT NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('reachable', 'unreachable', 'reboot',
        'interface_up', 'interface_down', 'neighbour_added', 'neighbour_lost')),
    interface   TEXT,
    detail      TEXT NOT NULL,
    occurred_at TEXT NOT NULL
);
CREATE INDEX status_events_time ON status_events (occurred_at, id);
CREATE INDEX status_events_node ON status_events (node_id, occurred_at, id);
CREATE INDEX status_events_kind ON status_events (kind, occurred_at, id);
