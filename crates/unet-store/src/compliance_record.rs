//! Recording one evaluation's results: nodes whose results are unchanged (same digest) get
//! only their evaluation row rewritten; for the others, only result rows whose outcome or
//! detail changed are rewritten, and results of rules no longer loaded are removed.

use std::collections::{HashMap, HashSet};

use serde_json::Value;
use sqlx::Row;
use unet_core::{Timestamp, Uuid};

use crate::compliance::{
    ComplianceCounts, NodeRuleResults, PolicyOutcome, RecordedResults, RuleResultRecord,
    get_outcome, multi_row,
};
use crate::db::{Arg, Sql, chunks, get_timestamp, get_uuid, push_in};
use crate::{Result, Store};

/// Binds per result row: node_id, rule_id, outcome, expected, actual, message, changed_at.
const RESULT_BINDS: usize = 7;

fn json_text(value: &Option<Value>) -> Option<String> {
    value.as_ref().map(Value::to_string)
}

/// SHA-256 over a node's results in order: equal digests mean nothing to rewrite.
fn digest(results: &[RuleResultRecord]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for r in results {
        for part in [
            Some(r.rule_id.as_str()),
            Some(r.outcome.as_str()),
            json_text(&r.expected).as_deref(),
            json_text(&r.actual).as_deref(),
            r.message.as_deref(),
        ] {
            // Length-prefixed, with absent distinct from empty, so no two lists collide.
            match part {
                Some(text) => {
                    hasher.update((text.len() as u64 + 1).to_le_bytes());
                    hasher.update(text.as_bytes());
                }
                None => hasher.update(0u64.to_le_bytes()),
            }
        }
    }
    hex::encode(hasher.finalize())
}

/// A stored row as compared with a new result: (outcome, expected, actual, message, changed_at).
struct Existing {
    outcome: PolicyOutcome,
    expected: Option<String>,
    actual: Option<String>,
    message: Option<String>,
    changed_at: Timestamp,
}

