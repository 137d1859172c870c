//! Evaluating the fleet page by page: facts from the store, results recorded, `SET` and
//! `APPLY` applied only when asked.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use unet_core::{
    ChangeContext, ChangeSource, Node, NodeDraft, NodeFilter, PageRequest, Timestamp, Uuid,
};
use unet_policy::{NodeEvaluation, NodeFacts, Outcome, RuleResult};
use unet_store::{ComplianceCounts, NodeRuleResults, PolicyOutcome, RuleResultRecord, Store};

use crate::error::Result;
use crate::facts::{PageLocations, to_json};
use crate::load::LoadedPolicies;

/// Nodes evaluated (and recorded) per page.
const PAGE_SIZE: u32 = 1000;

/// Which results an evaluation hands back (all are recorded when recording is on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Collect {
    /// Only counts: the background task evaluates the whole fleet without keeping rows.
    #[default]
    None,
    /// Failures and errors.
    Failures,
    All,
}

/// What to evaluate and what to do with the outcome.
#[derive(Debug, Clone, Default)]
pub struct EvaluateOptions {
    /// Nodes to evaluate; the default is every node.
    pub filter: NodeFilter,
    /// Only this node (the filter still applies to nothing else).
    pub node: Option<Uuid>,
    /// Record results in the store (off for inline rules, which are not stored).
    pub record: bool,
    /// Apply `SET` changes and `APPLY` templates as this actor (the source is always `policy`).
    pub apply: Option<ChangeContext>,
    pub collect: Collect,
}

/// One node × rule result (also the JSON of `POST /api/v1/policies/evaluate`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluatedResult {
    pub node_id: Uuid,
    /// The node's name.
    pub node: String,
    pub rule: String,
    pub outcome: PolicyOutcome,
    pub expected: Option<Value>,
    pub actual: Option<Value>,
    pub message: Option<String>,
}

/// A `SET` a rule proposed for a node, and whether it was applied.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyChange {
    pub node_id: Uuid,
    pub node: String,
    pub rule: String,
    /// `custom_data.<path>`
    pub target: String,
    pub old: Value,
    pub new: Value,
    pub applied: bool,
    /// Why it could not be applied.
    pub error: Option<String>,
}

/// Templates `APPLY` rules assign to a node, and which of them were newly assigned.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TemplateAssignment {
    pub node_id: Uuid,
    pub node: String,
    /// In rule order.
    pub templates: Vec<String>,
    /// Assigned by this evaluation (empty unless applying).
    pub added: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EvaluationReport {
    pub evaluated_at: Option<Timestamp>,
    pub nodes: u64,
    pub counts: ComplianceCounts,
    pub results: Vec<EvaluatedResult>,
    pub changes: Vec<PolicyChange>,
    pub templates: Vec<TemplateAssignment>,
}

fn outcome(o: Outcome) -> PolicyOutcome {
    match o {
        Outcome::Pass => PolicyOutcome::Pass,
        Outcome::Fail => PolicyOutcome::Fail,
        Outcome::Error => PolicyOutcome::Error,
        Outcome::NotApplicable => PolicyOutcome::NotApplicable,
    }
}

fn record(r: &RuleResult<'_>) -> RuleResultRecord {
    RuleResultRecord {
        rule_id: r.rule.to_owned(),
        outcome: outcome(r.outcome),
        expected: r.expected().cloned(),
        actual: r.actual().cloned(),
        message: r.message().map(str::to_owned),
    }
}

