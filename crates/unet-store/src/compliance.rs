//! Stored policy results: one row per node × rule, rewritten only when its outcome or detail
//! changes, plus one evaluation row per node (when it was last evaluated, counts per outcome)
//! and the templates policies assigned to nodes.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;
use unet_core::{Location, Timestamp, Uuid};

use crate::db::{Arg, Sql, chunks, get_opt_json, get_timestamp, get_uuid, push_in};
use crate::{Result, Store, StoreError};

/// Outcome of one rule for one node, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyOutcome {
    Pass,
    Fail,
    Error,
    NotApplicable,
}

impl PolicyOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyOutcome::Pass => "pass",
            PolicyOutcome::Fail => "fail",
            PolicyOutcome::Error => "error",
            PolicyOutcome::NotApplicable => "not_applicable",
        }
    }
}

impl fmt::Display for PolicyOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error of parsing an outcome name.
#[derive(Debug, thiserror::Error)]
#[error("unknown outcome {0:?}: expected pass, fail, error or not_applicable")]
pub struct UnknownOutcome(String);

impl FromStr for PolicyOutcome {
    type Err = UnknownOutcome;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s {
            "pass" => Ok(PolicyOutcome::Pass),
            "fail" => Ok(PolicyOutcome::Fail),
            "error" => Ok(PolicyOutcome::Error),
            "not_applicable" => Ok(PolicyOutcome::NotApplicable),
            other => Err(UnknownOutcome(other.to_string())),
        }
    }
}

/// One rule's result for a node, as handed to [`Store::record_policy_results`].
#[derive(Debug, Clone, PartialEq)]
pub struct RuleResultRecord {
    pub rule_id: String,
    pub outcome: PolicyOutcome,
    pub expected: Option<Value>,
    pub actual: Option<Value>,
    pub message: Option<String>,
}

/// Every current rule's result for one node.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeRuleResults {
    pub node_id: Uuid,
    pub results: Vec<RuleResultRecord>,
}

/// A stored result with its node and times.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredResult {
    pub node_id: Uuid,
    /// The node's name.
    pub node: String,
    pub rule: String,
    pub outcome: PolicyOutcome,
    pub expected: Option<Value>,
    pub actual: Option<Value>,
    pub message: Option<String>,
    pub evaluated_at: Timestamp,
    /// When the outcome last changed for this node.
    pub changed_at: Timestamp,
}

/// Counts per outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ComplianceCounts {
    pub pass: u64,
    pub fail: u64,
    pub error: u64,
    pub not_applicable: u64,
}

impl ComplianceCounts {
    pub fn add(&mut self, outcome: PolicyOutcome) {
        match outcome {
            PolicyOutcome::Pass => self.pass += 1,
            PolicyOutcome::Fail => self.fail += 1,
            PolicyOutcome::Error => self.error += 1,
            PolicyOutcome::NotApplicable => self.not_applicable += 1,
        }
    }

    /// pass / (pass + fail + error) in percent; 100 when no rule applied.
    pub fn compliance_percent(&self) -> f64 {
        let applicable = self.pass + self.fail + self.error;
        if applicable == 0 {
            100.0
        } else {
            self.pass as f64 * 100.0 / applicable as f64
        }
    }
}

/// One node's compliance as of its last evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeCompliance {
    pub node_id: Uuid,
    pub node: String,
    pub evaluated_at: Timestamp,
    pub counts: ComplianceCounts,
    pub compliance_percent: f64,
}

/// A rule and how many nodes fail it or error on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleFailures {
    pub rule: String,
    pub fail: u64,
    pub error: u64,
}

/// What a call to [`Store::record_policy_results`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RecordedResults {
    /// Nodes whose results were recorded (nodes deleted meanwhile are skipped).
    pub nodes: u64,
    /// Result rows inserted or rewritten because their outcome or detail changed.
    pub rewritten: u64,
}

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

