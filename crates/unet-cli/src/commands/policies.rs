//! `unet policies` (alias `policy`): list and validate rule files, evaluate them against the
//! inventory (results stored, `SET`/`APPLY` applied with `--apply`), and show stored results.
//! `eval` and `results` work on the local database or, with `--server`, through the server's
//! policy endpoints (the server evaluates its own `policies.dir`); `validate` and `list` read
//! local files and need no database at all.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use unet_compliance::{
    Collect, ComplianceError, EvaluateOptions, EvaluatedResult, EvaluationSummary, LoadedPolicies,
    evaluate,
};
use unet_core::{ChangeContext, ChangeSource, Timestamp};
use unet_store::{
    ComplianceCounts, PolicyOutcome, ResultFilter, Store, StoreOptions, parse_stored_outcome,
};

use crate::error::{CliError, Result, exit_code};
use crate::http::Api;
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

/// Runs a policies command; the exit code is 0 on success, 1 on any error or invalid rules.
pub fn run(
    cmd: PoliciesCommand,
    server: Option<&str>,
    database_url: &str,
    format: OutputFormat,
) -> ExitCode {
    let outcome = match (cmd, server) {
        (PoliciesCommand::Validate { path }, _) => validate(&path, format),
        (PoliciesCommand::List(_), Some(server)) => with_api(server, async move |api: &Api| {
            remote_list(api, format).await
        }),
        (PoliciesCommand::List(args), None) => list(&args.path, format),
        (PoliciesCommand::Eval(args), Some(server)) => with_api(server, async move |api: &Api| {
            remote_eval(api, args, format).await
        }),
        (PoliciesCommand::Results(args), Some(server)) => {
            with_api(server, async move |api: &Api| {
                remote_results(api, args, format).await
            })
        }
        (PoliciesCommand::Eval(args), None) => with_store(database_url, async move |s: &Store| {
            eval(s, args, format).await
        }),
        (PoliciesCommand::Results(args), None) => {
            with_store(database_url, async move |s: &Store| {
                results(s, args, format).await
            })
        }
    };
    exit_code(outcome)
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)
}

/// The server at `server`, with the token of `UNET_TOKEN` or the token file.
fn with_api<F>(server: &str, body: F) -> Result<ExitCode>
where
    F: AsyncFnOnce(&Api) -> Result<ExitCode>,
{
    let api = Api::new(server, crate::client_config::token()?)?;
    runtime()?.block_on(body(&api))
}

fn with_store<F>(database_url: &str, body: F) -> Result<ExitCode>
where
    F: AsyncFnOnce(&Store) -> Result<ExitCode>,
{
    runtime()?.block_on(async {
        let store = Store::open_and_migrate(database_url, StoreOptions::default()).await?;
        let result = body(&store).await;
        store.close().await;
        result
    })
}

fn load(path: &Path) -> Result<LoadedPolicies> {
    LoadedPolicies::load(path).map_err(cli_error)
}

