//! Config compliance over the fleet: page by page, each node's assigned templates rendered
//! with its context and compared with its latest running configuration, and the outcome
//! recorded. A node whose templates do not render keeps its recorded check (the report names
//! the error): a broken variable must not turn a known verdict into noise.

use serde::Serialize;
use unet_core::{Node, NodeFilter, RunningConfig, Timestamp, Uuid};
use unet_store::{ConfigCheckRecord, ConfigState, SliceRecord, SliceVerdict, Store};
use unet_template::Verdict;

use crate::context::PageContexts;
use crate::error::Result;
use crate::intended::{IntendedError, compare_verdicts, render_templates};
use crate::pages::NodePages;
use crate::templates::LoadedTemplates;

/// Render errors listed in a report; the count covers them all.
const LISTED_ERRORS: usize = 100;

/// Which nodes to check.
#[derive(Debug, Clone, Default)]
pub struct ConfigRunOptions {
    pub filter: NodeFilter,
    /// Only these nodes, those that still exist (none: every node the filter selects).
    pub nodes: Vec<Uuid>,
}

/// What a run found; also the JSON the CLI and the server report.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ConfigRunReport {
    pub checked_at: Option<Timestamp>,
    /// Nodes walked.
    pub nodes: u64,
    pub compliant: u64,
    pub non_compliant: u64,
    pub no_running_config: u64,
    /// Nodes whose configuration could not be compared (no platform, a config that does not
    /// parse); recorded with state `error`.
    pub error: u64,
    /// Nodes without templates (their recorded check, if any, is removed).
    pub without_templates: u64,
    /// Nodes whose templates did not render; their recorded check is left as it was.
    pub render_failed: u64,
    /// The first render errors, one line each.
    pub render_errors: Vec<String>,
}

/// One node's outcome.
pub enum NodeOutcome {
    NoTemplates,
    RenderFailed(IntendedError),
    Checked(ConfigCheckRecord),
}

/// Checks one node: renders `assigned` with `context` and compares with `running`.
pub fn check_node(
    loaded: &LoadedTemplates,
    node: &Node,
    assigned: &[String],
    context: &unet_template::Value,
    running: Option<&RunningConfig>,
    checked_at: Timestamp,
) -> NodeOutcome {
    if assigned.is_empty() {
        return NodeOutcome::NoTemplates;
    }
    let rendering = match render_templates(loaded, node, assigned, context) {
        Ok(rendering) => rendering,
        Err(e) => return NodeOutcome::RenderFailed(e),
    };
    let record = |state, message| ConfigCheckRecord {
        node_id: node.id,
        checked_at,
        running_version: running.map(|r| r.info.version),
        state,
        missing: 0,
        extra: 0,
        message,
        slices: Vec::new(),
    };
    let Some(running) = running else {
        return NodeOutcome::Checked(record(ConfigState::NoRunningConfig, None));
    };
    match compare_verdicts(&rendering, &running.content) {
        Err(e) => NodeOutcome::Checked(record(ConfigState::Error, Some(e.to_string()))),
        Ok(check) => {
            let slices: Vec<SliceRecord> = check
                .slices
                .iter()
                .map(|s| SliceRecord {
                    template: s.template.clone(),
                    owns: s.owns.clone(),
                    verdict: match s.verdict {
                        Verdict::Compliant => SliceVerdict::Compliant,
                        Verdict::Missing => SliceVerdict::Missing,
                        Verdict::Extra => SliceVerdict::Extra,
                        Verdict::Different => SliceVerdict::Different,
                    },
                    missing: u64::from(s.missing),
                    extra: u64::from(s.extra),
                })
                .collect();
            let state = if check.compliant {
                ConfigState::Compliant
            } else {
                ConfigState::NonCompliant
            };
            NodeOutcome::Checked(ConfigCheckRecord {
                missing: slices.iter().map(|s| s.missing).sum(),
                extra: slices.iter().map(|s| s.extra).sum(),
                slices,
                ..record(state, None)
            })
        }
    }
}

/// Checks the selected nodes and records the outcomes; `progress(done, total)` after each page.
pub async fn check_configs(
    store: &Store,
    loaded: &LoadedTemplates,
    opts: &ConfigRunOptions,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<ConfigRunReport> {
    let checked_at = Timestamp::now();
    let mut report = ConfigRunReport {
        checked_at: Some(checked_at),
        ..Default::default()
    };
    let mut pages = NodePages::new(&opts.filter, &opts.nodes)?;
    while let Some((nodes, total)) = pages.next(store).await? {
        let page_size = nodes.len() as u64;
        let ids: Vec<Uuid> = nodes.iter().map(|n| n.id).collect();
        let assigned = store.templates_of_nodes(&ids).await?;
        // Only nodes with templates need their context and running configuration read.
        let (nodes, without): (Vec<Node>, Vec<Node>) = nodes
            .into_iter()
            .partition(|n| assigned.get(&n.id).is_some_and(|t| !t.is_empty()));
        report.without_templates += without.len() as u64;
        let mut cleared: Vec<Uuid> = without.iter().map(|n| n.id).collect();
        let mut checks = Vec::with_capacity(nodes.len());
        // Reads for no nodes run no statement.
        let ids: Vec<Uuid> = nodes.iter().map(|n| n.id).collect();
        let contexts = PageContexts::fetch(store, &nodes).await?;
        let running = store.latest_running_configs(&ids).await?;
        let check = |node: &Node| {
            let templates = assigned.get(&node.id).map_or(&[][..], Vec::as_slice);
            let outcome = check_node(
                loaded,
                node,
                templates,
                &contexts.context(node),
                running.get(&node.id),
                checked_at,
            );
            (node.id, outcome)
        };
        for (node_id, outcome) in on_every_core(&nodes, check) {
            match outcome {
                NodeOutcome::NoTemplates => {
                    report.without_templates += 1;
                    cleared.push(node_id);
                }
                NodeOutcome::RenderFailed(e) => {
                    report.render_failed += 1;
                    if report.render_errors.len() < LISTED_ERRORS {
                        report.render_errors.push(e.to_string());
                    }
                }
                NodeOutcome::Checked(check) => {
                    match check.state {
                        ConfigState::Compliant => report.compliant += 1,
                        ConfigState::NonCompliant => report.non_compliant += 1,
                        ConfigState::NoRunningConfig => report.no_running_config += 1,
                        ConfigState::Error => report.error += 1,
                    }
                    checks.push(check);
                }
            }
        }
        store.record_config_checks(&checks, &cleared).await?;
        report.nodes += page_size;
        progress(report.nodes, total);
    }
    Ok(report)
}

/// `f` over `items` on every core, results in order: rendering and comparing a page of nodes is
/// pure CPU work, and a fleet run otherwise leaves all but one core idle.
fn on_every_core<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    if cores == 1 || items.len() < 2 {
        return items.iter().map(f).collect();
    }
    let f = &f;
    std::thread::scope(|scope| {
        let parts: Vec<_> = items
            .chunks(items.len().div_ceil(cores))
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<R>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|part| {
                part.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}
