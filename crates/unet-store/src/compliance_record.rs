//! Recording one evaluation's results: nodes whose results are unchanged (same digest) get
//! only their evaluation row rewritten; for the others, only result rows whose outcome or
//! detail changed are rewritten, and rows of rules that no longer apply (or are no longer
//! loaded) are removed. A rule that does not apply to a node is counted, not stored: on a
//! typical fleet most node × rule pairs are not applicable, so storing them would multiply
//! the table and the work of every first evaluation for no information the counts lack.

use std::collections::{HashMap, HashSet};

use serde_json::Value;
use sqlx::Row;
use unet_core::{Timestamp, Uuid};

use crate::compliance::{
    ComplianceCounts, NodeRuleResults, PolicyOutcome, RecordedResults, RuleResultRecord,
    get_outcome,
};
use crate::db::{Arg, Sql, as_i64, chunks, get_timestamp, get_uuid, multi_row, push_in};
use crate::{Backend, Result, Store};

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

/// A stored row as compared with a new result.
struct Existing {
    outcome: PolicyOutcome,
    expected: Option<String>,
    actual: Option<String>,
    message: Option<String>,
    changed_at: Timestamp,
}

impl Store {
    /// Records the results of one evaluation of `nodes` at `evaluated_at`. A result row exists
    /// for each rule that applies to a node (pass, fail or error) and is rewritten only when
    /// its outcome or detail changed; its `changed_at` moves only with the outcome. A rule
    /// that does not apply (or is no longer loaded) has no row: its row is deleted, and the
    /// node's evaluation row, replaced every time, counts it. One transaction; a constant
    /// number of statements per thousand nodes.
    pub async fn record_policy_results(
        &self,
        evaluated_at: Timestamp,
        nodes: &[NodeRuleResults],
    ) -> Result<RecordedResults> {
        let digests: Vec<String> = nodes.iter().map(|n| digest(&n.results)).collect();
        let ids: Vec<Uuid> = nodes.iter().map(|n| n.node_id).collect();
        let mut tx = self.begin_write().await?;
        // Live nodes (one deleted meanwhile is skipped) with their stored digest: a node whose
        // results are unchanged since its last evaluation needs only its evaluation row.
        // Results have no foreign key (its check would run per row), so on PostgreSQL the
        // nodes are locked against deletion until this transaction ends; SQLite has only one
        // writer at a time.
        let mut stored: HashMap<Uuid, Option<String>> = HashMap::new();
        for chunk in chunks(&ids, 1) {
            let mut sql = Sql::new(
                "SELECT n.id, e.digest FROM nodes n \
                 LEFT JOIN policy_evaluations e ON e.node_id = n.id WHERE n.id",
            );
            push_in(&mut sql, chunk);
            if self.db.backend == Backend::Postgres {
                sql.push(" FOR KEY SHARE OF n");
            }
            for row in self.db.fetch_all(&mut tx, sql).await? {
                stored.insert(get_uuid(&row, "id")?, row.try_get("digest")?);
            }
        }
        let changed: HashSet<Uuid> = nodes
            .iter()
            .zip(&digests)
            .filter(|(n, d)| {
                stored
                    .get(&n.node_id)
                    .is_some_and(|s| s.as_ref() != Some(*d))
            })
            .map(|(n, _)| n.node_id)
            .collect();
        // Result rows are written in the same transaction as the node's evaluation row and
        // go with the node, so a node never evaluated before has none to read or prune: a
        // first evaluation only inserts. (Looking them up anyway is what made the first
        // evaluation slow on PostgreSQL, whose planner still takes the growing table as empty.)
        let evaluated_before: Vec<Uuid> = ids
            .iter()
            .copied()
            .filter(|id| changed.contains(id) && stored.get(id).is_some_and(Option::is_some))
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

        let mut rows: Vec<[Arg; 7]> = Vec::new();
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
                // A row left in `existing` has no applicable result any more: it is deleted.
                if r.outcome == PolicyOutcome::NotApplicable {
                    continue;
                }
                let old = existing.remove(&(node.node_id, r.rule_id.clone()));
                let (expected, actual) = (json_text(&r.expected), json_text(&r.actual));
                let changed_at = match old {
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
            let as_int = |n: u64| Arg::from(as_i64(n));
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

        let recorded = RecordedResults {
            nodes: evaluations.len() as u64,
            rewritten: rows.len() as u64,
            removed: existing.len() as u64,
        };
        let gone: Vec<[Arg; 2]> = existing
            .into_keys()
            .map(|(node_id, rule_id)| [node_id.into(), rule_id.into()])
            .collect();
        let head = "DELETE FROM policy_results WHERE (node_id, rule_id) IN (VALUES ";
        for sql in multi_row(gone, head, ")") {
            self.db.execute(&mut tx, sql).await?;
        }
        for sql in multi_row(
            rows,
            "INSERT INTO policy_results (node_id, rule_id, outcome, expected, actual, \
                 message, changed_at) VALUES ",
            " ON CONFLICT (node_id, rule_id) DO UPDATE SET outcome = excluded.outcome, \
                 expected = excluded.expected, actual = excluded.actual, \
                 message = excluded.message, changed_at = excluded.changed_at",
        ) {
            self.db.execute(&mut tx, sql).await?;
        }
        for sql in multi_row(
            evaluations,
            "INSERT INTO policy_evaluations (node_id, evaluated_at, pass, fail, error, \
                 not_applicable, digest) VALUES ",
            " ON CONFLICT (node_id) DO UPDATE SET evaluated_at = excluded.evaluated_at, \
                 pass = excluded.pass, fail = excluded.fail, error = excluded.error, \
                 not_applicable = excluded.not_applicable, digest = excluded.digest",
        ) {
            self.db.execute(&mut tx, sql).await?;
        }
        tx.commit().await?;
        Ok(recorded)
    }
}
