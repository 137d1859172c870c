-- Inventory: locations, nodes, links, and the change history written with every mutation.
-- Text columns collate "C" (byte order, as SQLite). Timestamps are RFC 3339 UTC text with microseconds (they sort as text), JSON is text,
-- ids are UUID text.

CREATE TABLE locations (
    id          TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    name        TEXT COLLATE "C" NOT NULL,
    kind        TEXT COLLATE "C" NOT NULL,
    parent_id   TEXT COLLATE "C" REFERENCES locations (id),
    description TEXT COLLATE "C",
    custom_data TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    -- Derived from the names on the way from the root, kept current by the store.
    path        TEXT COLLATE "C" NOT NULL,
    created_at  TEXT COLLATE "C" NOT NULL,
    updated_at  TEXT COLLATE "C" NOT NULL,
    revision    BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX locations_sibling_name ON locations (COALESCE(parent_id, ''), name);
CREATE INDEX locations_parent ON locations (parent_id);
CREATE INDEX locations_kind ON locations (kind);
CREATE INDEX locations_name ON locations (name);
CREATE INDEX locations_order ON locations (path, id);

CREATE TABLE nodes (
    id            TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    name          TEXT COLLATE "C" NOT NULL,
    domain        TEXT COLLATE "C",
    fqdn          TEXT COLLATE "C" NOT NULL,
    vendor        TEXT COLLATE "C",
    platform      TEXT COLLATE "C" NOT NULL,
    model         TEXT COLLATE "C",
    role          TEXT COLLATE "C",
    status        TEXT COLLATE "C" NOT NULL,
    location_id   TEXT COLLATE "C" REFERENCES locations (id),
    management_ip TEXT COLLATE "C",
    serial_number TEXT COLLATE "C",
    asset_tag     TEXT COLLATE "C",
    custom_data   TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    created_at    TEXT COLLATE "C" NOT NULL,
    updated_at    TEXT COLLATE "C" NOT NULL,
    revision      BIGINT NOT NULL DEFAULT 1
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
    id            TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    name          TEXT COLLATE "C",
    node_a_id     TEXT COLLATE "C" NOT NULL REFERENCES nodes (id),
    interface_a   TEXT COLLATE "C" NOT NULL,
    node_z_id     TEXT COLLATE "C" REFERENCES nodes (id),
    interface_z   TEXT COLLATE "C",
    bandwidth_bps BIGINT,
    circuit_id    TEXT COLLATE "C",
    provider      TEXT COLLATE "C",
    description   TEXT COLLATE "C",
    custom_data   TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    created_at    TEXT COLLATE "C" NOT NULL,
    updated_at    TEXT COLLATE "C" NOT NULL,
    revision      BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX links_node_a ON links (node_a_id);
CREATE INDEX links_node_z ON links (node_z_id);
CREATE INDEX links_name ON links (name);
CREATE INDEX links_circuit ON links (circuit_id);
CREATE INDEX links_provider ON links (provider);

-- One row per (node, interface) a link occupies, so that the database itself guarantees an
-- interface is used by at most one link, whichever side it is on.
CREATE TABLE link_endpoints (
    node_id   TEXT COLLATE "C" NOT NULL REFERENCES nodes (id),
    interface TEXT COLLATE "C" NOT NULL,
    link_id   TEXT COLLATE "C" NOT NULL REFERENCES links (id) ON DELETE CASCADE,
    PRIMARY KEY (node_id, interface)
);
CREATE INDEX link_endpoints_link ON link_endpoints (link_id);

CREATE TABLE configuration_changes (
    -- Insertion order: history is listed newest first by this, not by the clock.
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          TEXT COLLATE "C" NOT NULL UNIQUE,
    entity_type TEXT COLLATE "C" NOT NULL,
    entity_id   TEXT COLLATE "C" NOT NULL,
    action      TEXT COLLATE "C" NOT NULL,
    actor       TEXT COLLATE "C" NOT NULL,
    source      TEXT COLLATE "C" NOT NULL,
    before      TEXT COLLATE "C",
    after       TEXT COLLATE "C",
    request_id  TEXT COLLATE "C",
    created_at  TEXT COLLATE "C" NOT NULL
);
CREATE INDEX configuration_changes_entity ON configuration_changes (entity_id, seq);
CREATE INDEX configuration_changes_entity_type ON configuration_changes (entity_type, seq);
CREATE INDEX configuration_changes_action ON configuration_changes (action, seq);
CREATE INDEX configuration_changes_source ON configuration_changes (source, seq);
CREATE INDEX configuration_changes_actor ON configuration_changes (actor, seq);
CREATE INDEX configuration_changes_created ON configuration_changes (created_at);
