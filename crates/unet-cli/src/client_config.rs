//! Where the CLI finds its server, trust settings and token when the command line does not
//! say: `~/.config/unet/config.toml` (`server = "https://…"`, `ca_file = "…"`) and the token
//! from `UNET_TOKEN` or `~/.config/unet/token` (both under `$XDG_CONFIG_HOME` when it is set).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::client::Endpoint;
use crate::error::{CliError, Result};

/// Files this small are read whole; anything larger is not ours.
const MAX_FILE_BYTES: u64 = 64 * 1024;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    /// The μNet server to talk to instead of opening a local database.
    server: Option<String>,
    /// PEM CA certificates trusted for an https server besides the system store; relative to
    /// the configuration file's folder.
    ca_file: Option<PathBuf>,
}

/// The server options of the command line (`--server`, `--ca-file`, `--allow-insecure-http`
/// and their environment variables), completed from the configuration file.
#[derive(Debug, Default)]
pub struct ServerOptions {
    pub server: Option<String>,
    pub ca_file: Option<PathBuf>,
    pub allow_insecure_http: bool,
}

impl ServerOptions {
    /// The server named on the command line or in `UNET_SERVER`, if any.
    pub fn named(&self) -> Result<Option<Endpoint>> {
        match &self.server {
            Some(server) => self.endpoint(server, &read_config()?).map(Some),
            None => Ok(None),
        }
    }

    /// The named server, else the configuration file's; `None` for neither.
    pub fn named_or_configured(&self) -> Result<Option<Endpoint>> {
        let file = read_config()?;
        let server = self.server.as_deref().or(file.server.as_deref());
        server.map(|s| self.endpoint(s, &file)).transpose()
    }

    /// Like [`ServerOptions::named_or_configured`]; without either, a configuration error
    /// saying that `command` needs a server.
    pub fn required(&self, command: &str) -> Result<Endpoint> {
        self.named_or_configured()?.ok_or_else(|| {
            CliError::Config(format!(
                "{command} talks to a μNet server: give --server URL, set UNET_SERVER, or set \
                 `server` in ~/.config/unet/config.toml"
            ))
        })
    }

    fn endpoint(&self, server: &str, file: &ConfigFile) -> Result<Endpoint> {
        let ca_file = self.ca_file.clone().or_else(|| file.ca_file.clone());
        Endpoint::new(server, ca_file, self.allow_insecure_http)
    }
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
pub fn read_small(path: &Path) -> Result<Option<String>> {
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

/// The configuration file, or an empty one when it does not exist.
fn read_config() -> Result<ConfigFile> {
    let Some(path) = config_dir().map(|d| d.join("config.toml")) else {
        return Ok(ConfigFile::default());
    };
    let Some(text) = read_small(&path)? else {
        return Ok(ConfigFile::default());
    };
    let mut file: ConfigFile = toml::from_str(&text).map_err(|e| toml_error(&path, &text, &e))?;
    file.server = file
        .server
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    if let (Some(ca_file), Some(dir)) = (&file.ca_file, path.parent()) {
        file.ca_file = Some(dir.join(ca_file));
    }
    Ok(file)
}

/// A TOML error as `FILE line N: message`.
pub fn toml_error(path: &Path, text: &str, e: &toml::de::Error) -> CliError {
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
