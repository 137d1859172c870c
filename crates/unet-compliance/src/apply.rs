//! `SET` and `APPLY`: the changes rules propose for a node, written through the store's normal
//! update path when the caller asks to apply them, and the templates rules assign.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;
use unet_core::{ChangeContext, Node, NodeDraft, Uuid};
use unet_policy::NodeEvaluation;
use unet_store::{AssignmentChange, Store};

use crate::error::Result;
use crate::run::EvaluationReport;

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

/// Templates `APPLY` rules assign to a node, and how applying changed its assignments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TemplateAssignment {
    pub node_id: Uuid,
    pub node: String,
    /// In rule order.
    pub templates: Vec<String>,
    /// Assigned by this evaluation (empty unless applying).
    pub added: Vec<String>,
    /// No longer assigned since this evaluation (empty unless applying).
    pub removed: Vec<String>,
}

/// A node with its `SET` changes applied to `custom_data`, and where its changes start in
/// the report. A change whose path is blocked is reported with its error and left out.
pub(crate) struct Update {
    node: Node,
    custom_data: Value,
    first_change: usize,
}

pub(crate) fn proposed(
    node: &Node,
    e: &NodeEvaluation<'_>,
    changes: &mut Vec<PolicyChange>,
) -> Update {
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
pub(crate) async fn apply_changes(
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

/// Reports the nodes that `APPLY` rules assign templates to, and those whose assignments
/// changed (a node whose last template went away has an empty `templates`).
pub(crate) fn report_templates(
    report: &mut EvaluationReport,
    nodes: &[Node],
    assignments: Vec<(Uuid, Vec<String>)>,
    changed: Vec<AssignmentChange>,
) {
    let mut changed: HashMap<Uuid, AssignmentChange> =
        changed.into_iter().map(|c| (c.node_id, c)).collect();
    let names: HashMap<Uuid, &str> = nodes.iter().map(|n| (n.id, n.name.as_str())).collect();
    for (node_id, templates) in assignments {
        let change = changed.remove(&node_id);
        if templates.is_empty() && change.is_none() {
            continue;
        }
        let (added, removed) = change.map(|c| (c.added, c.removed)).unwrap_or_default();
        report.templates.push(TemplateAssignment {
            node_id,
            node: names.get(&node_id).copied().unwrap_or_default().to_owned(),
            templates,
            added,
            removed,
        });
    }
}
