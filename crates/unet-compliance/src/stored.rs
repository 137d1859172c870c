//! The recorded compliance of the fleet and of one node (policy results and config checks), as
//! the API answers it and the CLI prints it.

use serde::{Deserialize, Serialize};
use unet_core::{Node, Uuid};
use unet_store::{
    ComplianceSummary, ConfigCheckRecord, ConfigComplianceSummary, NodeCompliance, ResultFilter,
    Store, StoredResult,
};

use crate::error::Result;

/// Stored results listed for one node (a node has one row per rule).
const NODE_RESULTS_LIMIT: u32 = 10_000;

/// Policy compliance (the top-level fields) and config compliance (`config`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetCompliance {
    #[serde(flatten)]
    pub policy: ComplianceSummary,
    pub config: ConfigComplianceSummary,
}

/// One node's recorded verdicts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeComplianceReport {
    pub node_id: Uuid,
    pub node: String,
    /// Null until the node has been evaluated.
    pub compliance: Option<NodeCompliance>,
    pub results: Vec<StoredResult>,
    pub templates: Vec<String>,
    /// The recorded config check; null until the node's configuration has been checked.
    pub config: Option<ConfigCheckRecord>,
}

/// The fleet's recorded compliance, with the `top` worst nodes and rules.
pub async fn fleet_compliance(store: &Store, top: u32) -> Result<FleetCompliance> {
    Ok(FleetCompliance {
        policy: store.compliance_summary(top, top).await?,
        config: store.config_compliance_summary(top).await?,
    })
}

/// `node`'s recorded policy results, templates and config check.
pub async fn node_compliance(store: &Store, node: Node) -> Result<NodeComplianceReport> {
    let filter = ResultFilter {
        node_id: Some(node.id),
        ..Default::default()
    };
    Ok(NodeComplianceReport {
        node_id: node.id,
        compliance: store.node_compliance(node.id).await?,
        results: store.policy_results(&filter, NODE_RESULTS_LIMIT).await?,
        templates: store.node_templates(node.id).await?,
        config: store.config_check(node.id).await?,
        node: node.name,
    })
}
