-- Running configurations: per node, one row per distinct content (the store compares the
-- content key with the node's latest version before it writes), numbered 1, 2, 3… per node.
-- Rows are written one at a time, by a push that has just locked the node row, so the
-- foreign key costs one index lookup per push (unlike policy_results, written in bulk) and
-- deletes a node's configurations with the node.
CREATE TABLE running_configs (
    node_id    TEXT NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
    version    BIGINT NOT NULL CHECK (version >= 1),
    -- SHA-256 of content, lower-case hex.
    sha256     TEXT NOT NULL,
    -- SHA-256 of the lines that are not volatile for the node's platform (timestamps of the
    -- last change, clock drift): a push whose key equals the latest's stores nothing.
    content_key TEXT NOT NULL,
    taken_at   TEXT NOT NULL,
    stored_at  TEXT NOT NULL,
    source     TEXT NOT NULL CHECK (source IN ('upload', 'collected')),
    size_bytes BIGINT NOT NULL,
    line_count BIGINT NOT NULL,
    content    TEXT NOT NULL,
    -- Also the index behind a node's latest version (MAX(version) per node), its history
    -- (newest first) and retention.
    PRIMARY KEY (node_id, version)
);
