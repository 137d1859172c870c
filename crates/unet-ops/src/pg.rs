//! The PostgreSQL client programs (`pg_dump`, `pg_restore`) of the server's version.

use std::path::PathBuf;
use std::process::Command;

use unet_store::DatabaseUrl;

use crate::OpsError;

/// A PostgreSQL client program on PATH or in Debian's versioned folders.
pub(crate) fn find_tool(name: &str) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    on_path.or_else(|| {
        // Debian keeps the versioned binaries off PATH.
        let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("bin").join(name))
            .filter(|p| p.is_file())
            .collect();
        found.sort();
        found.pop()
    })
}

/// Runs a PostgreSQL client program; with `url`, adds `--dbname` without the password, which
/// goes in `PGPASSWORD` instead so that it never shows in the process list.
pub(crate) fn run_tool(
    name: &str,
    args: &[std::ffi::OsString],
    url: Option<&str>,
) -> Result<(), OpsError> {
    let program = find_tool(name).ok_or_else(|| {
        OpsError::Failed(format!(
            "{name} not found: install the PostgreSQL client programs (postgresql-client) of \
             the server's major version"
        ))
    })?;
    let mut command = Command::new(&program);
    command.args(args);
    if let Some(url) = url {
        let url = DatabaseUrl::parse(url)?;
        command.arg("--dbname").arg(url.without_password());
        if let Some(password) = url.password() {
            command.env("PGPASSWORD", password);
        }
    }
    let output = command
        .output()
        .map_err(|e| OpsError::io(format!("running {}", program.display()), e))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(OpsError::Failed(format!(
            "{name} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )))
    }
}
