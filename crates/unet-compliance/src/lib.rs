//! Running policies against the inventory: load the rule files of a policies directory,
//! evaluate every node (or a filtered part of the fleet) page by page with its location and
//! ancestors, store the results, summarise them, and apply `SET` and `APPLY` when asked.
//! Renders a node's assigned templates (its intended configuration) and compares them with a
//! running configuration. Shared by the CLI (local mode) and the server (on demand and in the
//! background).

mod apply;
mod config_run;
mod context;
mod error;
mod facts;
mod intended;
mod load;
mod pages;
mod record;
mod run;
mod stored;
mod summary;
mod templates;

pub use apply::{PolicyChange, TemplateAssignment};
pub use config_run::{ConfigRunOptions, ConfigRunReport, NodeOutcome, check_configs, check_node};
pub use context::PageContexts;
pub use error::{ComplianceError, Result};
pub use intended::{IntendedError, Rendering, compare, render_node, render_templates};
pub use load::LoadedPolicies;
pub use run::{Collect, EvaluateOptions, EvaluatedResult, EvaluationReport, evaluate};
pub use stored::{FleetCompliance, NodeComplianceReport, fleet_compliance, node_compliance};
pub use summary::{EvaluationSummary, RuleCompliance, WORST_NODES};
pub use templates::{
    Fingerprint, LoadedTemplates, MAX_TEMPLATE_BYTES, TEMPLATE_EXTENSIONS, TemplateInfo,
};
