//! `unet login`: a session token from the server, kept 0600 in the user's config directory
//! (`$XDG_CONFIG_HOME/unet/token`); `UNET_TOKEN` overrides it.

use std::process::ExitCode;

use clap::Args;
use serde_json::{Value, json};

use super::security::password_from_stdin;
use crate::error::{CliError, Result, exit_code};
use crate::http::Api;
use crate::output::note;

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The password is read from standard input.
    #[arg(long, short = 'u')]
    username: String,
}

pub fn run(args: LoginArgs, server: Option<&str>) -> ExitCode {
    exit_code(login(args, server).map(|()| ExitCode::SUCCESS))
}

fn login(args: LoginArgs, server: Option<&str>) -> Result<()> {
    let server = crate::client_config::require_server(server, "unet login")?;
    let password = password_from_stdin("unet login")?;
    let path = crate::client_config::token_path().ok_or_else(|| {
        CliError::Config("no config directory: set XDG_CONFIG_HOME or HOME".into())
    })?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    let answer: Value = runtime.block_on(async {
        let api = Api::new(&server, None)?;
        let body = json!({"username": args.username, "password": password});
        Ok::<_, CliError>(api.post("api/v1/auth/login", &[], &body).await?.body)
    })?;
    let token = answer["token"]
        .as_str()
        .ok_or_else(|| CliError::Config("the server's login answer has no token".into()))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    unet_auth::write_private(&path, &format!("{token}\n")).map_err(super::security::auth)?;
    note!(
        "logged in as {}; token saved to {} (expires {})",
        args.username,
        path.display(),
        answer["expires_at"].as_str().unwrap_or("?")
    );
    Ok(())
}
