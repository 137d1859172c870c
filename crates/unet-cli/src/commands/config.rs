//! `unet config`: offline parse, slice, diff and remediation of device configurations.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::output::OutputFormat;

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
    /// Restrict the comparison to a slice (`||` per depth, `*` any line).
    #[arg(long)]
    pub slice: Option<String>,
}

#[derive(Debug, Args)]
pub struct RemediateArgs {
    #[arg(long)]
    pub platform: String,
    pub running: PathBuf,
    pub intended: PathBuf,
    /// Print the commands that undo the remediation instead.
    #[arg(long)]
    pub rollback: bool,
}

#[derive(Debug, Args)]
pub struct SliceArgs {
    #[arg(long)]
    pub platform: String,
    pub file: PathBuf,
    pub expr: String,
}

pub fn run(cmd: ConfigCommand, _output: OutputFormat) -> ExitCode {
    eprintln!("unet config: engine not available in this build ({cmd:?})");
    ExitCode::from(2)
}
