//! `unet login`: a session token from the server, kept 0600 in the user's config directory
//! (`$XDG_CONFIG_HOME/unet/token`); `UNET_TOKEN` overrides it.

use clap::Args;

use super::{block_on, password_from_stdin};
use crate::client::Remote;
use crate::client_config::ServerOptions;
use crate::error::{CliError, Result};
use crate::output::note;

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The password is read from standard input.
    #[arg(long, short = 'u')]
    username: String,
}

pub fn run(args: LoginArgs, server: &ServerOptions) -> Result<()> {
    let server = server.required("unet login")?;
    // Refused before the password is read when it could not be sent safely.
    let remote = Remote::for_login(&server)?;
    let password = password_from_stdin("unet login")?;
    let path = crate::client_config::token_path().ok_or_else(|| {
        CliError::Config("no config directory: set XDG_CONFIG_HOME or HOME".into())
    })?;
    let answer = block_on(remote.login(&args.username, &password))?;
    let token = answer
        .token
        .ok_or_else(|| CliError::Config("the server's login answer has no token".into()))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    unet_auth::write_private(&path, &format!("{token}\n"))?;
    note!(
        "logged in as {}; token saved to {} (expires {})",
        args.username,
        path.display(),
        answer.expires_at.as_deref().unwrap_or("?")
    );
    Ok(())
}
