//! `unet templates`: the templates, a node's assignments, its intended configuration (its
//! assigned templates rendered in order), and the diff and remediation between that and its
//! running configuration, slice by slice. `diff` and `remediate` exit like `unet config diff`:
//! 0 compliant, 1 different, 2 trouble.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde::Serialize;
use unet_compliance::{Rendering, compare};
use unet_core::Node;
use unet_template::{ConfigCheck, SliceCheck};

use super::config::{Trouble, check_diff_output, diff_text, emit, json, read_text};
use crate::client::Backend;
use crate::error::{CliError, Result};
use crate::output::{OutputFormat, note, print_rows, print_structured};

#[derive(Debug, Subcommand)]
pub enum TemplatesCommand {
    /// The templates of the folder, or those assigned to NODE in order.
    List(ListArgs),
    /// Print NODE's intended configuration: its assigned templates rendered in order.
    Render(RenderArgs),
    /// Compare NODE's intended config with its running config, per template slice
    /// (exit 0 compliant, 1 different, 2 trouble).
    Diff(DiffArgs),
    /// Print the commands that make NODE's running config compliant (or, with --rollback, undo them).
    Remediate(RemediateArgs),
}

/// Where the templates are. Locally a folder; a server renders with its own `[templates]`
/// folder (or its Git-synced templates repository) and ignores this.
#[derive(Debug, Clone, Args)]
pub struct Folder {
    /// Templates folder (local mode).
    #[arg(
        long = "templates",
        env = "UNET_TEMPLATES",
        default_value = "templates"
    )]
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// A node (name, FQDN or UUID): list its assigned templates instead.
    pub node: Option<String>,
    #[command(flatten)]
    pub folder: Folder,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Node name, FQDN or UUID.
    pub node: String,
    #[command(flatten)]
    pub folder: Folder,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Node name, FQDN or UUID.
    pub node: String,
    #[command(flatten)]
    pub folder: Folder,
    /// Compare with this file (`-` for stdin) instead of the node's latest stored running config.
    #[arg(long)]
    pub running: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RemediateArgs {
    #[command(flatten)]
    pub diff: DiffArgs,
    /// Print the commands that take the remediated config back to the running one.
    #[arg(long)]
    pub rollback: bool,
}

pub async fn run<B: Backend>(
    backend: &B,
    cmd: TemplatesCommand,
    format: OutputFormat,
) -> Result<ExitCode> {
    match cmd {
        TemplatesCommand::List(args) => list(backend, &args, format).await,
        TemplatesCommand::Render(args) => render(backend, &args, format).await,
        TemplatesCommand::Diff(args) => Ok(trouble_is_2(diff(backend, &args, format).await)),
        TemplatesCommand::Remediate(args) => {
            Ok(trouble_is_2(remediate(backend, &args, format).await))
        }
    }
}

