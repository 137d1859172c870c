-- A node's history filters on entity_type and entity_id. With (entity_id, seq) and
-- (entity_type, seq) each matching one of the two equalities, SQLite without statistics
-- chose the entity_type index and walked every change of that type (56 ms for one node's
-- history among 200,000 changes). With both columns in one index the history is one index
-- range, newest first, whichever backend plans it; an entity_id filter alone still uses it.
DROP INDEX configuration_changes_entity;
CREATE INDEX configuration_changes_entity ON configuration_changes (entity_id, entity_type, seq);
