//! `unet`: the operator's command line. Each group lives in `commands/`; this file only
//! parses arguments, opens the inventory, dispatches, and turns outcomes into exit codes
//! scripts can trust (0 ok, 1 error, 2 usage error).

mod client;
mod client_config;
mod commands;
mod error;
mod output;

use std::io::Write;
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::client::{Backend, Client, Endpoint, Local};
use crate::client_config::ServerOptions;
use crate::commands::configs::ConfigsCommand;
use crate::commands::policies::PoliciesCommand;
use crate::commands::{
    api_keys, block_on, changes, export, import, links, locations, nodes, policies, security, users,
};
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

    /// μNet server to work through (https://HOST:PORT, or http:// on a trusted network)
    /// instead of a local database; the token comes from UNET_TOKEN or ~/.config/unet/token.
    /// Default: `server` in ~/.config/unet/config.toml.
    #[arg(
        long,
        global = true,
        env = "UNET_SERVER",
        conflicts_with = "database_url"
    )]
    pub server: Option<String>,

    /// PEM file of CA certificates trusted for the https server besides the system store (an
    /// internal CA). Default: `ca_file` in ~/.config/unet/config.toml. A self-signed server
    /// certificate is trusted by pinning it instead: `unet tls trust`.
    #[arg(long, global = true, env = "UNET_CA_FILE", value_name = "PATH")]
    pub ca_file: Option<std::path::PathBuf>,

    /// Send the token or password over plain http:// to a server on another machine. Refused
    /// by default: anyone on the network path could read and reuse them.
    #[arg(long, global = true, env = "UNET_ALLOW_INSECURE_HTTP")]
    pub allow_insecure_http: bool,

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
    /// Nodes' running configurations: push, list, show, diff two versions; collect them from
    /// the devices and the collection status (through a server).
    #[command(subcommand)]
    Configs(commands::configs::ConfigsCommand),
    /// Policy rules: list, validate, evaluate against the inventory, stored results.
    #[command(subcommand, visible_alias = "policy")]
    Policies(commands::policies::PoliciesCommand),
    /// Recorded verdicts: the fleet's policy and config compliance, or one node's.
    Compliance(commands::compliance::ComplianceArgs),
    /// Templates and intended configs: list, render a node, diff and remediate against its running config.
    #[command(subcommand)]
    Templates(commands::templates::TemplatesCommand),
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
    /// The devices' polled state across the fleet: statuses (unreachable, drifting) and the
    /// status events. Node by node: `unet nodes status|interfaces|neighbours|poll`.
    #[command(subcommand)]
    Status(commands::polling::StatusCommand),
    /// Git repositories of policies and templates on the server: status, sync.
    #[command(subcommand)]
    Git(commands::git::GitCommand),
    /// The server's TLS certificate: pin it (a self-signed one) or remove the pin.
    #[command(subcommand)]
    Tls(commands::tls::TlsCommand),
    /// Print a shell completion script.
    Completions {
        /// Shell to generate completions for.
        shell: clap_complete::Shell,
    },
}

/// Commands that read or change the inventory, through a [`Client`].
#[derive(Debug, Subcommand)]
pub enum InventoryCommand {
    /// Devices: list, show, add, update, delete, history; poll, status, interfaces, neighbours.
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
    let server = ServerOptions {
        server: cli.server,
        ca_file: cli.ca_file,
        allow_insecure_http: cli.allow_insecure_http,
    };
    let database = cli.database_url.as_str();
    let result = match cli.command {
        Command::Config(cmd) => return commands::config::run(cmd, format),
        Command::Policies(cmd) => match (cmd, server.named()) {
            (PoliciesCommand::Validate { path }, _) => policies::validate(&path, format),
            (_, Err(e)) => Err(e),
            (PoliciesCommand::List(_), Ok(Some(server))) => policies::remote_list(&server, format),
            (PoliciesCommand::List(args), Ok(None)) => policies::list(&args.path, format),
            (PoliciesCommand::Eval(args), Ok(server)) => {
                run_on(server.as_ref(), database, Work::Eval(args), format)
            }
            (PoliciesCommand::Results(args), Ok(server)) => {
                run_on(server.as_ref(), database, Work::Results(args), format)
            }
        },
        Command::Templates(cmd) => run_named(&server, database, Work::Templates(cmd), format),
        Command::Compliance(args) => run_named(&server, database, Work::Compliance(args), format),
        Command::Users(cmd) => run_named(&server, database, Work::Users(cmd), format),
        Command::ApiKeys(cmd) => run_named(&server, database, Work::ApiKeys(cmd), format),
        Command::Security(cmd) => run_named(&server, database, Work::Security(cmd), format),
        Command::Status(cmd) => run_named(&server, database, Work::Status(cmd), format),
        Command::Login(args) => commands::login::run(args, &server).map(|()| ExitCode::SUCCESS),
        Command::Git(cmd) => commands::git::run(cmd, &server, format),
        Command::Tls(cmd) => commands::tls::run(cmd, &server, format),
        Command::Completions { shell } => {
            // clap_complete panics when its writer fails: render first, then write like any
            // other output (a closed pipe ends the command quietly).
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "unet", &mut script);
            let mut out = std::io::stdout().lock();
            out.write_all(&script)
                .and_then(|()| out.flush())
                .map_err(CliError::Io)
                .map(|()| ExitCode::SUCCESS)
        }
        Command::Inventory(command) => inventory_side(&server, explicit_database)
            .and_then(|server| run_on(server.as_ref(), database, Work::Inventory(command), format)),
        Command::Configs(ConfigsCommand::Collection(command)) => {
            commands::collect::run(command, &server, format)
        }
        Command::Configs(ConfigsCommand::Stored(command)) => {
            let diff = command.is_diff();
            let result = inventory_side(&server, explicit_database).and_then(|server| {
                run_on(server.as_ref(), database, Work::Configs(command), format)
            });
            if diff {
                return commands::configs::diff_exit(result);
            }
            result
        }
    };
    exit_code(result)
}