impl Store {
    /// Records the results of one evaluation of `nodes` at `evaluated_at`, where `rule_ids` are
    /// every rule of the evaluated set: result rows are rewritten only when changed (the
    /// outcome's `changed_at` moves only when the outcome does), results of rules no longer in
    /// the set are removed for these nodes, and each node's evaluation row is replaced. One
    /// transaction; a constant number of statements per thousand nodes.
    pub async fn record_policy_results(
        &self,
        evaluated_at: Timestamp,
        rule_ids: &[String],
        nodes: &[NodeRuleResults],
    ) -> Result<RecordedResults> {
        let digests: Vec<String> = nodes.iter().map(|n| digest(&n.results)).collect();
        let ids: Vec<Uuid> = nodes.iter().map(|n| n.node_id).collect();
        let mut tx = self.begin_write().await?;
        // Live nodes (one deleted meanwhile is skipped) with their stored digest: a node whose
        // results are unchanged since its last evaluation needs only its evaluation row.
        let mut stored: HashMap<Uuid, Option<String>> = HashMap::new();
        for chunk in chunks(&ids, 1) {
            let mut sql = Sql::new(
                "SELECT n.id, e.digest FROM nodes n \
                 LEFT JOIN policy_evaluations e ON e.node_id = n.id WHERE n.id",
            );
            push_in(&mut sql, chunk);
            for row in self.db.fetch_all(&mut tx, sql).await? {
                stored.insert(get_uuid(&row, "id")?, row.try_get("digest")?);
            }
        }
        let changed_ids: Vec<Uuid> = nodes
            .iter()
            .zip(&digests)
            .filter(|(n, d)| {
                stored
                    .get(&n.node_id)
                    .is_some_and(|s| s.as_ref() != Some(*d))
            })
            .map(|(n, _)| n.node_id)
            .collect();
        let changed: HashSet<Uuid> = changed_ids.iter().copied().collect();
        // Result rows are written in the same transaction as the node's evaluation row and
        // cascade with the node, so a node never evaluated before has none to read or prune:
        // a first evaluation only inserts. (Looking them up anyway is what made the first
        // evaluation slow on PostgreSQL, whose planner still takes the growing table as empty.)
        let evaluated_before: Vec<Uuid> = changed_ids
            .iter()
            .copied()
            .filter(|id| stored.get(id).is_some_and(Option::is_some))
            .collect();
        let mut existing: HashMap<(Uuid, String), Existing> = HashMap::new();
        for chunk in chunks(&evaluated_before, 1) {
            let mut sql = Sql::new(
                "SELECT node_id, rule_id, outcome, expected, actual, message, changed_at \
                 FROM policy_results WHERE node_id",
            );
            push_in(&mut sql, chunk);
            for row in self.db.fetch_all(&mut tx, sql).await? {
                existing.insert(
                    (get_uuid(&row, "node_id")?, row.try_get("rule_id")?),
                    Existing {
                        outcome: get_outcome(&row, "outcome")?,
                        expected: row.try_get("expected")?,
                        actual: row.try_get("actual")?,
                        message: row.try_get("message")?,
                        changed_at: get_timestamp(&row, "changed_at")?,
                    },
                );
            }
        }

        let mut rows: Vec<[Arg; RESULT_BINDS]> = Vec::new();
        let mut evaluations: Vec<[Arg; 7]> = Vec::new();
        for (node, digest) in nodes.iter().zip(digests) {
            if !stored.contains_key(&node.node_id) {
                continue;
            }
            let mut counts = ComplianceCounts::default();
            for r in &node.results {
                counts.add(r.outcome);
                if !changed.contains(&node.node_id) {
                    continue;
                }
                let (expected, actual) = (json_text(&r.expected), json_text(&r.actual));
                let changed_at = match existing.get(&(node.node_id, r.rule_id.clone())) {
                    Some(old)
                        if old.outcome == r.outcome
                            && old.expected == expected
                            && old.actual == actual
                            && old.message == r.message =>
                    {
                        continue;
                    }
                    Some(old) if old.outcome == r.outcome => old.changed_at,
                    _ => evaluated_at,
                };
                rows.push([
                    node.node_id.into(),
                    r.rule_id.as_str().into(),
                    r.outcome.as_str().into(),
                    expected.into(),
                    actual.into(),
                    r.message.clone().into(),
                    changed_at.into(),
                ]);
            }
            let as_int = |n: u64| Arg::from(i64::try_from(n).unwrap_or(i64::MAX));
            evaluations.push([
                node.node_id.into(),
                evaluated_at.into(),
                as_int(counts.pass),
                as_int(counts.fail),
                as_int(counts.error),
                as_int(counts.not_applicable),
                digest.into(),
            ]);
        }

        for sql in multi_row(
            &rows,
            "INSERT INTO policy_results (node_id, rule_id, outcome, expected, actual, \
                 message, changed_at) VALUES ",
            " ON CONFLICT (node_id, rule_id) DO UPDATE SET outcome = excluded.outcome, \
                 expected = excluded.expected, actual = excluded.actual, \
                 message = excluded.message, changed_at = excluded.changed_at",
        ) {
            self.db.execute(&mut tx, sql).await?;
        }
        // Rule ids bind once per statement, so leave room for them in the node chunks.
        let rule_binds = rule_ids.len().min(crate::db::MAX_BINDS / 2);
        for chunk in chunks(&evaluated_before, 1 + rule_binds) {
            let mut sql = Sql::new("DELETE FROM policy_results WHERE node_id");
            push_in(&mut sql, chunk);
            if !rule_ids.is_empty() {
                sql.push(" AND rule_id NOT IN ");
                sql.bind_tuple(rule_ids.iter().map(Arg::from));
            }
            self.db.execute(&mut tx, sql).await?;
        }
        for sql in multi_row(
            &evaluations,
            "INSERT INTO policy_evaluations (node_id, evaluated_at, pass, fail, error, \
                 not_applicable, digest) VALUES ",
            " ON CONFLICT (node_id) DO UPDATE SET evaluated_at = excluded.evaluated_at, \
                 pass = excluded.pass, fail = excluded.fail, error = excluded.error, \
                 not_applicable = excluded.not_applicable, digest = excluded.digest",
        ) {
            self.db.execute(&mut tx, sql).await?;
        }
        tx.commit().await?;
        Ok(RecordedResults {
            nodes: evaluations.len() as u64,
            rewritten: rows.len() as u64,
        })
    }
}
