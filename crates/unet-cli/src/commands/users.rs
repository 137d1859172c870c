//! `unet users list|create|update|disable|enable|delete|set-password`: accounts, on the local
//! database (recovery: works without a server) or through the server.

use std::process::ExitCode;

use clap::Subcommand;
use reqwest::Method;
use serde_json::{Value, json};
use unet_auth::{Role, UserUpdate};

use super::security::{
    Target, auth, local_origin, password_from_stdin, print_values, run_with, to_value,
};
use crate::client::actor;
use crate::error::Result;
use crate::output::{OutputFormat, note};

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Every user with roles, last login and whether disabled.
    List,
    /// Create a user; the password is read from standard input.
    Create {
        username: String,
        /// Role: admin, operator, viewer or auditor (repeatable).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
    },
    /// Replace a user's roles.
    Update {
        username: String,
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
    },
    /// Disable a user: their sessions and API keys stop working at once.
    Disable { username: String },
    /// Enable a user again (also lifts its login lockouts, from every address).
    Enable { username: String },
    /// Delete a user and their sessions.
    Delete { username: String },
    /// Set a new password (read from standard input); ends the user's sessions.
    SetPassword { username: String },
}

fn parse_roles(names: &[String]) -> Result<Vec<Role>> {
    names.iter().map(|n| n.parse().map_err(auth)).collect()
}

const COLUMNS: [&str; 6] = [
    "username",
    "roles",
    "disabled",
    "last_login",
    "created_at",
    "id",
];

pub fn run(
    cmd: UsersCommand,
    server: Option<&str>,
    database_url: &str,
    format: OutputFormat,
) -> ExitCode {
    run_with(server, database_url, async move |target: &Target| {
        let shown = match cmd {
            UsersCommand::List => {
                let users: Vec<Value> = match target {
                    Target::Local(s) => s
                        .list_users()
                        .await
                        .map_err(auth)?
                        .into_iter()
                        .map(to_value)
                        .collect::<Result<_>>()?,
                    Target::Remote(api) => api.get("api/v1/users", &[]).await?.body,
                };
                return print_values(&users, &COLUMNS, format);
            }
            UsersCommand::Create { username, roles } => {
                let roles = parse_roles(&roles)?;
                let password = password_from_stdin("unet users create")?;
                match target {
                    Target::Local(s) => to_value(
                        s.create_user(&username, &password, &roles, &actor(), &local_origin())
                            .await
                            .map_err(auth)?,
                    )?,
                    Target::Remote(api) => {
                        let body =
                            json!({"username": username, "password": password, "roles": roles});
                        api.post("api/v1/users", &[], &body).await?.body
                    }
                }
            }
            UsersCommand::Update { username, roles } => {
                let roles = parse_roles(&roles)?;
                let update = UserUpdate {
                    roles: Some(roles.clone()),
                    ..UserUpdate::default()
                };
                change(target, &username, update, json!({"roles": roles})).await?
            }
            UsersCommand::Disable { username } => {
                let update = UserUpdate {
                    disabled: Some(true),
                    ..UserUpdate::default()
                };
                change(target, &username, update, json!({"disabled": true})).await?
            }
            UsersCommand::Enable { username } => {
                let update = UserUpdate {
                    disabled: Some(false),
                    ..UserUpdate::default()
                };
                change(target, &username, update, json!({"disabled": false})).await?
            }
            UsersCommand::SetPassword { username } => {
                let password = password_from_stdin("unet users set-password")?;
                let update = UserUpdate {
                    password: Some(password.clone()),
                    ..UserUpdate::default()
                };
                change(target, &username, update, json!({"password": password})).await?
            }
            UsersCommand::Delete { username } => {
                match target {
                    Target::Local(s) => s
                        .delete_user(&username, &actor(), &local_origin())
                        .await
                        .map_err(auth)?,
                    Target::Remote(api) => {
                        api.delete(&format!("api/v1/users/{username}"), &[]).await?
                    }
                }
                note!("deleted user {username}");
                return Ok(());
            }
        };
        print_values(&[shown], &COLUMNS, format)
    })
}

async fn change(
    target: &Target,
    username: &str,
    update: UserUpdate,
    patch: Value,
) -> Result<Value> {
    match target {
        Target::Local(s) => to_value(
            s.update_user(username, update, &actor(), &local_origin())
                .await
                .map_err(auth)?,
        ),
        Target::Remote(api) => Ok(api
            .request(
                Method::PATCH,
                &format!("api/v1/users/{username}"),
                &[],
                Some(&patch),
                None,
            )
            .await?
            .body),
    }
}
