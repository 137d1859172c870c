//! `unet api-keys list|create|revoke`. The secret is printed once, at creation.

use std::io::Write;
use std::process::ExitCode;

use clap::Subcommand;
use serde_json::{Value, json};
use unet_auth::Role;
use unet_core::Uuid;

use super::security::{Target, auth, local_origin, print_values, run_with, to_value};
use crate::client::actor;
use crate::error::Result;
use crate::output::{OutputFormat, note, print_structured};

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

pub fn run(
    cmd: ApiKeysCommand,
    server: Option<&str>,
    database_url: &str,
    format: OutputFormat,
) -> ExitCode {
    run_with(
        server,
        database_url,
        async move |target: &Target| match cmd {
            ApiKeysCommand::List => {
                let keys: Vec<Value> = match target {
                    Target::Local(s) => s
                        .list_api_keys()
                        .await
                        .map_err(auth)?
                        .into_iter()
                        .map(to_value)
                        .collect::<Result<_>>()?,
                    Target::Remote(api) => api.get("api/v1/auth/api-keys", &[]).await?.body,
                };
                print_values(&keys, &COLUMNS, format)
            }
            ApiKeysCommand::Create {
                name,
                roles,
                expires_in_days,
            } => {
                let roles: Vec<Role> = roles
                    .iter()
                    .map(|r| r.parse().map_err(auth))
                    .collect::<Result<_>>()?;
                let created: Value = match target {
                    // Local mode acts as an administrator of the database it opened.
                    Target::Local(s) => to_value(
                        s.create_api_key(
                            &name,
                            &roles,
                            expires_in_days,
                            &actor(),
                            &[Role::Admin],
                            &local_origin(),
                        )
                        .await
                        .map_err(auth)?,
                    )?,
                    Target::Remote(api) => {
                        let body = json!({"name": name, "roles": roles, "expires_in_days": expires_in_days});
                        api.post("api/v1/auth/api-keys", &[], &body).await?.body
                    }
                };
                if matches!(format, OutputFormat::Json | OutputFormat::Yaml) {
                    return print_structured(&mut std::io::stdout().lock(), &created, format);
                }
                let mut out = std::io::stdout().lock();
                writeln!(out, "{}", created["secret"].as_str().unwrap_or_default())?;
                out.flush()?;
                note!("API key {name} created; the secret above is shown only this once");
                Ok(())
            }
            ApiKeysCommand::Revoke { id } => {
                match target {
                    Target::Local(s) => s
                        .revoke_api_key(id, &actor(), &local_origin())
                        .await
                        .map_err(auth)?,
                    Target::Remote(api) => {
                        api.delete(&format!("api/v1/auth/api-keys/{id}"), &[])
                            .await?
                    }
                }
                note!("revoked API key {id}");
                Ok(())
            }
        },
    )
}
