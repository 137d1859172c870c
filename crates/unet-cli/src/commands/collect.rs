//! `unet configs collect|status|forget-host-key`: running configurations fetched from the
//! devices by the server (it holds the credentials, so these commands need one). `collect`
//! exits 1 when a node's collection failed; `collect --all` follows the fleet-wide run with a
//! progress bar until it is over.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};
use unet_core::Node;

use super::block_on;
use crate::client::{Inventory, Remote};
use crate::client_config::ServerOptions;
use crate::error::Result;
use crate::output::{OutputFormat, cell, note, print_rows, print_structured};

#[derive(Debug, Subcommand)]
pub enum CollectionCommand {
    /// Collect running configurations from the devices now (through the server): the nodes
    /// named, or every managed node with --all. Exits 1 when a collection failed.
    Collect(CollectArgs),
    /// Collection status: every managed node (or the one named) — last attempt, result,
    /// failures in a row, next time, pinned host key.
    Status(StatusArgs),
    /// Forget a node's pinned SSH host key (a replaced device): the next collection pins the
    /// key the device presents then.
    ForgetHostKey {
        /// Node name, FQDN or UUID.
        node: String,
    },
}

#[derive(Debug, Args)]
pub struct CollectArgs {
    /// Node names, FQDNs or UUIDs.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub nodes: Vec<String>,
    /// Every managed node (active or staged, with a management address), the server's
    /// `collect.concurrency` at a time.
    #[arg(long)]
    pub all: bool,
    /// With --all: start the run and return without waiting for it.
    #[arg(long, requires = "all")]
    pub no_wait: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Only this node (name, FQDN or UUID).
    #[arg(conflicts_with_all = ["failing", "result"])]
    pub node: Option<String>,
    /// Only nodes whose last collection failed.
    #[arg(long)]
    pub failing: bool,
    /// Only nodes whose last collection ended so (stored, unchanged, unreachable, timeout,
    /// auth_failed, host_key_mismatch, output_not_recognised, command_failed, not_configured).
    #[arg(long)]
    pub result: Option<String>,
}

