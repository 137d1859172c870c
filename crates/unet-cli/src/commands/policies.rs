//! `unet policies` (alias `policy`): list and validate rule files, evaluate them against the
//! inventory (results stored, `SET`/`APPLY` applied with `--apply`), and show stored results.
//! `eval` and `results` work on the local database or, with `--server`, through the server's
//! policy endpoints (the server evaluates its own `policies.dir`); `validate` and `list` read
//! local files and need no database at all.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use unet_compliance::{EvaluatedResult, LoadedPolicies};
use unet_store::{ComplianceCounts, PolicyOutcome, StoredResult, parse_stored_outcome};

use super::block_on;
use crate::client::{Backend, Endpoint, Evaluate, Remote, ResultQuery};
use crate::error::{CliError, Result};
use crate::output::{OutputFormat, note, print_rows, print_structured, require_tabular};

#[derive(Debug, Subcommand)]
pub enum PoliciesCommand {
    /// The rule files of the policies directory, their rules and load diagnostics.
    List(PathArgs),
    /// Check a rule file or directory: exit 0 when valid, 1 with `file:line:col: message` lines.
    Validate {
        /// A rule file or a directory of them.
        path: PathBuf,
    },
    /// Evaluate the policies against the inventory and store the results.
    Eval(EvalArgs),
    /// Stored results of the last evaluations.
    Results(ResultsArgs),
}

#[derive(Debug, Args)]
pub struct PathArgs {
    /// Policies directory (or one rule file).
    #[arg(long, env = "UNET_POLICIES", default_value = "policies")]
    pub path: PathBuf,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    #[command(flatten)]
    pub policies: PathArgs,
    /// Only this node (name, fqdn or UUID).
    #[arg(long)]
    pub node: Option<String>,
    /// Show only failures and errors (all results are still stored).
    #[arg(long)]
    pub failures_only: bool,
    /// Apply SET changes (recorded with source `policy`) and APPLY template assignments.
    #[arg(long)]
    pub apply: bool,
    /// Templates whose output the nodes' running configs are checked against first, when the
    /// folder exists (local mode; a server checks with its own).
    #[command(flatten)]
    pub templates: super::templates::Folder,
}

#[derive(Debug, Args)]
pub struct ResultsArgs {
    /// Only this node (name, fqdn or UUID).
    #[arg(long)]
    pub node: Option<String>,
    /// pass, fail or error (results of rules that do not apply are counted, not stored).
    #[arg(long, value_parser = parse_stored_outcome)]
    pub outcome: Option<PolicyOutcome>,
    /// Only this rule id.
    #[arg(long)]
    pub rule: Option<String>,
    /// Most results shown.
    #[arg(long, default_value_t = 1000)]
    pub limit: u32,
}

fn load(path: &Path) -> Result<LoadedPolicies> {
    Ok(LoadedPolicies::load(path)?)
}

/// JSON/YAML of the records, else a table (or CSV) of `row` per record.
fn print_results<T: serde::Serialize>(
    items: &[T],
    format: OutputFormat,
    headers: &[&str],
    row: impl Fn(&T) -> Vec<String>,
) -> Result<()> {
    if matches!(format, OutputFormat::Json | OutputFormat::Yaml) {
        print_structured(&mut std::io::stdout().lock(), items, format)
    } else {
        print_rows(format, headers, items.iter().map(row).collect())
    }
}

