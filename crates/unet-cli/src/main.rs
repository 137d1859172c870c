//! `unet`: the operator's command line. Each group lives in `commands/`; this file only
//! parses arguments, opens the inventory, dispatches, and turns outcomes into exit codes
//! scripts can trust (0 ok, 1 error, 2 usage error).

mod client;
mod client_config;
mod client_http;
mod commands;
mod error;
mod http;
mod output;

use std::io::Write;
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::client::Client;
use crate::commands::{changes, export, import, links, locations, nodes};
use crate::error::{CliError, Result, exit_code};
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

    /// μNet server to work through (http://HOST:PORT) instead of a local database; the token
    /// comes from UNET_TOKEN or ~/.config/unet/token. Default: `server` in
    /// ~/.config/unet/config.toml.
    #[arg(
        long,
        global = true,
        env = "UNET_SERVER",
        conflicts_with = "database_url"
    )]
    pub server: Option<String>,

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
    /// Policy rules: list, validate, evaluate against the inventory, stored results.
    #[command(subcommand, visible_alias = "policy")]
    Policies(commands::policies::PoliciesCommand),
    /// User accounts (local database or server): list, create, update, disable, delete.
    #[command(subcommand)]
    Users(commands::users::UsersCommand),
    /// API keys: list, create (secret shown once), revoke.
    #[command(subcommand)]
    ApiKeys(commands::api_keys::ApiKeysCommand),
    /// Log in to the server and keep the token for later commands.
    Login(commands::login::LoginArgs),
    /// Security events and the audit summary.
    #[command(subcommand)]
    Security(commands::security::SecurityCommand),
    /// Git repositories of policies and templates on the server: status, sync.
    #[command(subcommand)]
    Git(commands::git::GitCommand),
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
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    // A database named on the command line or in UNET_DATABASE_URL wins over the config file.
    let explicit_database = matches
        .value_source("database_url")
        .is_some_and(|source| source != ValueSource::DefaultValue);
    let format = cli.output;
    let result = match cli.command {
        Command::Config(cmd) => return commands::config::run(cmd, format),
        Command::Policies(cmd) => {
            return commands::policies::run(cmd, cli.server.as_deref(), &cli.database_url, format);
        }
        Command::Users(cmd) => {
            return commands::users::run(cmd, cli.server.as_deref(), &cli.database_url, format);
        }
        Command::ApiKeys(cmd) => {
            return commands::api_keys::run(cmd, cli.server.as_deref(), &cli.database_url, format);
        }
        Command::Login(args) => return commands::login::run(args, cli.server.as_deref()),
        Command::Security(cmd) => {
            return commands::security::run(cmd, cli.server.as_deref(), &cli.database_url, format);
        }
        Command::Git(cmd) => return commands::git::run(cmd, cli.server.as_deref(), format),
        Command::Completions { shell } => {
            // clap_complete panics when its writer fails: render first, then write like any
            // other output (a closed pipe ends the command quietly).
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "unet", &mut script);
            let mut out = std::io::stdout().lock();
            out.write_all(&script)
                .and_then(|()| out.flush())
                .map_err(CliError::Io)
        }
        Command::Inventory(command) => {
            match inventory_client(cli.server.as_deref(), explicit_database, &cli.database_url) {
                Ok(client) => run_inventory(client, command, format),
                Err(e) => Err(e),
            }
        }
    };
    exit_code(result.map(|()| ExitCode::SUCCESS))
}

/// The server of `--server`/`UNET_SERVER`, else of the config file unless a database was named
/// explicitly, else the local database.
fn inventory_client(
    server: Option<&str>,
    explicit_database: bool,
    database_url: &str,
) -> Result<Client> {
    let server = match server {
        Some(server) => Some(server.to_string()),
        None if explicit_database => None,
        None => client_config::configured_server()?,
    };
    match server {
        Some(server) => Client::remote(&server),
        None => Ok(Client::local(database_url)),
    }
}

/// Commands that work on the inventory: one runtime, one connection, closed before exit.
fn run_inventory(client: Client, command: InventoryCommand, format: OutputFormat) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    runtime.block_on(async {
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