pub fn run(
    cmd: CollectionCommand,
    server: &ServerOptions,
    format: OutputFormat,
) -> Result<ExitCode> {
    let server = server.required("unet configs collect|status")?;
    let remote = Remote::connect(&server)?;
    block_on(async {
        match cmd {
            CollectionCommand::Collect(args) if args.all => {
                collect_all(&remote, args.no_wait, format).await
            }
            CollectionCommand::Collect(args) => collect(&remote, &args.nodes, format).await,
            CollectionCommand::Status(args) => status(&remote, args, format).await,
            CollectionCommand::ForgetHostKey { node } => {
                let node: Node = remote.resolve(&node).await?;
                let answer = remote.forget_host_key(node.id).await?;
                if matches!(format, OutputFormat::Json | OutputFormat::Yaml) {
                    print_structured(&mut std::io::stdout().lock(), &answer, format)?;
                } else {
                    match answer["forgotten"].as_str() {
                        Some(key) => note!(
                            "{}: forgot host key {key}; the next collection pins the device's key",
                            node.name
                        ),
                        None => note!("{}: no host key was pinned", node.name),
                    }
                }
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}

fn failed(result: &Value) -> bool {
    !matches!(result.as_str(), Some("stored" | "unchanged") | None)
}

async fn collect(remote: &Remote, nodes: &[String], format: OutputFormat) -> Result<ExitCode> {
    let mut reports = Vec::new();
    for ident in nodes {
        let node: Node = remote.resolve(ident).await?;
        reports.push(remote.collect(node.id).await?);
    }
    let any_failed = reports.iter().any(|r| failed(&r["result"]));
    if matches!(format, OutputFormat::Json | OutputFormat::Yaml) {
        print_structured(&mut std::io::stdout().lock(), &reports, format)?;
    } else {
        let headers = ["node", "result", "version", "duration_ms", "message"];
        let rows = reports
            .iter()
            .map(|r| {
                ["node", "result", "version", "duration_ms", "message"]
                    .iter()
                    .map(|k| cell(&r[*k]))
                    .collect()
            })
            .collect();
        print_rows(format, &headers, rows)?;
    }
    Ok(if any_failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn collect_all(remote: &Remote, no_wait: bool, format: OutputFormat) -> Result<ExitCode> {
    let started = remote.collect_all().await?;
    let managed = started["managed"].as_u64().unwrap_or(0);
    if no_wait {
        if matches!(format, OutputFormat::Json | OutputFormat::Yaml) {
            print_structured(&mut std::io::stdout().lock(), &started, format)?;
        } else {
            note!("collecting {managed} managed nodes; follow with `unet configs status`");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let fleet = follow_run(managed, "collecting", "in_progress", || {
        remote.fleet_collection(None, true)
    })
    .await?;
    let failing = fleet["nodes"].as_array().cloned().unwrap_or_default();
    if matches!(format, OutputFormat::Json | OutputFormat::Yaml) {
        let answer = json!({"summary": fleet["summary"], "failing": failing});
        print_structured(&mut std::io::stdout().lock(), &answer, format)?;
    } else {
        note!(
            "collected {managed} managed nodes: {} failing",
            failing.len()
        );
        if !failing.is_empty() {
            print_statuses(&failing, format)?;
        }
    }
    Ok(if failing.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn status(remote: &Remote, args: StatusArgs, format: OutputFormat) -> Result<ExitCode> {
    if let Some(ident) = &args.node {
        let node: Node = remote.resolve(ident).await?;
        let status = remote.collection(node.id).await?;
        if matches!(format, OutputFormat::Json | OutputFormat::Yaml) {
            print_structured(&mut std::io::stdout().lock(), &status, format)?;
        } else {
            print_statuses(&[status], format)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let fleet = remote
        .fleet_collection(args.result.as_deref(), args.failing)
        .await?;
    if matches!(format, OutputFormat::Json | OutputFormat::Yaml) {
        print_structured(&mut std::io::stdout().lock(), &fleet, format)?;
        return Ok(ExitCode::SUCCESS);
    }
    let s = &fleet["summary"];
    if format == OutputFormat::Table {
        note!(
            "schedule {}: {} managed, {} due, {} in progress, {} failing, {} never collected; last run {}",
            if s["enabled"] == true { "on" } else { "off" },
            cell(&s["managed"]),
            cell(&s["due"]),
            cell(&s["in_progress"]),
            cell(&s["failing"]),
            cell(&s["never_collected"]),
            if s["last_run"].is_null() {
                "never".to_string()
            } else {
                cell(&s["last_run"])
            },
        );
    }
    print_statuses(
        fleet["nodes"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default(),
        format,
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Follows a fleet-wide run until no managed node is due or running (`running` names the
/// summary's count of those in progress), with a progress bar on a terminal; returns the last
/// answer of `fetch`.
pub(super) async fn follow_run<F, Fut>(
    managed: u64,
    verb: &str,
    running: &str,
    fetch: F,
) -> Result<Value>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<Value>>,
{
    let bar = (std::io::stderr().is_terminal() && managed > 0).then(|| {
        let bar = ProgressBar::new(managed);
        let template = format!("{verb} {{bar:40}} {{pos}}/{{len}} nodes ({{eta}} left) {{msg}}");
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style);
        }
        bar
    });
    let fleet = loop {
        let fleet = fetch().await?;
        let summary = &fleet["summary"];
        let number = |key: &str| summary[key].as_u64().unwrap_or(0);
        let waiting = number("due") + number(running);
        if let Some(bar) = &bar {
            bar.set_length(number("managed"));
            bar.set_position(number("managed").saturating_sub(waiting));
            bar.set_message(format!("{} failing", number("failing")));
        }
        if waiting == 0 {
            break fleet;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(fleet)
}

fn print_statuses(statuses: &[Value], format: OutputFormat) -> Result<()> {
    let columns = [
        "node",
        "result",
        "last_attempt_at",
        "last_success_at",
        "failures",
        "next_due_at",
        "version",
        "message",
    ];
    let rows = statuses
        .iter()
        .map(|s| {
            columns
                .iter()
                .map(|k| match (*k, &s["in_progress"]) {
                    ("result", Value::Bool(true)) => "collecting…".to_string(),
                    _ => cell(&s[*k]),
                })
                .collect()
        })
        .collect();
    print_rows(format, &columns, rows)
}
