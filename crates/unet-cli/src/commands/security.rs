//! `unet security events|audit`: the security event trail and the audit summary, on the local
//! database or through the server.

use clap::{Args, Subcommand};

use crate::client::{Backend, EventQuery};
use crate::error::Result;
use crate::output::{OutputFormat, json_value, print_rows, print_structured, print_values};

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

pub async fn run<B: Backend>(
    backend: &B,
    cmd: SecurityCommand,
    format: OutputFormat,
) -> Result<()> {
    match cmd {
        SecurityCommand::Events(args) => {
            let query = EventQuery {
                event_type: args.event_type,
                limit: args.limit,
                since: args.since,
            };
            let events = backend.security_events(&query).await?;
            let columns = ["timestamp", "type", "username", "source_ip", "detail"];
            print_values(&events, &columns, format)
        }
        SecurityCommand::Audit { window_hours } => {
            let summary = json_value(&backend.audit_summary(window_hours).await?)?;
            if matches!(format, OutputFormat::Json | OutputFormat::Yaml) {
                return print_structured(&mut std::io::stdout().lock(), &summary, format);
            }
            // Figures in alphabetical order, as JSON shows them.
            let rows = summary
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| vec![k.clone(), v.to_string().trim_matches('"').to_string()])
                        .collect()
                })
                .unwrap_or_default();
            print_rows(format, &["figure", "value"], rows)
        }
    }
}
