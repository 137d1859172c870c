//! `unet api-keys list|create|revoke`. The secret is printed once, at creation.

use std::io::Write;

use clap::Subcommand;
use unet_auth::Role;
use unet_core::Uuid;

use crate::client::{Backend, NewApiKey};
use crate::error::Result;
use crate::output::{OutputFormat, json_value, note, print_structured, print_values};

#[derive(Debug, Subcommand)]
pub enum ApiKeysCommand {
    /// Live keys: name, prefix, roles, last use, expiry (never the secret).
    List,
    /// Create a key; its secret is shown this once.
    Create {
        name: String,
        /// Role: admin, operator, viewer or auditor (repeatable).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// Lifetime in days (at most the policy's api_key_max_lifetime_days).
        #[arg(long, default_value_t = 90)]
        expires_in_days: u32,
    },
    /// Revoke a key at once.
    Revoke { id: Uuid },
}

const COLUMNS: [&str; 7] = [
    "name",
    "prefix",
    "roles",
    "last_used",
    "expires",
    "created_by",
    "id",
];

pub async fn run<B: Backend>(backend: &B, cmd: ApiKeysCommand, format: OutputFormat) -> Result<()> {
    match cmd {
        ApiKeysCommand::List => print_values(&backend.api_keys().await?, &COLUMNS, format),
        ApiKeysCommand::Create {
            name,
            roles,
            expires_in_days,
        } => {
            let key = NewApiKey {
                roles: roles
                    .iter()
                    .map(|r| r.parse())
                    .collect::<Result<Vec<Role>, _>>()?,
                name,
                expires_in_days,
            };
            let created = backend.create_api_key(&key).await?;
            if matches!(format, OutputFormat::Json | OutputFormat::Yaml) {
                let created = json_value(&created)?;
                return print_structured(&mut std::io::stdout().lock(), &created, format);
            }
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}", created.secret)?;
            out.flush()?;
            note!(
                "API key {} created; the secret above is shown only this once",
                key.name
            );
            Ok(())
        }
        ApiKeysCommand::Revoke { id } => {
            backend.revoke_api_key(id).await?;
            note!("revoked API key {id}");
            Ok(())
        }
    }
}
