-- Policy results are the largest table (nodes × rules) and a first evaluation of a fleet
-- inserts all of them, so each row should cost as few B-tree insertions as possible:
-- * one secondary index, (outcome, rule_id): a rule filter alone reads it as
--   outcome IN ('pass', 'fail', 'error') AND rule_id = ?, so (rule_id, outcome) is not needed;
-- * no per-row foreign-key check: a trigger deletes a node's results with the node, and the
--   store writes results only for nodes it has just read inside the same write transaction;
-- * no rows for rules that do not apply to a node: policy_evaluations counts them, and on a
--   typical fleet they are most of the node × rule pairs.
CREATE TABLE policy_results_lean (
    node_id    TEXT NOT NULL,
    rule_id    TEXT NOT NULL,
    -- Rules that do not apply are counted in policy_evaluations, not stored.
    outcome    TEXT NOT NULL CHECK (outcome IN ('pass', 'fail', 'error')),
    -- JSON text; NULL when the result carries no detail.
    expected   TEXT,
    actual     TEXT,
    message    TEXT,
    -- When the outcome last changed for this node (first evaluation included).
    changed_at TEXT NOT NULL,
    PRIMARY KEY (node_id, rule_id)
);
INSERT INTO policy_results_lean (node_id, rule_id, outcome, expected, actual, message, changed_at)
    SELECT node_id, rule_id, outcome, expected, actual, message, changed_at FROM policy_results
    WHERE outcome <> 'not_applicable';
DROP TABLE policy_results;
ALTER TABLE policy_results_lean RENAME TO policy_results;
CREATE INDEX policy_results_outcome ON policy_results (outcome, rule_id);

CREATE TRIGGER policy_results_node_deleted AFTER DELETE ON nodes
BEGIN
    DELETE FROM policy_results WHERE node_id = OLD.id;
END;