/// Evaluates the selected nodes with `policies`; `progress(done, total)` after each page.
pub async fn evaluate(
    store: &Store,
    policies: &LoadedPolicies,
    opts: &EvaluateOptions,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<EvaluationReport> {
    let evaluated_at = Timestamp::now();
    let rule_ids = policies.rule_ids();
    let mut report = EvaluationReport {
        evaluated_at: Some(evaluated_at),
        ..Default::default()
    };
    let mut page = PageRequest::new(PAGE_SIZE, None).map_err(unet_store::StoreError::from)?;
    loop {
        let (nodes, next, total) = match opts.node {
            Some(id) => (vec![store.get_node(id).await?], None, 1),
            None => {
                let listed = store.list_nodes(&opts.filter, &page).await?;
                (listed.items, listed.next_cursor, listed.total)
            }
        };
        let locations = PageLocations::fetch(store, &nodes).await?;
        let mut recorded = Vec::with_capacity(if opts.record { nodes.len() } else { 0 });
        let mut assignments = Vec::new();
        let mut to_update = Vec::new();
        for node in &nodes {
            let json = to_json(node);
            let facts = NodeFacts {
                location: locations.get(node.location_id),
                ..NodeFacts::new(&json)
            };
            let evaluation = policies.set.evaluate(&facts);
            collect(&mut report, opts.collect, node, &evaluation);
            if opts.record {
                recorded.push(NodeRuleResults {
                    node_id: node.id,
                    results: evaluation.results.iter().map(record).collect(),
                });
            }
            if !evaluation.templates.is_empty() {
                let templates: Vec<String> = evaluation
                    .templates
                    .iter()
                    .map(|t| (*t).to_owned())
                    .collect();
                assignments.push((node.id, templates));
            }
            if !evaluation.changes.is_empty() {
                to_update.push(proposed(node, &evaluation, &mut report.changes));
            }
        }
        if opts.record {
            store
                .record_policy_results(evaluated_at, &rule_ids, &recorded)
                .await?;
        }
        let added = match &opts.apply {
            Some(_) => store.assign_templates(&assignments).await?,
            None => Vec::new(),
        };
        report_templates(&mut report, &nodes, assignments, added);
        if let Some(ctx) = &opts.apply {
            let ctx = ChangeContext {
                source: ChangeSource::Policy,
                ..ctx.clone()
            };
            apply_changes(store, &ctx, to_update, &mut report.changes).await?;
        }
        report.nodes += nodes.len() as u64;
        progress(report.nodes, total);
        match next {
            Some(cursor) => page.cursor = Some(cursor),
            None => return Ok(report),
        }
    }
}

fn collect(report: &mut EvaluationReport, collect: Collect, node: &Node, e: &NodeEvaluation<'_>) {
    for r in &e.results {
        let outcome = outcome(r.outcome);
        report.counts.add(outcome);
        let keep = match collect {
            Collect::None => false,
            Collect::Failures => matches!(outcome, PolicyOutcome::Fail | PolicyOutcome::Error),
            Collect::All => true,
        };
        if keep {
            report.results.push(EvaluatedResult {
                node_id: node.id,
                node: node.name.clone(),
                rule: r.rule.to_owned(),
                outcome,
                expected: r.expected().cloned(),
                actual: r.actual().cloned(),
                message: r.message().map(str::to_owned),
            });
        }
    }
}

/// A node with its `SET` changes applied to `custom_data`, and where its changes start in
/// the report. A change whose path is blocked is reported with its error and left out.
struct Update {
    node: Node,
    custom_data: Value,
    first_change: usize,
}

fn proposed(node: &Node, e: &NodeEvaluation<'_>, changes: &mut Vec<PolicyChange>) -> Update {
    let first_change = changes.len();
    let mut custom_data = node.custom_data.clone();
    for change in &e.changes {
        let error = change
            .apply_to(&mut custom_data)
            .err()
            .map(|e| e.to_string());
        changes.push(PolicyChange {
            node_id: node.id,
            node: node.name.clone(),
            rule: change.rule.to_owned(),
            target: change.target.to_owned(),
            old: change.old.clone(),
            new: change.new.clone(),
            applied: false,
            error,
        });
    }
    Update {
        node: node.clone(),
        custom_data,
        first_change,
    }
}

/// Writes each changed node through the store's normal update path (one change row with
/// source `policy` per node); a node edited meanwhile is refused by its revision.
async fn apply_changes(
    store: &Store,
    ctx: &ChangeContext,
    updates: Vec<Update>,
    changes: &mut [PolicyChange],
) -> Result<()> {
    for update in updates {
        let Update {
            node,
            custom_data,
            first_change,
        } = update;
        let id = node.id;
        let outcome = store
            .update_node(ctx, id, draft(node, custom_data), None)
            .await;
        let of_node = changes
            .iter_mut()
            .skip(first_change)
            .take_while(|c| c.node_id == id)
            .filter(|c| c.error.is_none());
        match outcome {
            Ok(_) => of_node.for_each(|c| c.applied = true),
            Err(e) => {
                let message = e.to_string();
                of_node.for_each(|c| c.error = Some(message.clone()));
            }
        }
    }
    Ok(())
}

fn draft(n: Node, custom_data: Value) -> NodeDraft {
    NodeDraft {
        id: Some(n.id),
        name: n.name,
        domain: n.domain,
        fqdn: None,
        vendor: n.vendor,
        platform: Some(n.platform),
        model: n.model,
        role: n.role,
        status: Some(n.status),
        location_id: n.location_id,
        management_ip: n.management_ip,
        serial_number: n.serial_number,
        asset_tag: n.asset_tag,
        custom_data: Some(custom_data),
        revision: Some(n.revision),
        ..Default::default()
    }
}

fn report_templates(
    report: &mut EvaluationReport,
    nodes: &[Node],
    assignments: Vec<(Uuid, Vec<String>)>,
    added: Vec<(Uuid, Vec<String>)>,
) {
    let mut added: std::collections::HashMap<Uuid, Vec<String>> = added.into_iter().collect();
    let names: std::collections::HashMap<Uuid, &str> =
        nodes.iter().map(|n| (n.id, n.name.as_str())).collect();
    for (node_id, templates) in assignments {
        report.templates.push(TemplateAssignment {
            node_id,
            node: names.get(&node_id).copied().unwrap_or_default().to_owned(),
            templates,
            added: added.remove(&node_id).unwrap_or_default(),
        });
    }
}
