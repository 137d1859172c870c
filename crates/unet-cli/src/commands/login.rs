//! `unet login`: a session token from the server, kept 0600 in the user's config directory
//! (`$XDG_CONFIG_HOME/unet/token`); `UNET_TOKEN` overrides it.

use clap::Args;

use super::{block_on, password_from_stdin};
use crate::client::Remote;
use crate::error::{CliError, Result};
use crate::output::note;

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The password is read from standard input.
    #[arg(long, short = 'u')]
    username: String,
}

pub fn run(args: LoginArgs, server: Option<&str>) -> Result<()> {
    let server = crate::client_config::require_server(server, "unet login")?;
    let password = password_from_stdin("unet login")?;
    let path = crate::client_config::token_path().ok_or_else(|| {
        CliError::Config("no config directory: set XDG_CONFIG_HOME or HOME".into())
    })?;
    let answer = block_on(async {
        let remote = Remote::anonymous(&server)?;
        remote.login(&args.username, &password).await
    })?;
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
