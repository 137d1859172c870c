//! `unet security events|audit`, and what the account commands share: the security service on
//! the local database, or the server's API, with answers as JSON values so both render alike.

use std::io::BufRead;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::Value;
use unet_auth::{AuthError, Client as Origin, Security};
use unet_store::{Store, StoreOptions};

use crate::error::{CliError, Result, exit_code};
use crate::http::Api;
use crate::output::{OutputFormat, cell, print_rows, print_structured};

/// Where account and security commands act.
pub enum Target {
    Local(Security),
    Remote(Api),
}

impl Target {
    /// The server when one is named (with `UNET_TOKEN` or the `unet login` token), else the
    /// local database, so that `unet users create` works with no server for recovery.
    pub async fn open(server: Option<&str>, database_url: &str) -> Result<Target> {
        match server {
            Some(server) => Ok(Target::Remote(Api::new(
                server,
                crate::client_config::token()?,
            )?)),
            None => {
                let store = Store::open_and_migrate(database_url, StoreOptions::default()).await?;
                Ok(Target::Local(Security::load(store).await.map_err(auth)?))
            }
        }
    }

    pub async fn close(self) {
        if let Target::Local(security) = self {
            security.store().close().await;
        }
    }
}

/// The origin recorded with events of local commands.
pub fn local_origin() -> Origin {
    Origin {
        source_ip: None,
        user_agent: Some(format!("unet-cli/{} (local)", env!("CARGO_PKG_VERSION"))),
    }
}

pub fn auth(e: AuthError) -> CliError {
    match e {
        AuthError::Store(store) => CliError::Store(store),
        other => CliError::Config(other.to_string()),
    }
}

pub fn to_value<T: serde::Serialize>(value: T) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| CliError::Render(e.to_string()))
}

/// Reads a password from the first line of standard input (never from the command line,
/// where other users could see it in the process list).
pub fn password_from_stdin(what: &str) -> Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        return Err(CliError::Config(format!(
            "{what}: give the password on standard input (e.g. `read -rs PW; printf '%s\\n' \"$PW\" | unet …`)"
        )));
    }
    Ok(password)
}

/// JSON/YAML as they are; a table of `columns` otherwise (nested values as compact JSON).
pub fn print_values(items: &[Value], columns: &[&str], format: OutputFormat) -> Result<()> {
    if matches!(format, OutputFormat::Json | OutputFormat::Yaml) {
        return print_structured(&mut std::io::stdout().lock(), items, format);
    }
    let rows = items
        .iter()
        .map(|item| columns.iter().map(|c| cell(&item[*c])).collect())
        .collect();
    print_rows(format, columns, rows)
}

/// Runs `body` on a current-thread runtime and turns the outcome into an exit code.
pub fn run_with<F>(server: Option<&str>, database_url: &str, body: F) -> ExitCode
where
    F: AsyncFnOnce(&Target) -> Result<()>,
{
    let outcome = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)
        .and_then(|runtime| {
            runtime.block_on(async {
                let target = Target::open(server, database_url).await?;
                let result = body(&target).await;
                target.close().await;
                result
            })
        });
    exit_code(outcome.map(|()| ExitCode::SUCCESS))
}

#[derive(Debug, Subcommand)]
pub enum SecurityCommand {
    /// Security events, newest first.
    Events(EventArgs),
    /// Counts over a window: logins, failures, lockouts, keys, inactive users, denials.
    Audit {
        /// Hours back from now.
        #[arg(long, default_value_t = 24)]
        window_hours: u32,
    },
}

#[derive(Debug, Args)]
pub struct EventArgs {
    /// Only this type (auth_failure, lockout, user_change, …).
    #[arg(long = "type")]
    event_type: Option<String>,
    #[arg(long, default_value_t = 50)]
    limit: u32,
    /// Only events at or after this RFC 3339 time.
    #[arg(long)]
    since: Option<String>,
}

pub fn run(
    cmd: SecurityCommand,
    server: Option<&str>,
    database_url: &str,
    format: OutputFormat,
) -> ExitCode {
    run_with(
        server,
        database_url,
        async move |target: &Target| match cmd {
            SecurityCommand::Events(args) => {
                let events: Vec<Value> = match target {
                    Target::Local(security) => {
                        let since = args
                            .since
                            .as_deref()
                            .map(str::parse::<unet_core::Timestamp>)
                            .transpose()?;
                        let found = security
                            .store()
                            .security_events(
                                args.event_type.as_deref(),
                                since,
                                args.limit.clamp(1, 1000),
                            )
                            .await?;
                        found
                            .into_iter()
                            .map(|e| to_value(unet_auth::SecurityEvent::from(e)))
                            .collect::<Result<_>>()?
                    }
                    Target::Remote(api) => {
                        let mut query = vec![("limit", args.limit.to_string())];
                        query.extend(args.event_type.map(|t| ("type", t)));
                        query.extend(args.since.map(|s| ("since", s)));
                        api.get("api/v1/security/events", &query).await?.body
                    }
                };
                let columns = ["timestamp", "type", "username", "source_ip", "detail"];
                print_values(&events, &columns, format)
            }
            SecurityCommand::Audit { window_hours } => {
                let summary: Value = match target {
                    Target::Local(security) => {
                        let window = std::time::Duration::from_secs(u64::from(window_hours) * 3600);
                        to_value(security.audit_summary(window).await.map_err(auth)?)?
                    }
                    Target::Remote(api) => {
                        let query = [("window_hours", window_hours.to_string())];
                        api.get("api/v1/security/audit/summary", &query).await?.body
                    }
                };
                if matches!(format, OutputFormat::Json | OutputFormat::Yaml) {
                    return print_structured(&mut std::io::stdout().lock(), &summary, format);
                }
                let rows = summary
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| {
                                vec![k.clone(), v.to_string().trim_matches('"').to_string()]
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                print_rows(format, &["figure", "value"], rows)
            }
        },
    )
}
