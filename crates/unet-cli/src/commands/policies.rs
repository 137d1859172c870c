//! `unet policies` (alias `policy`): list and validate rule files, evaluate them against the
//! inventory (results stored, `SET`/`APPLY` applied with `--apply`), and show stored results.
//! Works on the local database; `validate` and `list` need no database at all.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use unet_compliance::{Collect, ComplianceError, EvaluateOptions, LoadedPolicies, evaluate};
use unet_core::{ChangeContext, ChangeSource};
use unet_store::{PolicyOutcome, ResultFilter, Store, StoreOptions};

use crate::error::{CliError, Result};
use crate::output::{OutputFormat, print_rows, print_structured, require_tabular};

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
    /// pass, fail, error or not_applicable.
    #[arg(long)]
    pub outcome: Option<PolicyOutcome>,
    /// Only this rule id.
    #[arg(long)]
    pub rule: Option<String>,
    /// Most results shown.
    #[arg(long, default_value_t = 1000)]
    pub limit: u32,
}

/// Runs a policies command; the exit code is 0 on success, 1 on any error or invalid rules.
/// `eval` and `results` work on the local database only: with `--server` they refuse rather
/// than silently use a local file.
pub fn run(
    cmd: PoliciesCommand,
    server: Option<&str>,
    database_url: &str,
    format: OutputFormat,
) -> ExitCode {
    let needs_database = matches!(cmd, PoliciesCommand::Eval(_) | PoliciesCommand::Results(_));
    if let (true, Some(server)) = (needs_database, server) {
        eprintln!(
            "error: `unet policies eval` and `results` work on a local database; they are not \
             available through --server {server} (use --database-url)"
        );
        return ExitCode::FAILURE;
    }
    let outcome = match cmd {
        PoliciesCommand::Validate { path } => validate(&path, format),
        PoliciesCommand::List(args) => list(&args.path, format),
        PoliciesCommand::Eval(args) => with_store(database_url, async move |s: &Store| {
            eval(s, args, format).await
        }),
        PoliciesCommand::Results(args) => with_store(database_url, async move |s: &Store| {
            results(s, args, format).await
        }),
    };
    match outcome {
        Ok(code) => code,
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn with_store<F>(database_url: &str, body: F) -> Result<ExitCode>
where
    F: AsyncFnOnce(&Store) -> Result<ExitCode>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    runtime.block_on(async {
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
        for d in loaded.diagnostics.iter() {
            println!("{}", d.one_line());
        }
        if valid {
            eprintln!(
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
        let rows = loaded
            .rules()
            .map(|r| {
                vec![
                    r.id.clone(),
                    format!("{}:{}", r.file, r.line),
                    r.text.lines().next().unwrap_or_default().to_string(),
                ]
            })
            .collect();
        print_rows(format, &["rule", "source", "text"], rows)?;
        for d in loaded.diagnostics.iter() {
            eprintln!("{}", d.one_line());
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn eval(store: &Store, args: EvalArgs, format: OutputFormat) -> Result<ExitCode> {
    require_tabular(format)?;
    let loaded = load(&args.policies.path)?;
    for d in loaded.diagnostics.iter() {
        eprintln!("{}", d.one_line());
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
    print_results(
        &report.results,
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
    let c = report.counts;
    eprintln!(
        "{} node(s): {} pass, {} fail, {} error, {} not applicable ({:.1}% compliant)",
        report.nodes,
        c.pass,
        c.fail,
        c.error,
        c.not_applicable,
        c.compliance_percent()
    );
    for change in &report.changes {
        let state = match (&change.error, change.applied) {
            (Some(e), _) => format!("not applied: {e}"),
            (None, true) => "applied".to_string(),
            (None, false) => "proposed (--apply to write)".to_string(),
        };
        eprintln!(
            "{}: {} = {} ({}, rule {})",
            change.node, change.target, change.new, state, change.rule
        );
    }
    let added: usize = report.templates.iter().map(|t| t.added.len()).sum();
    if args.apply {
        eprintln!("{added} template assignment(s) added");
    }
    Ok(ExitCode::SUCCESS)
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
    print_results(
        &stored,
        format,
        &["node", "rule", "outcome", "since", "message"],
        |r| {
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
