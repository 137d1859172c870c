//! Stored policy results: one row per node × rule, rewritten only when its outcome or detail
//! changes, plus one evaluation row per node (when it was last evaluated, counts per outcome)
//! and the templates policies assigned to nodes.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;
use unet_core::{Location, Timestamp, Uuid};

use crate::db::{Arg, Sql, chunks, get_opt_json, get_timestamp, get_uuid, multi_row, push_in};
use crate::{Result, Store, StoreError};

/// Outcome of one rule for one node, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyOutcome {
    Pass,
    Fail,
    Error,
    NotApplicable,
}

impl PolicyOutcome {
    /// The outcomes a result row can have: a rule that does not apply to a node is counted
    /// in the node's evaluation, not stored as a row.
    pub const STORED: [PolicyOutcome; 3] = [
        PolicyOutcome::Pass,
        PolicyOutcome::Fail,
        PolicyOutcome::Error,
    ];

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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
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

    pub fn merge(&mut self, other: &ComplianceCounts) {
        self.pass += other.pass;
        self.fail += other.fail;
        self.error += other.error;
        self.not_applicable += other.not_applicable;
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
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct NodeCompliance {
    pub node_id: Uuid,
    pub node: String,
    pub evaluated_at: Timestamp,
    pub counts: ComplianceCounts,
    pub compliance_percent: f64,
}

/// A rule and how many nodes fail it or error on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RuleFailures {
    pub rule: String,
    pub fail: u64,
    pub error: u64,
}

/// How one node's template assignments changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssignmentChange {
    pub node_id: Uuid,
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

/// What a call to [`Store::record_policy_results`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RecordedResults {
    /// Nodes whose results were recorded (nodes deleted meanwhile are skipped).
    pub nodes: u64,
    /// Result rows inserted or rewritten because their outcome or detail changed.
    pub rewritten: u64,
    /// Result rows deleted: their rule no longer applies to the node or is no longer loaded.
    pub removed: u64,
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

impl Store {
    /// Sets each node's templates to exactly the given list (rule order, each once): templates
    /// no longer assigned disappear, a list that did not change is not rewritten. Returns the
    /// nodes whose list changed with what was added and removed. One transaction; a constant
    /// number of statements per chunk of nodes.
    pub async fn replace_template_assignments(
        &self,
        assignments: &[(Uuid, Vec<String>)],
    ) -> Result<Vec<AssignmentChange>> {
        let ids: Vec<Uuid> = assignments.iter().map(|(id, _)| *id).collect();
        let mut tx = self.begin_write().await?;
        let current = node_templates_in(self, &mut tx, &ids).await?;
        let mut changes = Vec::new();
        let mut rows: Vec<[Arg; 3]> = Vec::new();
        for (node_id, templates) in assignments {
            let have = current.get(node_id).map_or(&[][..], Vec::as_slice);
            let mut wanted: Vec<&String> = Vec::with_capacity(templates.len());
            for template in templates {
                if !wanted.contains(&template) {
                    wanted.push(template);
                }
            }
            if wanted.len() == have.len() && wanted.iter().zip(have).all(|(w, h)| *w == h) {
                continue;
            }
            for (position, template) in wanted.iter().enumerate() {
                rows.push([
                    (*node_id).into(),
                    template.as_str().into(),
                    i64::try_from(position).unwrap_or(i64::MAX).into(),
                ]);
            }
            changes.push(AssignmentChange {
                node_id: *node_id,
                added: wanted
                    .iter()
                    .filter(|t| !have.contains(t))
                    .map(|t| (*t).clone())
                    .collect(),
                removed: have
                    .iter()
                    .filter(|t| !wanted.contains(t))
                    .cloned()
                    .collect(),
            });
        }
        let changed: Vec<Uuid> = changes.iter().map(|c| c.node_id).collect();
        for chunk in chunks(&changed, 1) {
            let mut sql = Sql::new("DELETE FROM node_templates WHERE node_id");
            push_in(&mut sql, chunk);
            self.db.execute(&mut tx, sql).await?;
        }
        let head = "INSERT INTO node_templates (node_id, template, position) VALUES ";
        for sql in multi_row(rows, head, "") {
            self.db.execute(&mut tx, sql).await?;
        }
        tx.commit().await?;
        Ok(changes)
    }

    /// The templates assigned to each of these nodes, in assignment order (nodes without
    /// templates are absent). One statement per chunk of nodes.
    pub async fn templates_of_nodes(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<String>>> {
        let mut conn = self.read_conn().await?;
        node_templates_in(self, &mut conn, ids).await
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
            let columns = <Location as unet_core::Record>::COLUMNS;
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
                let location: Location = crate::records::from_row(&row)?;
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
