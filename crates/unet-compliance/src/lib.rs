//! Running policies against the inventory: load the rule files of a policies directory,
//! evaluate every node (or a filtered part of the fleet) page by page with its location and
//! ancestors, store the results, summarise them, and apply `SET` and `APPLY` when asked.
//! Shared by the CLI (local mode) and the server (on demand and in the background).

mod apply;
mod error;
mod facts;
mod load;
mod record;
mod run;
mod summary;

pub use apply::{PolicyChange, TemplateAssignment};
pub use error::{ComplianceError, Result};
pub use load::LoadedPolicies;
pub use run::{Collect, EvaluateOptions, EvaluatedResult, EvaluationReport, evaluate};
pub use summary::{EvaluationSummary, RuleCompliance, WORST_NODES};
