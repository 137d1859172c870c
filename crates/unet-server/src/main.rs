//! `unet-server`: serve the API, validate a configuration, or migrate the database.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use unet_server::config::{Config, check_environment};
use unet_server::migrate::{self, MigrateMode};
use unet_server::{Error, backup, logging, serve};

#[derive(Parser)]
#[command(
    name = "unet-server",
    about = "μNet server: REST API over the network inventory",
    disable_version_flag = true
)]
struct Cli {
    /// Configuration file (default: $UNET_CONFIG, ./unet.toml, /etc/unet/config.toml).
    #[arg(long, short = 'c', global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Check the configuration, print every problem with its key, and exit (0 when valid).
    #[arg(long)]
    validate: bool,
    /// Print version, git commit and build date.
    #[arg(long, short = 'V')]
    version: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending database migrations, after writing a snapshot of the database.
    Migrate {
        /// List applied and pending migrations.
        #[arg(long, conflicts_with = "dry_run")]
        status: bool,
        /// List what would be applied, change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Write a consistent copy of the database while the server runs (SQLite file or
    /// PostgreSQL custom-format dump).
    Backup {
        /// The file to write; it must not exist.
        #[arg(long, value_name = "PATH")]
        to: PathBuf,
    },
    /// Replace the database with a backup (server stopped): the file is verified first and
    /// the current database is kept aside.
    Restore {
        /// A file written by `unet-server backup` (or `sqlite3 … .backup`).
        #[arg(long, value_name = "PATH")]
        from: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.version {
        println!("{}", unet_server::version_line());
        return ExitCode::SUCCESS;
    }
    if cli.validate {
        return validate(cli.config);
    }
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(errors) => {
            eprint!("error: {errors}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = logging::init(&config.logging) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The command's name is the 5th field of the text log line (`… ERROR unet::server: ERROR
    // restore …`), which the runbook's error pattern analysis counts.
    let command_name = match &cli.command {
        None => "serve",
        Some(Command::Migrate { .. }) => "migrate",
        Some(Command::Backup { .. }) => "backup",
        Some(Command::Restore { .. }) => "restore",
    };
    let result = runtime.block_on(async {
        match cli.command {
            None => serve::serve(config, serve::termination_signal()).await,
            Some(Command::Migrate { status, dry_run }) => {
                let mode = if status {
                    MigrateMode::Status
                } else if dry_run {
                    MigrateMode::DryRun
                } else {
                    MigrateMode::Apply
                };
                migrate::run(&config, mode)
                    .await
                    .map(|out| print!("{out}"))
                    .map_err(Error::from)
            }
            Some(Command::Backup { to }) => backup::backup(&config, &to)
                .await
                .map(|out| print!("{out}"))
                .map_err(Error::from),
            Some(Command::Restore { from }) => backup::restore(&config, &from)
                .await
                .map(|out| print!("{out}"))
                .map_err(Error::from),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(target: "unet::server", "ERROR {command_name} {e}");
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `--validate`: parse problems and machine checks together, each with its key.
fn validate(explicit: Option<PathBuf>) -> ExitCode {
    let path = explicit
        .or_else(|| std::env::var_os("UNET_CONFIG").map(PathBuf::from))
        .or_else(|| {
            unet_server::config::SEARCH_PATHS
                .iter()
                .map(PathBuf::from)
                .find(|p| p.is_file())
        });
    let (config, mut problems) = match &path {
        Some(path) => Config::load_for_validation(path),
        None => match Config::load(None) {
            Ok(config) => (Some(config), Vec::new()),
            Err(errors) => (None, errors.problems),
        },
    };
    if let Some(config) = &config {
        let bad_keys: Vec<String> = problems.iter().map(|p| p.key.clone()).collect();
        problems.extend(
            check_environment(config)
                .into_iter()
                .filter(|p| !bad_keys.contains(&p.key)),
        );
    }
    let shown = path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "(built-in defaults)".to_string());
    if problems.is_empty() {
        println!("{shown}: configuration is valid");
        ExitCode::SUCCESS
    } else {
        eprintln!("{shown}: {} problem(s):", problems.len());
        for p in &problems {
            eprintln!("  {p}");
        }
        ExitCode::FAILURE
    }
}
