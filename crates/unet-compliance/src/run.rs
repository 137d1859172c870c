//! Evaluating the fleet page by page: facts from the store, results recorded (in the
//! background, overlapping the next page), counts per rule and node, `SET` and `APPLY`
//! applied only when asked.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use unet_core::{ChangeContext, ChangeSource, Node, NodeFilter, Timestamp, Uuid};
use unet_policy::{NodeEvaluation, NodeFacts, Outcome, RuleResult};
use unet_store::{
    ComplianceCounts, ConfigCheckRecord, ConfigState, NodeCompliance, NodeRuleResults,
    PolicyOutcome, RuleResultRecord, SliceVerdict, Store,
};

use crate::apply::{PolicyChange, TemplateAssignment, apply_changes, proposed, report_templates};
use crate::error::{ComplianceError, Result};
use crate::facts::{PageLocations, to_json};
use crate::load::LoadedPolicies;
use crate::pages::NodePages;
use crate::record::Recorder;
use crate::summary::{RuleCompliance, Tally};

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

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EvaluationReport {
    pub evaluated_at: Option<Timestamp>,
    pub nodes: u64,
    pub counts: ComplianceCounts,
    /// Nodes without failures or errors.
    pub compliant_nodes: u64,
    /// Every rule with its counts, in rule order.
    pub rules: Vec<RuleCompliance>,
    /// Up to [`crate::WORST_NODES`] nodes with most failures and errors, worst first.
    pub worst_nodes: Vec<NodeCompliance>,
    /// The results asked for with [`EvaluateOptions::collect`].
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
/// A rule set with any error is refused whole ([`ComplianceError::InvalidRules`]) before the
/// store is touched: evaluating the rules that did compile would record a partial set and
/// delete the stored results of the rules that did not.
pub async fn evaluate(
    store: &Store,
    policies: &LoadedPolicies,
    opts: &EvaluateOptions,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<EvaluationReport> {
    if policies.diagnostics.has_errors() {
        return Err(ComplianceError::InvalidRules(policies.diagnostics.clone()));
    }
    let evaluated_at = Timestamp::now();
    let mut tally = Tally::new(&policies.rule_ids());
    let mut recorder = opts.record.then(|| Recorder::new(store, evaluated_at));
    let mut report = EvaluationReport {
        evaluated_at: Some(evaluated_at),
        ..Default::default()
    };
    let mut pages = NodePages::new(&opts.filter, opts.node.as_slice())?;
    while let Some((nodes, total)) = pages.next(store).await? {
        let locations = PageLocations::fetch(store, &nodes).await?;
        let ids: Vec<Uuid> = nodes.iter().map(|n| n.id).collect();
        // What the rules read of the nodes' configurations, and only that.
        let running = match policies.set.reads_running_config() {
            true => store.latest_running_configs(&ids).await?,
            false => Default::default(),
        };
        let checks: HashMap<Uuid, Value> = match policies.set.reads_config_check() {
            true => store
                .config_checks(&ids)
                .await?
                .into_iter()
                .map(|(id, check)| (id, config_facts(&check)))
                .collect(),
            false => HashMap::new(),
        };
        let status: HashMap<Uuid, Value> = match policies.set.reads_status() {
            true => store.polled_facts(&ids).await?,
            false => HashMap::new(),
        };
        let mut recorded = Vec::with_capacity(if opts.record { nodes.len() } else { 0 });
        let mut assignments = Vec::new();
        let mut to_update = Vec::new();
        for node in &nodes {
            let json = to_json(node);
            let facts = NodeFacts {
                location: locations.get(node.location_id),
                running_config: running.get(&node.id).map(|r| r.content.as_str()),
                config_check: checks.get(&node.id),
                status: status.get(&node.id),
                ..NodeFacts::new(&json)
            };
            let evaluation = policies.set.evaluate(&facts);
            let outcomes = evaluation.results.iter().map(|r| outcome(r.outcome));
            let counts = tally.add(node, evaluated_at, outcomes);
            report.counts.merge(&counts);
            if counts.fail + counts.error == 0 {
                report.compliant_nodes += 1;
            }
            collect(&mut report.results, opts.collect, node, &evaluation);
            if opts.record {
                recorded.push(NodeRuleResults {
                    node_id: node.id,
                    results: evaluation.results.iter().map(record).collect(),
                });
            }
            // Every evaluated node is listed, so that applying clears what no longer applies.
            let templates: Vec<String> = evaluation
                .templates
                .iter()
                .map(|t| (*t).to_owned())
                .collect();
            assignments.push((node.id, templates));
            if !evaluation.changes.is_empty() {
                to_update.push(proposed(node, &evaluation, &mut report.changes));
            }
        }
        if let Some(recorder) = &mut recorder {
            recorder.record(recorded).await?;
        }
        let changed = match &opts.apply {
            Some(_) => store.replace_template_assignments(&assignments).await?,
            None => Vec::new(),
        };
        report_templates(&mut report, &nodes, assignments, changed);
        if let Some(ctx) = &opts.apply {
            let ctx = ChangeContext {
                source: ChangeSource::Policy,
                ..ctx.clone()
            };
            apply_changes(store, &ctx, to_update, &mut report.changes).await?;
        }
        report.nodes += nodes.len() as u64;
        progress(report.nodes, total);
    }
    if let Some(recorder) = &mut recorder {
        recorder.finish().await?;
    }
    (report.rules, report.worst_nodes) = tally.finish();
    Ok(report)
}

/// A recorded config check as rules read it (`config.compliant`, …): `compliant` is null
/// when there was nothing to compare or the comparison failed.
fn config_facts(check: &ConfigCheckRecord) -> Value {
    let compliant = match check.state {
        ConfigState::Compliant => Some(true),
        ConfigState::NonCompliant => Some(false),
        ConfigState::NoRunningConfig | ConfigState::Error => None,
    };
    let noncompliant: Vec<&str> = check
        .slices
        .iter()
        .filter(|s| s.verdict != SliceVerdict::Compliant)
        .map(|s| s.template.as_str())
        .collect();
    serde_json::json!({
        "compliant": compliant,
        "state": check.state.as_str(),
        "missing": check.missing,
        "extra": check.extra,
        "noncompliant_templates": noncompliant,
        "checked_at": check.checked_at,
        "running_version": check.running_version,
    })
}

/// Keeps the results `collect` asks for.
fn collect(
    results: &mut Vec<EvaluatedResult>,
    collect: Collect,
    node: &Node,
    e: &NodeEvaluation<'_>,
) {
    for r in &e.results {
        let outcome = outcome(r.outcome);
        let keep = match collect {
            Collect::None => false,
            Collect::Failures => matches!(outcome, PolicyOutcome::Fail | PolicyOutcome::Error),
            Collect::All => true,
        };
        if keep {
            results.push(EvaluatedResult {
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
