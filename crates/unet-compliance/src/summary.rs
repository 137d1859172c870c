//! The summary of an evaluation as a network engineer reads a fleet run: counts per outcome,
//! per rule and per node, the worst nodes, and (optionally) only the failures, instead of
//! every node × rule result.

use serde::{Deserialize, Serialize};
use unet_core::{Node, Timestamp};
use unet_store::{ComplianceCounts, NodeCompliance, PolicyOutcome};

use crate::run::{EvaluatedResult, EvaluationReport};

/// Nodes listed in [`EvaluationReport::worst_nodes`].
pub const WORST_NODES: usize = 10;

/// One rule's outcomes across the evaluated nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleCompliance {
    pub rule: String,
    pub counts: ComplianceCounts,
    /// pass / (pass + fail + error), in percent; 100 when the rule applied nowhere.
    pub compliance_percent: f64,
}

/// The summary answer of `POST /api/v1/policies/evaluate` (`"summary": true`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluationSummary {
    pub evaluated_at: Option<Timestamp>,
    /// Nodes evaluated.
    pub nodes: u64,
    /// Nodes without failures or errors.
    pub compliant_nodes: u64,
    pub counts: ComplianceCounts,
    pub compliance_percent: f64,
    /// Every rule in load order.
    pub rules: Vec<RuleCompliance>,
    /// The nodes with most failures and errors, worst first (only nodes with some).
    pub worst_nodes: Vec<NodeCompliance>,
    /// The results the evaluation collected (failures and errors, or none).
    pub results: Vec<EvaluatedResult>,
}

impl From<EvaluationReport> for EvaluationSummary {
    fn from(report: EvaluationReport) -> EvaluationSummary {
        EvaluationSummary {
            evaluated_at: report.evaluated_at,
            nodes: report.nodes,
            compliant_nodes: report.compliant_nodes,
            compliance_percent: report.counts.compliance_percent(),
            counts: report.counts,
            rules: report.rules,
            worst_nodes: report.worst_nodes,
            results: report.results,
        }
    }
}

/// Counts per rule and the worst nodes, kept while the pages go by.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    rules: Vec<(String, ComplianceCounts)>,
    /// Candidates for the worst nodes; trimmed to [`WORST_NODES`] whenever it doubles.
    worst: Vec<NodeCompliance>,
}

impl Tally {
    pub fn new(rule_ids: &[String]) -> Tally {
        Tally {
            rules: rule_ids
                .iter()
                .map(|id| (id.clone(), ComplianceCounts::default()))
                .collect(),
            worst: Vec::new(),
        }
    }

    /// Adds one node's outcomes, one per rule in rule order.
    pub fn add(
        &mut self,
        node: &Node,
        evaluated_at: Timestamp,
        outcomes: impl Iterator<Item = PolicyOutcome>,
    ) -> ComplianceCounts {
        let mut counts = ComplianceCounts::default();
        for (outcome, (_, rule)) in outcomes.zip(self.rules.iter_mut()) {
            counts.add(outcome);
            rule.add(outcome);
        }
        if counts.fail + counts.error > 0 {
            self.worst.push(NodeCompliance {
                node_id: node.id,
                node: node.name.clone(),
                evaluated_at,
                counts,
                compliance_percent: counts.compliance_percent(),
            });
            if self.worst.len() >= 2 * WORST_NODES {
                self.trim();
            }
        }
        counts
    }

    fn trim(&mut self) {
        self.worst.sort_by(|a, b| {
            let failing = |n: &NodeCompliance| n.counts.fail + n.counts.error;
            failing(b)
                .cmp(&failing(a))
                .then_with(|| a.node.cmp(&b.node))
                .then_with(|| a.node_id.cmp(&b.node_id))
        });
        self.worst.truncate(WORST_NODES);
    }

    /// The per-rule counts in rule order and the worst nodes, worst first.
    pub fn finish(mut self) -> (Vec<RuleCompliance>, Vec<NodeCompliance>) {
        self.trim();
        let rules = self
            .rules
            .into_iter()
            .map(|(rule, counts)| RuleCompliance {
                rule,
                compliance_percent: counts.compliance_percent(),
                counts,
            })
            .collect();
        (rules, self.worst)
    }
}