async fn list<B: Backend>(backend: &B, args: &ListArgs, format: OutputFormat) -> Result<ExitCode> {
    let folder = backend.templates(&args.folder.dir).await?;
    let Some(node) = &args.node else {
        if matches!(format, OutputFormat::Json | OutputFormat::Yaml) {
            print_structured(&mut std::io::stdout().lock(), &folder, format)?;
        } else {
            let rows = folder
                .into_iter()
                .map(|t| vec![t.name, t.owns.unwrap_or_else(|| "(its sections)".into())])
                .collect();
            print_rows(format, &["template", "owns"], rows)?;
        }
        return Ok(ExitCode::SUCCESS);
    };
    let (node, assigned) = backend.assigned_templates(node).await?;
    #[derive(Serialize)]
    struct Assigned {
        position: usize,
        template: String,
        owns: Option<String>,
        /// False when no file of the folder has this name: rendering the node fails.
        found: bool,
    }
    let rows: Vec<Assigned> = assigned
        .into_iter()
        .enumerate()
        .map(|(i, template)| {
            let info = folder.iter().find(|t| t.name == template);
            Assigned {
                position: i + 1,
                found: info.is_some(),
                owns: info.and_then(|t| t.owns.clone()),
                template,
            }
        })
        .collect();
    if matches!(format, OutputFormat::Json | OutputFormat::Yaml) {
        return print_structured(&mut std::io::stdout().lock(), &rows, format)
            .map(|()| ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        note!(
            "{} has no templates assigned (APPLY rules assign them: unet policies eval --apply)",
            node.name
        );
    }
    let rows = rows
        .into_iter()
        .map(|a| {
            vec![
                a.position.to_string(),
                a.template,
                match (a.found, a.owns) {
                    (false, _) => "(not in the templates folder)".into(),
                    (true, Some(owns)) => owns,
                    (true, None) => "(its sections)".into(),
                },
            ]
        })
        .collect();
    print_rows(format, &["#", "template", "owns"], rows)?;
    Ok(ExitCode::SUCCESS)
}

async fn render<B: Backend>(
    backend: &B,
    args: &RenderArgs,
    format: OutputFormat,
) -> Result<ExitCode> {
    let rendering = backend.render(&args.node, &args.folder.dir).await?;
    match format {
        OutputFormat::Json | OutputFormat::Yaml => {
            print_structured(&mut std::io::stdout().lock(), &rendering, format)?;
        }
        _ => {
            if rendering.templates.is_empty() {
                note!("{} has no templates assigned", rendering.node);
            }
            emit(&rendering.intended).map_err(|Trouble(message)| CliError::Render(message))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A node's intended configuration and its comparison with the running one.
struct Compared {
    rendering: Rendering,
    check: ConfigCheck,
}

async fn compared<B: Backend>(backend: &B, args: &DiffArgs) -> Result<Compared, Trouble> {
    let rendering = backend
        .render(&args.node, &args.folder.dir)
        .await
        .map_err(|e| Trouble(e.to_string()))?;
    if rendering.templates.is_empty() {
        return Err(Trouble(format!(
            "{} has no templates assigned, so there is nothing to compare (APPLY rules assign them: unet policies eval --apply)",
            rendering.node
        )));
    }
    let running = match &args.running {
        Some(path) => read_text(path)?.1,
        None => {
            let node: Node = backend
                .resolve(&args.node)
                .await
                .map_err(|e| Trouble(e.to_string()))?;
            let stored = backend.config(&node, None, false).await.map_err(|e| {
                Trouble(format!(
                    "{e}: push one with `unet configs push {} FILE`, or compare with --running FILE",
                    node.name
                ))
            })?;
            stored.content
        }
    };
    let check = compare(&rendering, &running).map_err(|e| Trouble(e.to_string()))?;
    Ok(Compared { rendering, check })
}

/// The JSON answer of `templates diff`.
#[derive(Serialize)]
struct DiffReport<'a> {
    node: &'a str,
    compliant: bool,
    slices: &'a [SliceCheck],
    diff: &'a unet_config::Diff,
    remediation: &'a [unet_config::Command],
    rollback: &'a [unet_config::Command],
}

async fn diff<B: Backend>(
    backend: &B,
    args: &DiffArgs,
    format: OutputFormat,
) -> Result<ExitCode, Trouble> {
    check_diff_output(format)?;
    let Compared { rendering, check } = compared(backend, args).await?;
    let text = match format {
        OutputFormat::Json => json(&DiffReport {
            node: &rendering.node,
            compliant: check.compliant,
            slices: &check.slices,
            diff: &check.diff,
            remediation: &check.remediation.commands,
            rollback: &check.rollback.commands,
        })?,
        _ => {
            for slice in &check.slices {
                note!(
                    "{}: {} ({} missing, {} extra)",
                    slice.template,
                    slice.verdict.as_str(),
                    slice.missing,
                    slice.extra
                );
            }
            let labels = (
                format!("{} running", rendering.node),
                format!("{} intended", rendering.node),
            );
            diff_text(
                &check.diff,
                &check.owned_running,
                &check.intended,
                (&labels.0, &labels.1),
                format,
            )?
        }
    };
    emit(&text)?;
    Ok(if check.compliant {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

async fn remediate<B: Backend>(
    backend: &B,
    args: &RemediateArgs,
    format: OutputFormat,
) -> Result<ExitCode, Trouble> {
    let Compared { check, .. } = compared(backend, &args.diff).await?;
    let remediation = if args.rollback {
        &check.rollback
    } else {
        &check.remediation
    };
    let text = match format {
        OutputFormat::Table => remediation.to_text(),
        OutputFormat::Json => json(&remediation.commands)?,
        other => {
            return Err(Trouble(format!(
                "`templates remediate` prints text or json, not {}",
                other.name()
            )));
        }
    };
    emit(&text)?;
    Ok(if check.compliant {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn trouble_is_2(result: Result<ExitCode, Trouble>) -> ExitCode {
    result.unwrap_or_else(|Trouble(message)| {
        note!("unet templates: {message}");
        ExitCode::from(2)
    })
}
