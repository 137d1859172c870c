//! Reading stored policy results: per node, across the fleet with filters, and the fleet
//! summary (counts, worst nodes, failing rules); each a constant number of statements.

use serde::Serialize;
use unet_core::{CoreError, Uuid};

use crate::compliance::{
    ComplianceCounts, NodeCompliance, PolicyOutcome, RuleFailures, StoredResult, count,
    stored_from_row,
};
use crate::db::{Arg, Sql, get_timestamp, get_uuid};
use crate::{Result, Store};

const RESULT_SELECT: &str = "SELECT r.node_id, n.name AS node, r.rule_id, r.outcome, \
     r.expected, r.actual, r.message, e.evaluated_at, r.changed_at \
     FROM policy_results r JOIN nodes n ON n.id = r.node_id \
     JOIN policy_evaluations e ON e.node_id = r.node_id";

/// What a result filter's outcome may be.
pub const STORED_OUTCOMES: &str =
    "pass, fail or error (results of rules that do not apply are counted, not stored)";

/// An outcome to filter stored results by: `not_applicable` is refused, since no row has it.
pub fn parse_stored_outcome(text: &str) -> std::result::Result<PolicyOutcome, CoreError> {
    match text.parse() {
        Ok(outcome) if PolicyOutcome::STORED.contains(&outcome) => Ok(outcome),
        _ => Err(CoreError::invalid("outcome", STORED_OUTCOMES, text)),
    }
}

/// Which stored results to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResultFilter {
    pub node_id: Option<Uuid>,
    pub outcome: Option<PolicyOutcome>,
    pub rule: Option<String>,
}

/// The fleet's compliance as of each node's last evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ComplianceSummary {
    /// Nodes with an evaluation on record.
    pub nodes_evaluated: u64,
    /// Nodes without failures or errors.
    pub compliant_nodes: u64,
    pub counts: ComplianceCounts,
    /// pass / (pass + fail + error), in percent.
    pub compliance_percent: f64,
    /// Nodes with the most failures and errors, worst first (only nodes with some).
    pub worst_nodes: Vec<NodeCompliance>,
    /// Rules with the most failing or erroring nodes, worst first.
    pub failing_rules: Vec<RuleFailures>,
}

fn node_compliance(row: &sqlx::any::AnyRow) -> Result<NodeCompliance> {
    let counts = ComplianceCounts {
        pass: count(row, "pass")?,
        fail: count(row, "fail")?,
        error: count(row, "error")?,
        not_applicable: count(row, "not_applicable")?,
    };
    Ok(NodeCompliance {
        node_id: get_uuid(row, "node_id")?,
        node: sqlx::Row::try_get(row, "node")?,
        evaluated_at: get_timestamp(row, "evaluated_at")?,
        compliance_percent: counts.compliance_percent(),
        counts,
    })
}

const EVALUATION_SELECT: &str = "SELECT e.node_id, n.name AS node, e.evaluated_at, \
     CAST(e.pass AS BIGINT) AS pass, CAST(e.fail AS BIGINT) AS fail, \
     CAST(e.error AS BIGINT) AS error, CAST(e.not_applicable AS BIGINT) AS not_applicable \
     FROM policy_evaluations e JOIN nodes n ON n.id = e.node_id";

impl Store {
    /// Results matching the filter, by node name then rule, at most `limit` of them.
    pub async fn policy_results(
        &self,
        filter: &ResultFilter,
        limit: u32,
    ) -> Result<Vec<StoredResult>> {
        if let Some(outcome) = filter
            .outcome
            .filter(|o| !PolicyOutcome::STORED.contains(o))
        {
            return Err(CoreError::invalid("outcome", STORED_OUTCOMES, outcome.as_str()).into());
        }
        let mut conn = self.read_conn().await?;
        let mut sql = Sql::new(RESULT_SELECT);
        sql.push(" WHERE 1 = 1");
        if let Some(node) = filter.node_id {
            sql.push(" AND r.node_id = ").bind(node);
        }
        match filter.outcome {
            Some(outcome) => {
                sql.push(" AND r.outcome = ").bind(outcome.as_str());
            }
            // The one secondary index is (outcome, rule_id): naming every stored outcome
            // lets a rule filter alone use it too.
            None if filter.rule.is_some() => {
                sql.push(" AND r.outcome IN ");
                sql.bind_tuple(PolicyOutcome::STORED.map(|o| Arg::from(o.as_str())));
            }
            None => {}
        }
        if let Some(rule) = &filter.rule {
            sql.push(" AND r.rule_id = ").bind(rule);
        }
        sql.push(" ORDER BY n.name, n.fqdn, r.rule_id LIMIT ")
            .bind(i64::from(limit));
        let rows = self.db.fetch_all(&mut conn, sql).await?;
        rows.iter().map(stored_from_row).collect()
    }

