-- Config compliance: per node, how its intended configuration (its templates rendered)
-- compares with its latest running configuration, and per template slice the counts. Written
-- in bulk for the whole fleet like policy results, so without foreign keys: triggers delete
-- a node's rows with the node, and the store writes rows only for nodes it has just read
-- in the same transaction.
CREATE TABLE config_checks (
    node_id         TEXT PRIMARY KEY NOT NULL,
    checked_at      TEXT NOT NULL,
    -- The running configuration compared with; NULL when the node has none.
    running_version BIGINT,
    state           TEXT NOT NULL
        CHECK (state IN ('compliant', 'non_compliant', 'no_running_config', 'error')),
    missing         BIGINT NOT NULL,
    extra           BIGINT NOT NULL,
    -- Why the check failed (state 'error').
    message         TEXT
);
CREATE INDEX config_checks_state ON config_checks (state, node_id);

CREATE TABLE config_slices (
    node_id  TEXT NOT NULL,
    -- The template's place in the node's assignments (0 first).
    position BIGINT NOT NULL,
    template TEXT NOT NULL,
    -- The template-match expression; NULL when the template owns the sections it renders.
    owns     TEXT,
    verdict  TEXT NOT NULL CHECK (verdict IN ('compliant', 'missing', 'extra', 'different')),
    missing  BIGINT NOT NULL,
    extra    BIGINT NOT NULL,
    PRIMARY KEY (node_id, position)
);
CREATE INDEX config_slices_template ON config_slices (template, verdict);
-- A verdict filter alone ("which nodes miss lines in any slice").
CREATE INDEX config_slices_verdict ON config_slices (verdict, node_id);

CREATE OR REPLACE FUNCTION config_checks_node_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM config_checks WHERE node_id IN (SELECT id FROM deleted_nodes);
    DELETE FROM config_slices WHERE node_id IN (SELECT id FROM deleted_nodes);
    RETURN NULL;
END
$$;
CREATE TRIGGER config_checks_node_deleted AFTER DELETE ON nodes
    REFERENCING OLD TABLE AS deleted_nodes
    FOR EACH STATEMENT EXECUTE FUNCTION config_checks_node_deleted();
