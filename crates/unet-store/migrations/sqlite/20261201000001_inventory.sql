-- Inventory: locations, nodes, links, and the change history written with every mutation.
-- Timestamps are RFC 3339 UTC text with microseconds (they sort as text), JSON is text,
-- ids are UUID text.

CREATE TABLE locations (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    parent_id   TEXT REFERENCES locations (id),
    description TEXT,
    custom_data TEXT NOT NULL DEFAULT '{}',
    -- Derived from the names on the way from the root, kept current by the store.
    path        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    revision    INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX locations_sibling_name ON locations (COALESCE(parent_id, ''), name);
CREATE INDEX locations_parent ON locations (parent_id);
CREATE INDEX locations_kind ON locations (kind);
CREATE INDEX locations_name ON locations (name);
CREATE INDEX locations_order ON locations (path, id);

CREATE TABLE nodes (
    id            TEXT PRIMARY KEY NOT NULL,
    name          TEXT NOT NULL,
    domain        TEXT,
    fqdn          TEXT NOT NULL,
    vendor        TEXT,
    platform      TEXT NOT NULL,
    model         TEXT,
    role          TEXT,
    status        TEXT NOT NULL,
    location_id   TEXT REFERENCES locations (id),
    management_ip TEXT,
    serial_number TEXT,
    asset_tag     TEXT,
    custom_data   TEXT NOT NULL DEFAULT '{}',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    revision      INTEGER NOT NULL DEFAULT 1
);
-- A name is one hostname label, so (name, domain) is unique exactly when fqdn is.
CREATE UNIQUE INDEX nodes_fqdn ON nodes (fqdn);
-- List order: name, then domain (fqdn orders like domain within one name; it is unique).
CREATE INDEX nodes_order ON nodes (name, fqdn);
-- Every filter index ends with the list order, so a filtered page is an ordered index walk
-- that stops after one page instead of sorting every match.
CREATE INDEX nodes_status ON nodes (status, role, name, fqdn);
CREATE INDEX nodes_role ON nodes (role, name, fqdn);
CREATE INDEX nodes_vendor ON nodes (vendor, name, fqdn);
CREATE INDEX nodes_platform ON nodes (platform, name, fqdn);
CREATE INDEX nodes_location ON nodes (location_id, name, fqdn);

CREATE TABLE links (
    id            TEXT PRIMARY KEY NOT NULL,
    name          TEXT,
    node_a_id     TEXT NOT NULL REFERENCES nodes (id),
    interface_a   TEXT NOT NULL,
    node_z_id     TEXT REFERENCES nodes (id),
    interface_z   TEXT,
    bandwidth_bps INTEGER,
    circuit_id    TEXT,
    provider      TEXT,
    description   TEXT,
    custom_data   TEXT NOT NULL DEFAULT '{}',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    revision      INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX links_node_a ON links (node_a_id);
CREATE INDEX links_node_z ON links (node_z_id);
CREATE INDEX links_name ON links (name);
CREATE INDEX links_circuit ON links (circuit_id);
CREATE INDEX links_provider ON links (provider);

-- One row per (node, interface) a link occupies, so that the database itself guarantees an
-- interface is used by at most one link, whichever side it is on.
CREATE TABLE link_endpoints (
    node_id   TEXT NOT NULL REFERENCES nodes (id),
    interface TEXT NOT NULL,
    link_id   TEXT NOT NULL REFERENCES links (id) ON DELETE CASCADE,
    PRIMARY KEY (node_id, interface)
);
CREATE INDEX link_endpoints_link ON link_endpoints (link_id);

CREATE TABLE configuration_changes (
    -- Insertion order: history is listed newest first by this, not by the clock.
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    entity_type TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    action      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    source      TEXT NOT NULL,
    before      TEXT,
    after       TEXT,
    request_id  TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX configuration_changes_entity ON configuration_changes (entity_id, seq);
CREATE INDEX configuration_changes_entity_type ON configuration_changes (entity_type, seq);
CREATE INDEX configuration_changes_action ON configuration_changes (action, seq);
CREATE INDEX configuration_changes_source ON configuration_changes (source, seq);
CREATE INDEX configuration_changes_actor ON configuration_changes (actor, seq);
CREATE INDEX configuration_changes_created ON configuration_changes (created_at);
