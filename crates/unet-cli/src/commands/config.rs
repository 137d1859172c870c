//! `unet config`: offline parse, slice, diff and remediation of device configurations.
//! Exit codes follow `diff(1)`: 0 equal, 1 different, 2 trouble. The diff output is shared
//! with `unet configs diff` (two stored versions).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use serde::Serialize;
use unet_config::{ConfigTree, Line, Platform, SliceExpr};

use crate::output::{OutputFormat, note};

/// Above this a unified diff approximates rather than run for long on huge inputs.
const UNIFIED_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Show what differs between a running and an intended config (exit 0 equal, 1 different, 2 trouble).
    Diff(DiffArgs),
    /// Print the commands that take the running config to the intended one.
    Remediate(RemediateArgs),
    /// Print the part of a config matched by a template-match expression.
    Slice(SliceArgs),
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Platform: cisco_ios, cisco_nxos, cisco_iosxr, arista_eos, juniper_junos, generic.
    #[arg(long)]
    pub platform: String,
    /// Running config file (`-` for stdin).
    pub running: PathBuf,
    /// Intended config file (`-` for stdin).
    pub intended: PathBuf,
    /// Restrict the comparison to a slice (`||` between depths, `*` any line).
    #[arg(long)]
    pub slice: Option<String>,
}

#[derive(Debug, Args)]
pub struct RemediateArgs {
    /// Platform: cisco_ios, cisco_nxos, cisco_iosxr, arista_eos, juniper_junos, generic.
    #[arg(long)]
    pub platform: String,
    /// Running config file (`-` for stdin).
    pub running: PathBuf,
    /// Intended config file (`-` for stdin).
    pub intended: PathBuf,
    /// Print the commands that take the intended config back to the running one.
    #[arg(long)]
    pub rollback: bool,
}

#[derive(Debug, Args)]
pub struct SliceArgs {
    /// Platform: cisco_ios, cisco_nxos, cisco_iosxr, arista_eos, juniper_junos, generic.
    #[arg(long)]
    pub platform: String,
    /// Config file (`-` for stdin).
    pub file: PathBuf,
    /// Template-match expression (`interface||ip address`), or a line prefix with `--prefix`.
    pub expr: String,
    /// Treat EXPR as a plain line prefix instead of a match expression.
    #[arg(long)]
    pub prefix: bool,
}

/// A failure worth exit status 2, already phrased for the operator.
pub(crate) struct Trouble(pub(crate) String);

pub fn run(cmd: ConfigCommand, output: OutputFormat) -> ExitCode {
    let result = match cmd {
        ConfigCommand::Diff(args) => diff(&args, output),
        ConfigCommand::Remediate(args) => remediate(&args, output),
        ConfigCommand::Slice(args) => slice(&args, output),
    };
    match result {
        Ok(code) => code,
        Err(Trouble(message)) => {
            note!("unet config: {message}");
            ExitCode::from(2)
        }
    }
}

fn diff(args: &DiffArgs, output: OutputFormat) -> Result<ExitCode, Trouble> {
    check_diff_output(output)?;
    let platform = platform(&args.platform)?;
    check_stdin_once(&args.running, &args.intended)?;
    let mut running = load(platform, &args.running)?;
    let mut intended = load(platform, &args.intended)?;
    if let Some(expr) = &args.slice {
        let expr = SliceExpr::parse(expr).map_err(|e| Trouble(format!("--slice: {e}")))?;
        running = expr.apply(&running);
        intended = expr.apply(&intended);
    }
    let names = (
        args.running.display().to_string(),
        args.intended.display().to_string(),
    );
    print_diff(&running, &intended, (&names.0, &names.1), output)
}

/// Refuses, before any work, a format a diff cannot be printed in.
pub(crate) fn check_diff_output(output: OutputFormat) -> Result<(), Trouble> {
    if matches!(output, OutputFormat::Yaml | OutputFormat::Csv) {
        return Err(Trouble("a diff prints text, json or unified output".into()));
    }
    Ok(())
}

