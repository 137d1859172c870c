//! `unet compliance [NODE]`: the recorded verdicts — for the fleet, policy compliance and config
//! compliance side by side; for one node, its policy results, templates and config check with
//! each template slice; with `--state`, `--template` or `--verdict`, the nodes whose recorded
//! config check matches.

use std::process::ExitCode;

use clap::Args;
use unet_compliance::{FleetCompliance, NodeComplianceReport};
use unet_store::{ConfigCheckFilter, ConfigState, NamedConfigCheck, SliceVerdict};

use crate::client::Backend;
use crate::error::Result;
use crate::output::{OutputFormat, note, print_rows, print_structured};

#[derive(Debug, Args)]
pub struct ComplianceArgs {
    /// A node (name, FQDN or UUID): its verdicts instead of the fleet's.
    #[arg(conflicts_with_all = ["state", "template", "verdict"])]
    pub node: Option<String>,
    /// List the nodes whose config check has this state: compliant, non_compliant,
    /// no_running_config or error.
    #[arg(long, value_parser = parse_text::<ConfigState>)]
    pub state: Option<ConfigState>,
    /// List the nodes that have this template assigned (with --verdict: its slice's verdict).
    #[arg(long)]
    pub template: Option<String>,
    /// List the nodes with a template slice of this verdict: compliant, missing, extra or
    /// different.
    #[arg(long, value_parser = parse_text::<SliceVerdict>)]
    pub verdict: Option<SliceVerdict>,
    /// Most nodes listed.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub limit: u32,
}

fn parse_text<T: std::str::FromStr<Err = String>>(text: &str) -> std::result::Result<T, String> {
    text.parse()
}

pub async fn run<B: Backend>(
    backend: &B,
    args: ComplianceArgs,
    format: OutputFormat,
) -> Result<ExitCode> {
    let filter = ConfigCheckFilter {
        state: args.state,
        template: args.template,
        verdict: args.verdict,
    };
    match &args.node {
        Some(node) => one_node(&backend.node_compliance(node).await?, format)?,
        None if filter != ConfigCheckFilter::default() => {
            listed(&backend.config_checks(&filter, args.limit).await?, format)?;
        }
        None => fleet(&backend.fleet_compliance().await?, format)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn listed(checks: &[NamedConfigCheck], format: OutputFormat) -> Result<()> {
    if structured(format) {
        return print_structured(&mut std::io::stdout().lock(), &checks, format);
    }
    let rows = checks
        .iter()
        .map(|c| {
            let check = &c.check;
            let slices: Vec<String> = check
                .slices
                .iter()
                .filter(|s| s.verdict != SliceVerdict::Compliant)
                .map(|s| format!("{} {}", s.template, s.verdict.as_str()))
                .collect();
            vec![
                c.node.clone(),
                check.state.as_str().to_string(),
                display_version(check.running_version),
                check.missing.to_string(),
                check.extra.to_string(),
                check.message.clone().unwrap_or_else(|| slices.join(", ")),
                check.checked_at.to_string(),
            ]
        })
        .collect();
    print_rows(
        format,
        &[
            "node",
            "state",
            "running",
            "missing",
            "extra",
            "detail",
            "checked at",
        ],
        rows,
    )
}

fn structured(format: OutputFormat) -> bool {
    matches!(format, OutputFormat::Json | OutputFormat::Yaml)
}

fn fleet(summary: &FleetCompliance, format: OutputFormat) -> Result<()> {
    if structured(format) {
        return print_structured(&mut std::io::stdout().lock(), summary, format);
    }
    let policy = &summary.policy;
    let config = &summary.config;
    let rows = vec![
        vec![
            "policy".to_string(),
            policy.nodes_evaluated.to_string(),
            policy.compliant_nodes.to_string(),
            (policy.nodes_evaluated - policy.compliant_nodes.min(policy.nodes_evaluated))
                .to_string(),
            format!(
                "{} pass, {} fail, {} error ({:.1} % pass)",
                policy.counts.pass,
                policy.counts.fail,
                policy.counts.error,
                policy.compliance_percent
            ),
        ],
        vec![
            "config".to_string(),
            config.nodes_checked.to_string(),
            config.compliant.to_string(),
            config.non_compliant.to_string(),
            format!(
                "{} without a running config, {} error",
                config.no_running_config, config.error
            ),
        ],
    ];
    print_rows(
        format,
        &[
            "compliance",
            "nodes",
            "compliant",
            "not compliant",
            "detail",
        ],
        rows,
    )?;
    for node in &policy.worst_nodes {
        note!(
            "policy: {} has {} failing and {} erroring rule(s)",
            node.node,
            node.counts.fail,
            node.counts.error
        );
    }
    for node in &config.worst_nodes {
        note!(
            "config: {} differs by {} missing and {} extra line(s) (unet templates diff {})",
            node.node,
            node.missing,
            node.extra,
            node.node
        );
    }
    Ok(())
}

fn one_node(report: &NodeComplianceReport, format: OutputFormat) -> Result<()> {
    if structured(format) {
        return print_structured(&mut std::io::stdout().lock(), report, format);
    }
    let mut rows: Vec<Vec<String>> = report
        .results
        .iter()
        .map(|r| {
            vec![
                "policy".to_string(),
                r.rule.clone(),
                r.outcome.as_str().to_string(),
                r.message.clone().unwrap_or_default(),
            ]
        })
        .collect();
    match &report.config {
        Some(check) => {
            rows.push(vec![
                "config".to_string(),
                format!(
                    "(running config v{})",
                    display_version(check.running_version)
                ),
                check.state.as_str().to_string(),
                check
                    .message
                    .clone()
                    .unwrap_or_else(|| format!("{} missing, {} extra", check.missing, check.extra)),
            ]);
            rows.extend(check.slices.iter().map(|s| {
                vec![
                    "config".to_string(),
                    s.template.clone(),
                    s.verdict.as_str().to_string(),
                    format!("{} missing, {} extra", s.missing, s.extra),
                ]
            }));
        }
        None if report.templates.is_empty() => {
            note!("{} has no templates assigned", report.node);
        }
        None => note!(
            "{} has templates assigned but no recorded config check yet",
            report.node
        ),
    }
    if report.compliance.is_none() {
        note!(
            "{} has not been evaluated yet (unet policies eval)",
            report.node
        );
    }
    print_rows(
        format,
        &["kind", "rule / template", "verdict", "detail"],
        rows,
    )
}

fn display_version(version: Option<u64>) -> String {
    version.map_or_else(|| "-".to_string(), |v| v.to_string())
}
