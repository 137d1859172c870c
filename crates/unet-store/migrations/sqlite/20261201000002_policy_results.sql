-- Policy evaluation: one result per node × rule, a per-node evaluation row (when the node was
-- last evaluated and its counts per outcome), and the templates policies assigned to nodes.
-- A result row is rewritten only when its outcome or detail changes; the time of the last
-- evaluation lives in policy_evaluations, so an unchanged fleet re-evaluates cheaply.

CREATE TABLE policy_results (
    node_id    TEXT NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
    rule_id    TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    -- JSON text; NULL when the result carries no detail.
    expected   TEXT,
    actual     TEXT,
    message    TEXT,
    -- When the outcome last changed for this node (first evaluation included).
    changed_at TEXT NOT NULL,
    PRIMARY KEY (node_id, rule_id)
);
CREATE INDEX policy_results_outcome ON policy_results (outcome, rule_id);
CREATE INDEX policy_results_rule ON policy_results (rule_id, outcome);

CREATE TABLE policy_evaluations (
    node_id        TEXT PRIMARY KEY NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
    evaluated_at   TEXT NOT NULL,
    pass           INTEGER NOT NULL,
    fail           INTEGER NOT NULL,
    error          INTEGER NOT NULL,
    not_applicable INTEGER NOT NULL,
    -- SHA-256 of the results recorded, to skip nodes whose results did not change.
    digest         TEXT NOT NULL
);
-- Worst nodes first: most failures and errors.
CREATE INDEX policy_evaluations_worst ON policy_evaluations ((fail + error) DESC, node_id);

CREATE TABLE node_templates (
    node_id  TEXT NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
    template TEXT NOT NULL,
    -- Order of assignment (rule order), 0-based per node.
    position INTEGER NOT NULL,
    PRIMARY KEY (node_id, template)
);