    /// One node's counts as of its last evaluation; `None` before its first.
    pub async fn node_compliance(&self, node_id: Uuid) -> Result<Option<NodeCompliance>> {
        let mut conn = self.read_conn().await?;
        let mut sql = Sql::new(EVALUATION_SELECT);
        sql.push(" WHERE e.node_id = ").bind(node_id);
        self.db
            .fetch_optional(&mut conn, sql)
            .await?
            .map(|row| node_compliance(&row))
            .transpose()
    }

    /// Fleet counts, the `worst` nodes with most failures and errors, and the `rules` rules
    /// failing on most nodes: three statements.
    pub async fn compliance_summary(&self, worst: u32, rules: u32) -> Result<ComplianceSummary> {
        let mut conn = self.read_conn().await?;
        let sql = Sql::new(
            "SELECT COUNT(*) AS nodes, \
             CAST(COALESCE(SUM(CASE WHEN fail + error = 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS compliant, \
             CAST(COALESCE(SUM(pass), 0) AS BIGINT) AS pass, \
             CAST(COALESCE(SUM(fail), 0) AS BIGINT) AS fail, \
             CAST(COALESCE(SUM(error), 0) AS BIGINT) AS error, \
             CAST(COALESCE(SUM(not_applicable), 0) AS BIGINT) AS not_applicable \
             FROM policy_evaluations",
        );
        let (nodes_evaluated, compliant_nodes, counts) =
            match self.db.fetch_optional(&mut conn, sql).await? {
                Some(row) => (
                    count(&row, "nodes")?,
                    count(&row, "compliant")?,
                    ComplianceCounts {
                        pass: count(&row, "pass")?,
                        fail: count(&row, "fail")?,
                        error: count(&row, "error")?,
                        not_applicable: count(&row, "not_applicable")?,
                    },
                ),
                None => (0, 0, ComplianceCounts::default()),
            };

        let mut sql = Sql::new(EVALUATION_SELECT);
        sql.push(" WHERE e.fail + e.error > 0 ORDER BY e.fail + e.error DESC, e.node_id LIMIT ")
            .bind(i64::from(worst));
        let rows = self.db.fetch_all(&mut conn, sql).await?;
        let worst_nodes = rows.iter().map(node_compliance).collect::<Result<_>>()?;

        let mut sql = Sql::new(
            "SELECT rule_id, \
             CAST(SUM(CASE WHEN outcome = 'fail' THEN 1 ELSE 0 END) AS BIGINT) AS fail, \
             CAST(SUM(CASE WHEN outcome = 'error' THEN 1 ELSE 0 END) AS BIGINT) AS error \
             FROM policy_results WHERE outcome IN ('fail', 'error') GROUP BY rule_id \
             ORDER BY COUNT(*) DESC, rule_id LIMIT ",
        );
        sql.bind(i64::from(rules));
        let rows = self.db.fetch_all(&mut conn, sql).await?;
        let failing_rules = rows
            .iter()
            .map(|row| {
                Ok(RuleFailures {
                    rule: sqlx::Row::try_get(row, "rule_id")?,
                    fail: count(row, "fail")?,
                    error: count(row, "error")?,
                })
            })
            .collect::<Result<_>>()?;

        Ok(ComplianceSummary {
            nodes_evaluated,
            compliant_nodes,
            compliance_percent: counts.compliance_percent(),
            counts,
            worst_nodes,
            failing_rules,
        })
    }
}