pub fn validate(path: &Path, format: OutputFormat) -> Result<ExitCode> {
    let loaded = load(path)?;
    let valid = !loaded.diagnostics.has_errors();
    if matches!(format, OutputFormat::Json | OutputFormat::Yaml) {
        print_structured(&mut std::io::stdout().lock(), &loaded.diagnostics, format)?;
    } else {
        let mut out = std::io::stdout().lock();
        for d in loaded.diagnostics.iter() {
            writeln!(out, "{}", d.one_line())?;
        }
        out.flush()?;
        if valid {
            note!(
                "{} rule(s) in {} file(s): valid",
                loaded.set.len(),
                loaded.files.len()
            );
        }
    }
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

pub fn list(path: &Path, format: OutputFormat) -> Result<ExitCode> {
    require_tabular(format)?;
    let loaded = load(path)?;
    if matches!(format, OutputFormat::Json | OutputFormat::Yaml) {
        print_structured(&mut std::io::stdout().lock(), &loaded, format)?;
    } else {
        let rules = loaded
            .rules()
            .map(|r| (r.id.as_str(), r.file.as_str(), r.line, r.text.as_str()));
        let problems = loaded.diagnostics.iter().map(|d| d.one_line());
        print_listing(rules, problems, format)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The rule listing of the server's policies directory (`GET /api/v1/policies`): with
/// `--server`, `policies list` shows what the server evaluates, not a local folder.
pub fn remote_list(server: &Endpoint, format: OutputFormat) -> Result<ExitCode> {
    let remote = Remote::connect(server)?;
    require_tabular(format)?;
    let listing = block_on(remote.policy_listing())?;
    if matches!(format, OutputFormat::Json | OutputFormat::Yaml) {
        print_structured(&mut std::io::stdout().lock(), &listing, format)?;
    } else {
        let listing: RemoteListing = serde_json::from_value(listing).map_err(|e| {
            CliError::Config(format!("unexpected policy listing from the server: {e}"))
        })?;
        let rules = listing
            .rules
            .iter()
            .map(|r| (r.id.as_str(), r.file.as_str(), r.line, r.text.as_str()));
        let problems = listing.diagnostics.iter().map(|d| {
            format!(
                "{}:{}:{}: {}: {}",
                d.file, d.line, d.column, d.severity, d.message
            )
        });
        print_listing(rules, problems, format)?;
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(serde::Deserialize)]
struct RemoteListing {
    rules: Vec<RemoteRule>,
    diagnostics: Vec<RemoteDiagnostic>,
}

#[derive(serde::Deserialize)]
struct RemoteRule {
    id: String,
    file: String,
    line: u32,
    text: String,
}

#[derive(serde::Deserialize)]
struct RemoteDiagnostic {
    file: String,
    line: u32,
    column: u32,
    severity: String,
    message: String,
}

/// One row per rule (id, `file:line`, first line of its text); load problems go to stderr.
fn print_listing<'a>(
    rules: impl Iterator<Item = (&'a str, &'a str, u32, &'a str)>,
    problems: impl Iterator<Item = String>,
    format: OutputFormat,
) -> Result<()> {
    let rows = rules
        .map(|(id, file, line, text)| {
            vec![
                id.to_string(),
                format!("{file}:{line}"),
                text.lines().next().unwrap_or_default().to_string(),
            ]
        })
        .collect();
    print_rows(format, &["rule", "source", "text"], rows)?;
    for problem in problems {
        note!("{problem}");
    }
    Ok(())
}

/// `eval`: the local rule files against the database, or the server's against its own.
pub async fn eval<B: Backend>(
    backend: &B,
    args: EvalArgs,
    format: OutputFormat,
) -> Result<ExitCode> {
    require_tabular(format)?;
    let request = Evaluate {
        policies: args.policies.path,
        templates: args.templates.dir,
        node: args.node,
        failures_only: args.failures_only,
        apply: args.apply,
    };
    let evaluation = backend.evaluate(&request).await?;
    print_evaluation(
        &evaluation.results,
        format,
        evaluation.nodes,
        evaluation.counts,
    )?;
    for change in &evaluation.changes {
        let state = match (&change.error, change.applied) {
            (Some(e), _) => format!("not applied: {e}"),
            (None, true) => "applied".to_string(),
            (None, false) => "proposed (--apply to write)".to_string(),
        };
        note!(
            "{}: {} = {} ({}, rule {})",
            change.node,
            change.target,
            change.new,
            state,
            change.rule
        );
    }
    if let Some((added, removed)) = evaluation.template_assignments {
        note!("{added} template assignment(s) added, {removed} removed");
    }
    Ok(ExitCode::SUCCESS)
}

/// `results`: the stored results of the last evaluations.
pub async fn results<B: Backend>(
    backend: &B,
    args: ResultsArgs,
    format: OutputFormat,
) -> Result<ExitCode> {
    require_tabular(format)?;
    let query = ResultQuery {
        node: args.node,
        outcome: args.outcome,
        rule: args.rule,
        limit: args.limit,
    };
    let stored = backend.policy_results(&query).await?;
    print_results(
        &stored,
        format,
        &["node", "rule", "outcome", "since", "message"],
        |r: &StoredResult| {
            vec![
                r.node.clone(),
                r.rule.clone(),
                r.outcome.to_string(),
                r.changed_at.to_string(),
                r.message.clone().unwrap_or_default(),
            ]
        },
    )?;
    Ok(ExitCode::SUCCESS)
}

/// The results table (or JSON) on stdout and the summary line on stderr.
fn print_evaluation(
    results: &[EvaluatedResult],
    format: OutputFormat,
    nodes: u64,
    c: ComplianceCounts,
) -> Result<()> {
    print_results(
        results,
        format,
        &["node", "rule", "outcome", "message"],
        |r| {
            vec![
                r.node.clone(),
                r.rule.clone(),
                r.outcome.to_string(),
                r.message.clone().unwrap_or_default(),
            ]
        },
    )?;
    note!(
        "{} node(s): {} pass, {} fail, {} error, {} not applicable ({:.1}% compliant)",
        nodes,
        c.pass,
        c.fail,
        c.error,
        c.not_applicable,
        c.compliance_percent()
    );
    Ok(())
}