/// A policies path that cannot be read keeps its I/O kind and names the path.
fn cli_error(e: ComplianceError) -> CliError {
    match e {
        ComplianceError::Store(e) => CliError::Store(e),
        ComplianceError::Read { path, source } => CliError::Io(std::io::Error::new(
            source.kind(),
            format!("cannot read policies at {}: {source}", path.display()),
        )),
        e @ ComplianceError::InvalidRules(_) => CliError::InvalidRules(e.to_string()),
        e @ ComplianceError::Interrupted => CliError::Io(std::io::Error::new(
            std::io::ErrorKind::Interrupted,
            e.to_string(),
        )),
    }
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

fn validate(path: &Path, format: OutputFormat) -> Result<ExitCode> {
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

fn list(path: &Path, format: OutputFormat) -> Result<ExitCode> {
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
async fn remote_list(api: &Api, format: OutputFormat) -> Result<ExitCode> {
    require_tabular(format)?;
    let listing: serde_json::Value = api.get("api/v1/policies", &[]).await?.body;
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

async fn eval(store: &Store, args: EvalArgs, format: OutputFormat) -> Result<ExitCode> {
    require_tabular(format)?;
    let loaded = load(&args.policies.path)?;
    for d in loaded.diagnostics.iter() {
        note!("{}", d.one_line());
    }
    let node = match &args.node {
        Some(ident) => Some(store.resolve_node(ident).await?.id),
        None => None,
    };
    let opts = EvaluateOptions {
        node,
        record: true,
        apply: args
            .apply
            .then(|| ChangeContext::new(crate::client::actor(), ChangeSource::Policy)),
        collect: if args.failures_only {
            Collect::Failures
        } else {
            Collect::All
        },
        ..Default::default()
    };
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new(0);
        if let Ok(style) = ProgressStyle::with_template("evaluating {bar:40} {pos}/{len} nodes") {
            bar.set_style(style);
        }
        bar
    });
    let report = evaluate(store, &loaded, &opts, &mut |done, total| {
        if let Some(bar) = &bar {
            bar.set_length(total);
            bar.set_position(done);
        }
    })
    .await
    .map_err(cli_error)?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    print_evaluation(&report.results, format, report.nodes, report.counts)?;
    for change in &report.changes {
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
    let added: usize = report.templates.iter().map(|t| t.added.len()).sum();
    if args.apply {
        note!("{added} template assignment(s) added");
    }
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

/// `eval --server`: the server reloads its `policies.dir`, evaluates, stores the results and
/// (with `--apply`) writes `SET`/`APPLY` as the caller; proposed changes are not part of its
/// answer. With `--failures-only` the server answers its summary with only the failures and
/// errors (the whole fleet's results stay on the server); otherwise it lists every result,
/// and the counts and the node total come from that list.
async fn remote_eval(api: &Api, args: EvalArgs, format: OutputFormat) -> Result<ExitCode> {
    require_tabular(format)?;
    let mut body = serde_json::json!({
        "nodes": args.node.as_ref().map(|node| serde_json::json!({"node": node})),
        "apply": args.apply,
    });
    if args.failures_only {
        body["summary"] = true.into();
        body["failures_only"] = true.into();
        let summary: EvaluationSummary =
            api.post("api/v1/policies/evaluate", &[], &body).await?.body;
        print_evaluation(&summary.results, format, summary.nodes, summary.counts)?;
        return Ok(ExitCode::SUCCESS);
    }
    let results: Vec<EvaluatedResult> =
        api.post("api/v1/policies/evaluate", &[], &body).await?.body;
    let mut counts = ComplianceCounts::default();
    let mut nodes = std::collections::HashSet::new();
    for r in &results {
        counts.add(r.outcome);
        nodes.insert(r.node_id);
    }
    print_evaluation(&results, format, nodes.len() as u64, counts)?;
    Ok(ExitCode::SUCCESS)
}

/// A stored result as `GET /api/v1/policies/results` returns it (the store's `StoredResult`).
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredRow {
    node_id: unet_core::Uuid,
    node: String,
    rule: String,
    outcome: PolicyOutcome,
    expected: Option<serde_json::Value>,
    actual: Option<serde_json::Value>,
    message: Option<String>,
    evaluated_at: unet_core::Timestamp,
    changed_at: unet_core::Timestamp,
}

async fn remote_results(api: &Api, args: ResultsArgs, format: OutputFormat) -> Result<ExitCode> {
    require_tabular(format)?;
    let query: Vec<(&str, String)> = [
        ("node", args.node),
        ("outcome", args.outcome.map(|o| o.to_string())),
        ("rule", args.rule),
        ("limit", Some(args.limit.to_string())),
    ]
    .into_iter()
    .filter_map(|(key, value)| value.map(|v| (key, v)))
    .collect();
    let stored: Vec<StoredRow> = api.get("api/v1/policies/results", &query).await?.body;
    print_stored(&stored, format, |r| {
        (&r.node, &r.rule, r.outcome, &r.changed_at, &r.message)
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The stored-results table (or JSON); `fields` picks node, rule, outcome, since, message.
fn print_stored<T: serde::Serialize>(
    stored: &[T],
    format: OutputFormat,
    fields: impl Fn(&T) -> (&String, &String, PolicyOutcome, &Timestamp, &Option<String>),
) -> Result<()> {
    print_results(
        stored,
        format,
        &["node", "rule", "outcome", "since", "message"],
        |r| {
            let (node, rule, outcome, since, message) = fields(r);
            vec![
                node.clone(),
                rule.clone(),
                outcome.to_string(),
                since.to_string(),
                message.clone().unwrap_or_default(),
            ]
        },
    )
}

async fn results(store: &Store, args: ResultsArgs, format: OutputFormat) -> Result<ExitCode> {
    require_tabular(format)?;
    let node_id = match &args.node {
        Some(ident) => Some(store.resolve_node(ident).await?.id),
        None => None,
    };
    let filter = ResultFilter {
        node_id,
        outcome: args.outcome,
        rule: args.rule,
    };
    let stored = store.policy_results(&filter, args.limit).await?;
    print_stored(&stored, format, |r| {
        (&r.node, &r.rule, r.outcome, &r.changed_at, &r.message)
    })?;
    Ok(ExitCode::SUCCESS)
}
