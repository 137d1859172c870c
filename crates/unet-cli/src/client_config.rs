//! Where the CLI finds its server and token when the command line does not say:
//! `~/.config/unet/config.toml` (`server = "http://…"`) and the token from `UNET_TOKEN` or
//! `~/.config/unet/token` (both under `$XDG_CONFIG_HOME` when it is set).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{CliError, Result};

/// Files this small are read whole; anything larger is not ours.
const MAX_FILE_BYTES: u64 = 64 * 1024;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    /// The μNet server to talk to instead of opening a local database.
    server: Option<String>,
}

/// `$XDG_CONFIG_HOME/unet`, else `~/.config/unet`; `None` without either variable.
pub fn config_dir() -> Option<PathBuf> {
    let non_empty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(xdg) = non_empty("XDG_CONFIG_HOME") {
        return Some(PathBuf::from(xdg).join("unet"));
    }
    non_empty("HOME").map(|home| PathBuf::from(home).join(".config").join("unet"))
}

/// Reads a small text file; `Ok(None)` when it does not exist.
fn read_small(path: &Path) -> Result<Option<String>> {
    let metadata = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(CliError::Config(format!(
                "cannot read {}: {e}",
                path.display()
            )));
        }
    };
    if metadata.len() > MAX_FILE_BYTES {
        return Err(CliError::Config(format!(
            "{} is larger than {MAX_FILE_BYTES} bytes",
            path.display()
        )));
    }
    std::fs::read_to_string(path)
        .map(Some)
        .map_err(|e| CliError::Config(format!("cannot read {}: {e}", path.display())))
}

/// `--server`/`UNET_SERVER` if given, else `server` of the configuration file; without either,
/// a configuration error saying that `command` needs a server.
pub fn require_server(server: Option<&str>, command: &str) -> Result<String> {
    match server {
        Some(server) => Ok(server.to_string()),
        None => configured_server()?.ok_or_else(|| {
            CliError::Config(format!(
                "{command} talks to a μNet server: give --server URL, set UNET_SERVER, or set \
                 `server` in ~/.config/unet/config.toml"
            ))
        }),
    }
}

/// The `server` of the configuration file, if the file exists and names one.
pub fn configured_server() -> Result<Option<String>> {
    let Some(path) = config_dir().map(|d| d.join("config.toml")) else {
        return Ok(None);
    };
    let Some(text) = read_small(&path)? else {
        return Ok(None);
    };
    let file: ConfigFile = toml::from_str(&text).map_err(|e| {
        let line = e
            .span()
            .and_then(|span| text.get(..span.start))
            .map(|before| before.matches('\n').count() + 1)
            .unwrap_or(1);
        CliError::Config(format!(
            "{} line {line}: {}",
            path.display(),
            e.message().trim()
        ))
    })?;
    Ok(file
        .server
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty()))
}

/// The bearer token: `UNET_TOKEN`, else the token file written by `unet login`.
pub fn token() -> Result<Option<String>> {
    if let Some(token) = std::env::var("UNET_TOKEN")
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
    {
        return Ok(Some(token));
    }
    match token_path() {
        Some(path) => Ok(read_small(&path)?
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())),
        None => Ok(None),
    }
}

/// Where `unet login` keeps the token.
pub fn token_path() -> Option<PathBuf> {
    config_dir().map(|d| d.join("token"))
}
