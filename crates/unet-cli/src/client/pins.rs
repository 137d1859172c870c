//! Certificates pinned with `unet tls trust`, one per server `host:port`, in
//! `~/.config/unet/pinned-servers.toml`. A pinned server is trusted when it presents exactly
//! that certificate, and only then.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use unet_trust::{CertificateInfo, Fingerprint};

use crate::client_config::{config_dir, read_small, toml_error};
use crate::error::{CliError, Result};

const FILE_NAME: &str = "pinned-servers.toml";

/// One pinned certificate; subject and expiry are kept so the file explains itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pin {
    pub sha256: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub not_after: String,
    #[serde(default)]
    pub pinned_at: String,
}

impl Pin {
    pub fn of(certificate: &CertificateInfo, pinned_at: String) -> Pin {
        Pin {
            sha256: certificate.fingerprint.to_string(),
            subject: certificate.subject.clone(),
            not_after: certificate
                .not_after
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            pinned_at,
        }
    }
}

fn path() -> Result<PathBuf> {
    config_dir()
        .map(|dir| dir.join(FILE_NAME))
        .ok_or_else(|| CliError::Config("no config directory: set XDG_CONFIG_HOME or HOME".into()))
}

/// Every pin, by `host:port`; empty when the file does not exist.
pub fn load() -> Result<BTreeMap<String, Pin>> {
    let path = path()?;
    let Some(text) = read_small(&path)? else {
        return Ok(BTreeMap::new());
    };
    let pins: BTreeMap<String, Pin> =
        toml::from_str(&text).map_err(|e| toml_error(&path, &text, &e))?;
    for (authority, pin) in &pins {
        Fingerprint::parse(&pin.sha256).map_err(|e| {
            CliError::Config(format!("{} [\"{authority}\"] sha256: {e}", path.display()))
        })?;
    }
    Ok(pins)
}

/// The certificate pinned for `authority` (`host:port`), if any.
pub fn pinned(authority: &str) -> Result<Option<Fingerprint>> {
    Ok(load()?
        .get(authority)
        .and_then(|pin| Fingerprint::parse(&pin.sha256).ok()))
}

/// Writes `pins` whole: a temporary file renamed over the old one, so a crash leaves either.
pub fn save(pins: &BTreeMap<String, Pin>) -> Result<PathBuf> {
    let path = path()?;
    let text = format!(
        "# Server certificates pinned with `unet tls trust`: the server at \"host:port\" is\n\
         # trusted when it presents exactly the certificate with this SHA-256 fingerprint.\n\n{}",
        toml::to_string(pins).map_err(|e| CliError::Render(e.to_string()))?
    );
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let staged = path.with_extension("toml.tmp");
    unet_auth::write_private(&staged, &text)?;
    std::fs::rename(&staged, &path)?;
    Ok(path)
}
