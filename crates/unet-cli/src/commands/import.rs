//! `unet import PATH`: read inventory files and apply them in one transaction.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use unet_core::ImportReport;
use unet_exchange::read_path;
use unet_store::ImportOptions;

use crate::client::Backend;
use crate::error::{CliError, Result};
use crate::output::{OutputFormat, note, print_rows, print_structured, require_tabular};

/// Inputs smaller than this finish before a progress bar would be readable.
const PROGRESS_THRESHOLD: usize = 2_000;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A directory (locations/nodes/links .json/.yaml/.yml, nodes.csv), one such file, or a
    /// combined document; our format or the upstream μNet example format.
    pub path: PathBuf,
    /// Import the records that are valid and report the others, instead of importing nothing.
    #[arg(long)]
    pub continue_on_error: bool,
    /// Check and report everything, then write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub async fn run<B: Backend>(backend: &B, args: ImportArgs, format: OutputFormat) -> Result<()> {
    require_tabular(format)?;
    let records = read_path(&args.path)?;
    let bar = progress_bar(records.len());
    let options = ImportOptions {
        continue_on_error: args.continue_on_error,
        dry_run: args.dry_run,
        progress: bar.clone().map(|bar| {
            Arc::new(move |done: u64, total: u64| {
                bar.set_length(total);
                bar.set_position(done);
            }) as unet_store::ProgressFn
        }),
    };
    let result = backend.import(records, &options).await;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let report = result?;
    print_report(&report, format)?;
    let Some(first) = report.failures.first() else {
        if args.dry_run {
            note!("dry run: nothing was written");
        }
        return Ok(());
    };
    let failed = report.failures.len();
    let first = format!(
        "{} ({}): {}",
        first.origin,
        first.entity.as_str(),
        first.message
    );
    Err(if args.dry_run {
        CliError::DryRunFailed { failed, first }
    } else if report.committed {
        CliError::ImportPartial { failed, first }
    } else {
        CliError::ImportFailed { failed, first }
    })
}

fn progress_bar(total: usize) -> Option<ProgressBar> {
    if total < PROGRESS_THRESHOLD || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(total as u64);
    if let Ok(style) =
        ProgressStyle::with_template("importing {bar:40} {pos}/{len} records ({eta} left)")
    {
        bar.set_style(style);
    }
    Some(bar)
}

fn print_report(report: &ImportReport, format: OutputFormat) -> Result<()> {
    if !matches!(format, OutputFormat::Table | OutputFormat::Csv) {
        return print_structured(&mut std::io::stdout().lock(), report, format);
    }
    let counts = [
        ("location", report.locations),
        ("node", report.nodes),
        ("link", report.links),
    ]
    .into_iter()
    .map(|(entity, c)| {
        vec![
            entity.to_string(),
            c.created.to_string(),
            c.updated.to_string(),
            c.unchanged.to_string(),
            c.failed.to_string(),
        ]
    })
    .collect();
    print_rows(
        format,
        &["entity", "created", "updated", "unchanged", "failed"],
        counts,
    )?;
    if format == OutputFormat::Table && !report.failures.is_empty() {
        let failures = report
            .failures
            .iter()
            .map(|f| {
                vec![
                    f.origin.file.clone(),
                    f.origin.index.to_string(),
                    f.entity.as_str().to_string(),
                    f.message.clone(),
                ]
            })
            .collect();
        print_rows(format, &["file", "record", "entity", "error"], failures)?;
    }
    Ok(())
}