/// Prints the diff from `running` to `intended` as text, JSON or a unified diff headed with
/// `names`; exit status 0 when they are the same, 1 when they differ.
pub(crate) fn print_diff(
    running: &ConfigTree,
    intended: &ConfigTree,
    names: (&str, &str),
    output: OutputFormat,
) -> Result<ExitCode, Trouble> {
    let diff = unet_config::diff(running, intended);
    let text = diff_text(&diff, running, intended, names, output)?;
    emit(&text)?;
    Ok(if diff.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A diff as `-o` asks: text (`+`/`-` with context), JSON, or a unified diff of the running
/// config aligned to the intended one, headed by `labels` (running, intended).
pub(crate) fn diff_text(
    diff: &unet_config::Diff,
    running: &ConfigTree,
    intended: &ConfigTree,
    labels: (&str, &str),
    output: OutputFormat,
) -> Result<String, Trouble> {
    Ok(match output {
        OutputFormat::Json => json(diff)?,
        OutputFormat::Unified => {
            let old = unet_config::render_aligned(running, intended);
            let new = intended.render();
            similar::TextDiff::configure()
                .timeout(UNIFIED_TIMEOUT)
                .diff_lines(&old, &new)
                .unified_diff()
                .header(labels.0, labels.1)
                .to_string()
        }
        _ => diff.to_text(),
    })
}

fn remediate(args: &RemediateArgs, output: OutputFormat) -> Result<ExitCode, Trouble> {
    let platform = platform(&args.platform)?;
    check_stdin_once(&args.running, &args.intended)?;
    let running = load(platform, &args.running)?;
    let intended = load(platform, &args.intended)?;
    let remediation = if args.rollback {
        unet_config::rollback(&running, &intended)
    } else {
        unet_config::remediate(&running, &intended)
    };
    let text = match output {
        OutputFormat::Table => remediation.to_text(),
        OutputFormat::Json => json(&remediation.commands)?,
        other => {
            return Err(Trouble(format!(
                "`config remediate` prints text or json, not {other:?}"
            )));
        }
    };
    emit(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn slice(args: &SliceArgs, output: OutputFormat) -> Result<ExitCode, Trouble> {
    let platform = platform(&args.platform)?;
    let tree = load(platform, &args.file)?;
    let expr = if args.prefix {
        SliceExpr::prefix(&args.expr)
    } else {
        SliceExpr::parse(&args.expr).map_err(|e| Trouble(e.to_string()))?
    };
    let sliced = expr.apply(&tree);
    let text = match output {
        OutputFormat::Table => sliced.render(),
        OutputFormat::Json => json(
            &sliced
                .root()
                .children()
                .map(JsonLine::from)
                .collect::<Vec<_>>(),
        )?,
        other => {
            return Err(Trouble(format!(
                "`config slice` prints text or json, not {other:?}"
            )));
        }
    };
    emit(&text)?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct JsonLine {
    text: String,
    line: u32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    children: Vec<JsonLine>,
}

impl From<Line<'_>> for JsonLine {
    fn from(line: Line<'_>) -> Self {
        JsonLine {
            text: line.text().to_string(),
            line: line.line_number(),
            children: line.children().map(JsonLine::from).collect(),
        }
    }
}

fn platform(name: &str) -> Result<Platform, Trouble> {
    unet_config::parse_platform(name).map_err(|e| Trouble(e.to_string()))
}

fn check_stdin_once(a: &Path, b: &Path) -> Result<(), Trouble> {
    if a == Path::new("-") && b == Path::new("-") {
        return Err(Trouble(
            "only one of RUNNING and INTENDED can be `-` (stdin)".into(),
        ));
    }
    Ok(())
}

/// Read and parse one config; errors name the file.
fn load(platform: Platform, path: &Path) -> Result<ConfigTree, Trouble> {
    let (name, text) = read_text(path)?;
    unet_config::parse(platform, &text).map_err(|e| Trouble(format!("{name}: {e}")))
}

/// A config file (`-` for stdin) as text, with the name errors use for it.
pub(crate) fn read_text(path: &Path) -> Result<(String, String), Trouble> {
    let name = if path == Path::new("-") {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    };
    let mut bytes = Vec::new();
    let read = if path == Path::new("-") {
        std::io::stdin().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut bytes).map(|_| ()))
    };
    read.map_err(|e| Trouble(format!("{name}: cannot read: {e}")))?;
    let text = utf8_text(&name, &bytes)?.to_string();
    Ok((name, text))
}

/// Parses one config's bytes; errors name it (`name`) and where the text went wrong.
pub(crate) fn parse_named(
    platform: Platform,
    name: &str,
    bytes: &[u8],
) -> Result<ConfigTree, Trouble> {
    let text = utf8_text(name, bytes)?;
    unet_config::parse(platform, text).map_err(|e| Trouble(format!("{name}: {e}")))
}

/// The bytes as text, or where they stop being UTF-8.
fn utf8_text<'a>(name: &str, bytes: &'a [u8]) -> Result<&'a str, Trouble> {
    std::str::from_utf8(bytes).map_err(|e| {
        let valid = &bytes[..e.valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = valid.len() - valid.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1) + 1;
        Trouble(format!(
            "{name}: line {line}, column {column}: not UTF-8 text (is this a config file?)"
        ))
    })
}

pub(crate) fn json<T: Serialize>(value: &T) -> Result<String, Trouble> {
    serde_json::to_string_pretty(value)
        .map(|mut s| {
            s.push('\n');
            s
        })
        .map_err(|e| Trouble(format!("cannot encode JSON: {e}")))
}

pub(crate) fn emit(text: &str) -> Result<(), Trouble> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        // A closed pipe (`| head`) is the reader's choice, not trouble.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Trouble(format!("cannot write output: {e}"))),
    }
}
