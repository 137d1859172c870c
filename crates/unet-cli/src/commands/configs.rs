//! `unet configs`: a node's stored running configurations, on the local database or through a
//! server — push one, list the versions, show one, and diff two with the node's platform (the
//! output and exit codes of `unet config diff`: 0 same, 1 different, 2 trouble). Collecting
//! them from the devices is the server's (`collect.rs`).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;

use clap::{Args, Subcommand};
use unet_core::{Node, Pushed, RunningConfigInfo, Timestamp};

use super::config::{Trouble, check_diff_output, parse_named, print_diff};
use crate::client::Backend;
use crate::error::{CliError, Result, exit_code};
use crate::output::{OutputFormat, note, print_structured, print_values, require_tabular};

#[derive(Debug, Subcommand)]
pub enum ConfigsCommand {
    #[command(flatten)]
    Stored(StoredCommand),
    #[command(flatten)]
    Collection(super::collect::CollectionCommand),
}

/// The stored versions: on the local database or through a server.
#[derive(Debug, Subcommand)]
pub enum StoredCommand {
    /// Store a node's running configuration: a new version only when the text changed.
    Push(PushArgs),
    /// The stored versions of a node's running configuration, newest first.
    List {
        /// Node name, FQDN or UUID.
        node: String,
    },
    /// Print one stored version (default: the latest).
    Show(ShowArgs),
    /// Diff two stored versions (default: the latest and the one before it); exit 0 same,
    /// 1 different, 2 trouble.
    Diff(DiffArgs),
}

impl StoredCommand {
    /// Whether the command's exit status is a diff's (errors are 2, not 1).
    pub fn is_diff(&self) -> bool {
        matches!(self, StoredCommand::Diff(_))
    }
}

#[derive(Debug, Args)]
pub struct PushArgs {
    /// Node name, FQDN or UUID.
    pub node: String,
    /// The configuration file (`-` for stdin), UTF-8 text.
    pub file: PathBuf,
    /// When the configuration was read from the device (RFC 3339); default: now.
    #[arg(long, value_parser = Timestamp::from_str)]
    pub taken_at: Option<Timestamp>,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Node name, FQDN or UUID.
    pub node: String,
    /// A version number or `latest`.
    #[arg(default_value = "latest")]
    pub version: Version,
    /// Replace the secrets (enable secrets, keys, SNMP communities, …) with a marker.
    #[arg(long)]
    pub masked: bool,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Node name, FQDN or UUID.
    pub node: String,
    /// The older version (default: the one stored before B).
    pub a: Option<Version>,
    /// The newer version (default: the latest).
    pub b: Option<Version>,
}

/// A stored version: a number from 1, or `latest` (`None`).
#[derive(Debug, Clone, Copy)]
pub struct Version(Option<u64>);

impl FromStr for Version {
    type Err = String;

    fn from_str(text: &str) -> Result<Version, String> {
        if text == "latest" {
            return Ok(Version(None));
        }
        match text.parse::<u64>() {
            Ok(v) if v >= 1 => Ok(Version(Some(v))),
            _ => Err(format!(
                "expected a version number from 1 or `latest`, got {text:?}"
            )),
        }
    }
}

pub async fn run<B: Backend>(
    backend: &B,
    cmd: StoredCommand,
    format: OutputFormat,
) -> Result<ExitCode> {
    match cmd {
        StoredCommand::Push(args) => push(backend, args, format).await,
        StoredCommand::List { node } => {
            require_tabular(format)?;
            let node: Node = backend.resolve(&node).await?;
            let versions = backend.configs(&node).await?;
            if versions.is_empty() && format == OutputFormat::Table {
                note!("{} has no stored running configuration", node.name);
            }
            let columns = [
                "version",
                "taken_at",
                "stored_at",
                "source",
                "size_bytes",
                "line_count",
                "sha256",
            ];
            print_values(&versions, &columns, format)?;
            Ok(ExitCode::SUCCESS)
        }
        StoredCommand::Show(args) => show(backend, args, format).await,
        StoredCommand::Diff(args) => diff(backend, args, format).await,
    }
}

/// A diff's exit status: its own on success, 2 for any error (1 means "different").
pub fn diff_exit(result: Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(e) if e.is_broken_pipe() => exit_code(Err(e)),
        Err(e) => {
            note!("error: {e}");
            ExitCode::from(2)
        }
    }
}

