//! `unet git status|sync`: the server's Git repositories (policies and templates). Sync runs
//! on the server, next to its checkouts, so these commands need a server; without one they
//! say so and fail.

use std::io::Write;
use std::process::ExitCode;

use clap::Subcommand;
use serde_json::Value;

use super::block_on;
use crate::client::Remote;
use crate::client_config::ServerOptions;
use crate::error::Result;
use crate::output::{OutputFormat, cell, print_rows, print_structured};

#[derive(Debug, Subcommand)]
pub enum GitCommand {
    /// Each repository: wanted and live revision, last attempt and its result or error.
    Status,
    /// Sync now (every repository, or the one named) and show the resulting status; exits 1
    /// when a sync failed (the previous revision stays live).
    Sync {
        /// Only this repository (its `name` in [[git.repositories]]).
        repository: Option<String>,
    },
}

pub fn run(cmd: GitCommand, server: &ServerOptions, format: OutputFormat) -> Result<ExitCode> {
    let server = server.required("unet git")?;
    let remote = Remote::connect(&server)?;
    block_on(async {
        let statuses = match &cmd {
            GitCommand::Status => remote.git_status().await?,
            GitCommand::Sync { repository } => remote.git_sync(repository.as_deref()).await?,
        };
        print(&statuses, format)?;
        let failed = statuses.iter().any(|s| s["last_result"] == "failed");
        Ok(if failed && matches!(cmd, GitCommand::Sync { .. }) {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        })
    })
}

/// A commit id shortened for a table (scripts get the full id from `-o json`).
fn short(value: &Value) -> String {
    cell(value).chars().take(12).collect()
}

fn print(statuses: &[Value], format: OutputFormat) -> Result<()> {
    if matches!(format, OutputFormat::Json | OutputFormat::Yaml) {
        return print_structured(&mut std::io::stdout().lock(), statuses, format);
    }
    if statuses.is_empty() && format == OutputFormat::Table {
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "no Git repositories configured ([[git.repositories]] in the server's config)"
        )?;
        out.flush()?;
        return Ok(());
    }
    let headers = [
        "name",
        "content",
        "wanted",
        "live",
        "live since",
        "last attempt",
        "result",
        "error",
    ];
    let rows = statuses
        .iter()
        .map(|s| {
            let wanted = match &s["commit"] {
                Value::String(_) => format!("commit {}", short(&s["commit"])),
                _ => format!("branch {}", cell(&s["branch"])),
            };
            vec![
                cell(&s["name"]),
                cell(&s["content"]),
                wanted,
                short(&s["live_commit"]),
                cell(&s["live_since"]),
                cell(&s["last_attempt"]),
                cell(&s["last_result"]),
                cell(&s["error"]),
            ]
        })
        .collect();
    print_rows(format, &headers, rows)?;
    if format == OutputFormat::Table {
        let mut out = std::io::stdout().lock();
        for s in statuses {
            let diagnostics = s["diagnostics"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default();
            if !diagnostics.is_empty() {
                writeln!(out, "\n{}: revision refused:", cell(&s["name"]))?;
                for d in diagnostics {
                    writeln!(out, "  {}", cell(d))?;
                }
            }
        }
        out.flush()?;
    }
    Ok(())
}