pub(crate) fn count(row: &AnyRow, column: &str) -> Result<u64> {
    let n: i64 = row.try_get(column)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

pub(crate) fn get_outcome(row: &AnyRow, column: &str) -> Result<PolicyOutcome> {
    let text: String = row.try_get(column)?;
    text.parse().map_err(|e| {
        StoreError::Database(sqlx::Error::ColumnDecode {
            index: column.to_string(),
            source: Box::new(e),
        })
    })
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
        let changed: std::collections::HashSet<Uuid> = changed_ids.iter().copied().collect();
        let mut existing: HashMap<(Uuid, String), Existing> = HashMap::new();
        for chunk in chunks(&changed_ids, 1) {
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
        for chunk in chunks(&changed_ids, 1 + rule_binds) {
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

    /// Adds templates to nodes in the given order, each once per node: templates a node
    /// already has keep their position, new ones go after them. Returns, per node, the
    /// templates newly assigned. One transaction; a constant number of statements per chunk.
    pub async fn assign_templates(
        &self,
        assignments: &[(Uuid, Vec<String>)],
    ) -> Result<Vec<(Uuid, Vec<String>)>> {
        let ids: Vec<Uuid> = assignments.iter().map(|(id, _)| *id).collect();
        let mut tx = self.begin_write().await?;
        let current = node_templates_in(self, &mut tx, &ids).await?;
        let mut added = Vec::new();
        let mut rows: Vec<[Arg; 3]> = Vec::new();
        for (node_id, templates) in assignments {
            let have = current.get(node_id).map_or(&[][..], Vec::as_slice);
            let mut next = have.len();
            let mut new = Vec::new();
            for template in templates {
                if have.contains(template) || new.contains(template) {
                    continue;
                }
                rows.push([
                    (*node_id).into(),
                    template.as_str().into(),
                    i64::try_from(next).unwrap_or(i64::MAX).into(),
                ]);
                new.push(template.clone());
                next += 1;
            }
            if !new.is_empty() {
                added.push((*node_id, new));
            }
        }
        let head = "INSERT INTO node_templates (node_id, template, position) VALUES ";
        for sql in multi_row(&rows, head, "") {
            self.db.execute(&mut tx, sql).await?;
        }
        tx.commit().await?;
        Ok(added)
    }

    /// The templates assigned to a node, in assignment order.
    pub async fn node_templates(&self, node_id: Uuid) -> Result<Vec<String>> {
        let mut conn = self.read_conn().await?;
        let mut all = node_templates_in(self, &mut conn, &[node_id]).await?;
        Ok(all.remove(&node_id).unwrap_or_default())
    }

    /// The locations with these ids and all their ancestors, in one statement per chunk of
    /// ids (a recursive walk up the tree).
    pub async fn locations_with_ancestors(&self, ids: &[Uuid]) -> Result<Vec<Location>> {
        let mut conn = self.read_conn().await?;
        let mut out: HashMap<Uuid, Location> = HashMap::new();
        for chunk in chunks(ids, 1) {
            let columns = crate::locations::COLUMNS;
            let prefixed: Vec<String> = columns.split(", ").map(|c| format!("l.{c}")).collect();
            let mut sql = Sql::new(format!(
                "WITH RECURSIVE up ({columns}) AS (SELECT {columns} FROM locations WHERE id"
            ));
            push_in(&mut sql, chunk);
            sql.push(&format!(
                " UNION SELECT {} FROM locations l JOIN up ON l.id = up.parent_id) \
                 SELECT {columns} FROM up",
                prefixed.join(", ")
            ));
            for row in self.db.fetch_all(&mut conn, sql).await? {
                let location = crate::locations::from_row(&row)?;
                out.insert(location.id, location);
            }
        }
        Ok(out.into_values().collect())
    }
}

async fn node_templates_in(
    store: &Store,
    conn: &mut crate::Conn,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<String>>> {
    let mut out: HashMap<Uuid, Vec<String>> = HashMap::new();
    for chunk in chunks(ids, 1) {
        let mut sql = Sql::new("SELECT node_id, template FROM node_templates WHERE node_id");
        push_in(&mut sql, chunk);
        sql.push(" ORDER BY node_id, position");
        for row in store.db.fetch_all(conn, sql).await? {
            out.entry(get_uuid(&row, "node_id")?)
                .or_default()
                .push(row.try_get("template")?);
        }
    }
    Ok(out)
}

/// `head VALUES (…), (…) tail` statements for prepared rows, chunked under the bind limit.
fn multi_row<'a, const N: usize>(
    rows: &'a [[Arg; N]],
    head: &'a str,
    tail: &'a str,
) -> impl Iterator<Item = Sql> + 'a {
    chunks(rows, N).map(move |chunk| {
        let mut sql = Sql::new(head);
        for (i, row) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind_tuple(row.iter().cloned());
        }
        sql.push(tail);
        sql
    })
}

pub(crate) fn stored_from_row(row: &AnyRow) -> Result<StoredResult> {
    Ok(StoredResult {
        node_id: get_uuid(row, "node_id")?,
        node: row.try_get("node")?,
        rule: row.try_get("rule_id")?,
        outcome: get_outcome(row, "outcome")?,
        expected: get_opt_json(row, "expected")?,
        actual: get_opt_json(row, "actual")?,
        message: row.try_get("message")?,
        evaluated_at: get_timestamp(row, "evaluated_at")?,
        changed_at: get_timestamp(row, "changed_at")?,
    })
}
