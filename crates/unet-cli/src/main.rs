//! `unet`: the operator's command line. Each group lives in `commands/`; this file only
//! parses arguments, opens the inventory, dispatches, and turns outcomes into exit codes
//! scripts can trust (0 ok, 1 error, 2 usage error).

mod client;
mod commands;
mod error;
mod output;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::client::Client;
use crate::commands::{changes, export, import, links, locations, nodes};
use crate::error::{CliError, Result};
use crate::output::OutputFormat;

#[derive(Debug, Parser)]
#[command(name = "unet", version, about = "μNet network configuration management", long_about = None)]
pub struct Cli {
    /// Output format: `table` (alias `text`) for people, `json`/`yaml`/`csv` for scripts,
    /// `unified` for config diffs.
    #[arg(short = 'o', long = "output", global = true, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,

    /// Database to work on directly: sqlite://PATH or postgres://USER@HOST/DB. Created and
    /// migrated when new.
    #[arg(
        long,
        global = true,
        env = "UNET_DATABASE_URL",
        default_value = "sqlite://./unet.db",
        hide_env_values = true
    )]
    pub database_url: String,

    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per process; boxing the big variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    #[command(flatten)]
    Inventory(InventoryCommand),
    /// Parse, slice, diff and remediate device configurations (works offline).
    #[command(subcommand)]
    Config(commands::config::ConfigCommand),
    /// Print a shell completion script.
    Completions {
        /// Shell to generate completions for.
        shell: clap_complete::Shell,
    },
}

/// Commands that read or change the inventory, through a [`Client`].
#[derive(Debug, Subcommand)]
pub enum InventoryCommand {
    /// Devices: list, show, add, update, delete, history.
    #[command(subcommand)]
    Nodes(nodes::NodesCommand),
    /// The location hierarchy: list, show, add, update, delete.
    #[command(subcommand)]
    Locations(locations::LocationsCommand),
    /// Links between node interfaces and external circuits: list, show, add, update, delete.
    #[command(subcommand)]
    Links(links::LinksCommand),
    /// The change history of the inventory.
    #[command(subcommand)]
    Changes(changes::ChangesCommand),
    /// Import inventory files (all or nothing unless --continue-on-error).
    Import(import::ImportArgs),
    /// Export the inventory as one file per entity type.
    Export(export::ExportArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let format = cli.output;
    let result = match cli.command {
        Command::Config(cmd) => return commands::config::run(cmd, format),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "unet", &mut std::io::stdout());
            return ExitCode::SUCCESS;
        }
        Command::Inventory(command) => run_inventory(&cli.database_url, command, format),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Commands that work on the inventory: one runtime, one connection, closed before exit.
fn run_inventory(
    database_url: &str,
    command: InventoryCommand,
    format: OutputFormat,
) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    runtime.block_on(async {
        let client = Client::local(database_url);
        let result = match command {
            InventoryCommand::Nodes(cmd) => nodes::run(&client, cmd, format).await,
            InventoryCommand::Locations(cmd) => locations::run(&client, cmd, format).await,
            InventoryCommand::Links(cmd) => links::run(&client, cmd, format).await,
            InventoryCommand::Changes(cmd) => changes::run(&client, cmd, format).await,
            InventoryCommand::Import(args) => import::run(&client, args, format).await,
            InventoryCommand::Export(args) => export::run(&client, args, format).await,
        };
        client.close().await;
        result
    })
}