/// The server inventory commands work through: `--server`/`UNET_SERVER`, else the config
/// file's, unless a database was named explicitly (which then wins).
fn inventory_side(server: &ServerOptions, explicit_database: bool) -> Result<Option<Endpoint>> {
    if explicit_database {
        server.named()
    } else {
        server.named_or_configured()
    }
}

/// [`run_on`] the server named by `--server`/`UNET_SERVER`, else the database.
fn run_named(
    server: &ServerOptions,
    database: &str,
    work: Work,
    format: OutputFormat,
) -> Result<ExitCode> {
    run_on(server.named()?.as_ref(), database, work, format)
}

/// A command that works on one side: the local database or a server.
// Built once per process, like `Command`.
#[allow(clippy::large_enum_variant)]
enum Work {
    Inventory(InventoryCommand),
    Configs(commands::configs::StoredCommand),
    Eval(policies::EvalArgs),
    Results(policies::ResultsArgs),
    Templates(commands::templates::TemplatesCommand),
    Compliance(commands::compliance::ComplianceArgs),
    Users(users::UsersCommand),
    ApiKeys(api_keys::ApiKeysCommand),
    Security(security::SecurityCommand),
    Status(commands::polling::StatusCommand),
}

impl Work {
    /// What local mode opens before the command starts: nothing for the inventory commands
    /// (opened on first use, so that one failing early leaves no database behind), the store
    /// for policies, the security service for the account commands.
    async fn open(&self, local: &Local) -> Result<()> {
        match self {
            Work::Inventory(_) | Work::Configs(_) | Work::Templates(_) | Work::Status(_) => Ok(()),
            Work::Eval(_) | Work::Results(_) | Work::Compliance(_) => local.store().await.map(drop),
            Work::Users(_) | Work::ApiKeys(_) | Work::Security(_) => {
                local.security().await.map(drop)
            }
        }
    }
}

/// Runs `work` on the server when one is named, else on the database: one runtime, one
/// connection, closed before exit.
fn run_on(
    server: Option<&Endpoint>,
    database: &str,
    work: Work,
    format: OutputFormat,
) -> Result<ExitCode> {
    let client = Client::open(server, database)?;
    block_on(async {
        let result = match &client {
            Client::Local(local) => {
                async {
                    work.open(local).await?;
                    run(local, work, format).await
                }
                .await
            }
            Client::Remote(remote) => run(remote, work, format).await,
        };
        client.close().await;
        result
    })
}

async fn run<B: Backend>(backend: &B, work: Work, format: OutputFormat) -> Result<ExitCode> {
    let done = match work {
        Work::Inventory(command) => match command {
            InventoryCommand::Nodes(cmd) => return nodes::run(backend, cmd, format).await,
            InventoryCommand::Locations(cmd) => locations::run(backend, cmd, format).await,
            InventoryCommand::Links(cmd) => links::run(backend, cmd, format).await,
            InventoryCommand::Changes(cmd) => changes::run(backend, cmd, format).await,
            InventoryCommand::Import(args) => import::run(backend, args, format).await,
            InventoryCommand::Export(args) => export::run(backend, args, format).await,
        },
        Work::Configs(cmd) => return commands::configs::run(backend, cmd, format).await,
        Work::Eval(args) => return policies::eval(backend, args, format).await,
        Work::Results(args) => return policies::results(backend, args, format).await,
        Work::Templates(cmd) => return commands::templates::run(backend, cmd, format).await,
        Work::Compliance(args) => return commands::compliance::run(backend, args, format).await,
        Work::Users(cmd) => users::run(backend, cmd, format).await,
        Work::ApiKeys(cmd) => api_keys::run(backend, cmd, format).await,
        Work::Security(cmd) => security::run(backend, cmd, format).await,
        Work::Status(cmd) => return commands::polling::run_status(backend, cmd, format).await,
    };
    done.map(|()| ExitCode::SUCCESS)
}