async fn push<B: Backend>(backend: &B, args: PushArgs, format: OutputFormat) -> Result<ExitCode> {
    if !matches!(
        format,
        OutputFormat::Table | OutputFormat::Json | OutputFormat::Yaml
    ) {
        return Err(CliError::UnsupportedOutput {
            format: format.name(),
        });
    }
    let (name, bytes) = read_input(&args.file)?;
    let content = unet_core::config_text(&bytes)
        .map_err(|e| CliError::Config(format!("{name}: {e}; nothing was stored")))?;
    let node: Node = backend.resolve(&args.node).await?;
    let pushed = backend.push_config(&node, content, args.taken_at).await?;
    if format == OutputFormat::Table {
        println_out(&pushed_line(&node, &pushed))?;
    } else {
        print_structured(&mut std::io::stdout().lock(), &pushed, format)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn pushed_line(node: &Node, pushed: &Pushed) -> String {
    let info = &pushed.info;
    if !pushed.created {
        return format!(
            "unchanged: {} version {} already has this configuration (timestamps aside); nothing stored",
            node.name, info.version
        );
    }
    let mut line = format!(
        "stored {} version {}: {} lines, {} bytes, sha256 {}",
        node.name, info.version, info.line_count, info.size_bytes, info.sha256
    );
    if pushed.removed > 0 {
        line.push_str(&format!(
            "; retention removed {} older version(s)",
            pushed.removed
        ));
    }
    line
}

async fn show<B: Backend>(backend: &B, args: ShowArgs, format: OutputFormat) -> Result<ExitCode> {
    if !matches!(
        format,
        OutputFormat::Table | OutputFormat::Json | OutputFormat::Yaml
    ) {
        return Err(CliError::UnsupportedOutput {
            format: format.name(),
        });
    }
    let node: Node = backend.resolve(&args.node).await?;
    let shown = backend.config(&node, args.version.0, args.masked).await?;
    if shown.masked && !args.masked {
        note!("secrets are masked: showing them needs the operator role");
    }
    if format == OutputFormat::Table {
        let mut out = std::io::stdout().lock();
        out.write_all(shown.content.as_bytes())?;
        out.flush()?;
    } else {
        print_structured(&mut std::io::stdout().lock(), &shown, format)?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn diff<B: Backend>(backend: &B, args: DiffArgs, format: OutputFormat) -> Result<ExitCode> {
    check_diff_output(format).map_err(trouble)?;
    let node: Node = backend.resolve(&args.node).await?;
    let (a, b) = match (args.a, args.b) {
        (Some(a), Some(b)) => (a.0, b.0),
        (Some(a), None) => (a.0, None),
        (None, _) => {
            let versions = backend.configs(&node).await?;
            (Some(before_latest(&node, &versions)?), None)
        }
    };
    let older = backend.config(&node, a, false).await?;
    let newer = backend.config(&node, b, false).await?;
    let label = |info: &RunningConfigInfo| format!("{} version {}", node.name, info.version);
    let (old_name, new_name) = (label(&older.info), label(&newer.info));
    let parse = |name: &str, text: &str| parse_named(node.platform, name, text.as_bytes());
    let old_tree = parse(&old_name, &older.content).map_err(trouble)?;
    let new_tree = parse(&new_name, &newer.content).map_err(trouble)?;
    print_diff(&old_tree, &new_tree, (&old_name, &new_name), format).map_err(trouble)
}

/// The version stored before the latest (versions come newest first).
fn before_latest(node: &Node, versions: &[RunningConfigInfo]) -> Result<u64> {
    match versions {
        [_, previous, ..] => Ok(previous.version),
        [only] => Err(CliError::Config(format!(
            "{} has only one stored running configuration (version {}); nothing to diff it with",
            node.name, only.version
        ))),
        [] => Err(CliError::Config(format!(
            "{} has no stored running configuration; push one with `unet configs push`",
            node.name
        ))),
    }
}

fn trouble(Trouble(message): Trouble) -> CliError {
    CliError::Config(message)
}

/// A file, or stdin for `-`, with the name errors use.
fn read_input(path: &Path) -> Result<(String, Vec<u8>)> {
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        std::io::stdin().read_to_end(&mut bytes)?;
        return Ok(("<stdin>".to_string(), bytes));
    }
    let name = path.display().to_string();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| std::io::Error::new(e.kind(), format!("{name}: cannot read: {e}")))?;
    Ok((name, bytes))
}

fn println_out(line: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()?;
    Ok(())
}
