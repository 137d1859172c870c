//! `unet users list|create|update|disable|enable|delete|set-password`: accounts, on the local
//! database (recovery: works without a server) or through the server.

use clap::Subcommand;
use unet_auth::{Role, UserUpdate};

use super::password_from_stdin;
use crate::client::Backend;
use crate::error::Result;
use crate::output::{OutputFormat, note, print_values};

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
    Ok(names.iter().map(|n| n.parse()).collect::<Result<_, _>>()?)
}

const COLUMNS: [&str; 6] = [
    "username",
    "roles",
    "disabled",
    "last_login",
    "created_at",
    "id",
];

pub async fn run<B: Backend>(backend: &B, cmd: UsersCommand, format: OutputFormat) -> Result<()> {
    let (username, update) = match cmd {
        UsersCommand::List => return print_values(&backend.users().await?, &COLUMNS, format),
        UsersCommand::Create { username, roles } => {
            let roles = parse_roles(&roles)?;
            let password = password_from_stdin("unet users create")?;
            let user = backend.create_user(&username, &password, &roles).await?;
            return print_values(&[user], &COLUMNS, format);
        }
        UsersCommand::Delete { username } => {
            backend.delete_user(&username).await?;
            note!("deleted user {username}");
            return Ok(());
        }
        UsersCommand::Update { username, roles } => {
            let roles = Some(parse_roles(&roles)?);
            (
                username,
                UserUpdate {
                    roles,
                    ..UserUpdate::default()
                },
            )
        }
        UsersCommand::Disable { username } => {
            let disabled = Some(true);
            (
                username,
                UserUpdate {
                    disabled,
                    ..UserUpdate::default()
                },
            )
        }
        UsersCommand::Enable { username } => {
            let disabled = Some(false);
            (
                username,
                UserUpdate {
                    disabled,
                    ..UserUpdate::default()
                },
            )
        }
        UsersCommand::SetPassword { username } => {
            let password = Some(password_from_stdin("unet users set-password")?);
            (
                username,
                UserUpdate {
                    password,
                    ..UserUpdate::default()
                },
            )
        }
    };
    let user = backend.update_user(&username, &update).await?;
    print_values(&[user], &COLUMNS, format)
}
