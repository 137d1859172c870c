-- Policy results are the largest table (nodes × rules) and a first evaluation of a fleet
-- inserts all of them, so each row should cost as little as possible:
-- * one secondary index, (outcome, rule_id): a rule filter alone reads it as
--   outcome IN ('pass', 'fail', 'error') AND rule_id = ?, so (rule_id, outcome) is not needed;
-- * no foreign key: its check ran a locking lookup in nodes for every inserted row. A trigger
--   deletes the results of deleted nodes once per statement, and the store locks the nodes
--   it records results for (FOR KEY SHARE) once per page, in the same transaction;
-- * no rows for rules that do not apply to a node: policy_evaluations counts them, and on a
--   typical fleet they are most of the node × rule pairs.
ALTER TABLE policy_results DROP CONSTRAINT policy_results_node_id_fkey;
DROP INDEX policy_results_rule;
DELETE FROM policy_results WHERE outcome = 'not_applicable';
ALTER TABLE policy_results ADD CONSTRAINT policy_results_stored_outcome
    CHECK (outcome IN ('pass', 'fail', 'error'));

CREATE OR REPLACE FUNCTION policy_results_node_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM policy_results WHERE node_id IN (SELECT id FROM deleted_nodes);
    RETURN NULL;
END
$$;
CREATE TRIGGER policy_results_node_deleted AFTER DELETE ON nodes
    REFERENCING OLD TABLE AS deleted_nodes
    FOR EACH STATEMENT EXECUTE FUNCTION policy_results_node_deleted();
