//! `unet-server migrate`: list (`--status`), preview (`--dry-run`) or apply the pending schema
//! migrations, writing a snapshot of the database first so that an upgrade can be undone.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use unet_core::Timestamp;
use unet_store::{Backend, MigrationStatus, Store};

use crate::config::Config;
use crate::error::Error;
use crate::serve::open_store;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrateMode {
    Apply,
    Status,
    DryRun,
}

/// Runs the command and returns what to print.
pub async fn run(config: &Config, mode: MigrateMode) -> Result<String, Error> {
    let store = open_store(config).await?;
    let result = run_on(&store, config, mode).await;
    store.close().await;
    result
}

async fn run_on(store: &Store, config: &Config, mode: MigrateMode) -> Result<String, Error> {
    let status = store.migration_status().await?;
    let pending: Vec<&MigrationStatus> = status.iter().filter(|m| m.applied_at.is_none()).collect();
    let mut out = String::new();
    match mode {
        MigrateMode::Status => {
            let _ = writeln!(out, "database: {}", config.database.redacted_url());
            for m in &status {
                let state = match &m.applied_at {
                    Some(at) => format!("applied {at}"),
                    None => "pending".to_string(),
                };
                let _ = writeln!(out, "{:<16} {:<32} {}", m.version, state, m.description);
            }
            let _ = writeln!(
                out,
                "{} applied, {} pending",
                status.len() - pending.len(),
                pending.len()
            );
        }
        MigrateMode::DryRun => {
            if pending.is_empty() {
                let _ = writeln!(out, "nothing to apply: the database is up to date");
            }
            for m in &pending {
                let _ = writeln!(out, "would apply {} {}", m.version, m.description);
            }
        }
        MigrateMode::Apply => {
            if pending.is_empty() {
                let _ = writeln!(out, "nothing to apply: the database is up to date");
                return Ok(out);
            }
            // A database without any table holds nothing worth a snapshot.
            if !store.is_empty().await? {
                let snapshot = snapshot(store, config).await?;
                let _ = writeln!(out, "snapshot written: {}", snapshot.display());
            }
            for m in store.migrate().await? {
                let _ = writeln!(out, "applied {} {}", m.version, m.description);
            }
            let kept = store.mixed_case_host_names().await?;
            if !kept.is_empty() {
                let _ = writeln!(
                    out,
                    "note: {} node(s) keep a name that differs from another node's only in case, \
                     so it was not lower-cased: {}; rename or delete one of each pair",
                    kept.len(),
                    kept.join(", ")
                );
            }
        }
    }
    Ok(out)
}

/// A consistent copy of the database under `<data.dir>/snapshots/`, named after the time.
pub async fn snapshot(store: &Store, config: &Config) -> Result<PathBuf, Error> {
    let dir = config.data.snapshots_dir();
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    let stamp = snapshot_stamp(Timestamp::now());
    match store.backend() {
        Backend::Sqlite => {
            let path = dir.join(format!("pre-migrate-{stamp}.db"));
            store.copy_sqlite_into(&path).await.map_err(|e| {
                Error::Startup(format!("cannot write the snapshot {}: {e}", path.display()))
            })?;
            Ok(path)
        }
        Backend::Postgres => {
            let path = dir.join(format!("pre-migrate-{stamp}.sql"));
            pg_dump(&config.database.url, &path)?;
            Ok(path)
        }
    }
}

/// `20261129T211500Z`: sorts like the time and is safe in file names.
pub(crate) fn snapshot_stamp(at: Timestamp) -> String {
    let t = at.as_datetime();
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn pg_dump(url: &str, path: &Path) -> Result<(), Error> {
    let program = find_pg_dump().ok_or_else(|| {
        Error::Startup(
            "pg_dump not found (install postgresql-client): it writes the snapshot taken before migrating"
                .to_string(),
        )
    })?;
    let status = Command::new(&program)
        .arg("--dbname")
        .arg(url)
        .arg("--file")
        .arg(path)
        .status()
        .map_err(|e| Error::io(format!("running {}", program.display()), e))?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::Startup(format!(
            "pg_dump failed ({status}); no migration was applied"
        )))
    }
}

fn find_pg_dump() -> Option<PathBuf> {
    find_pg_tool("pg_dump")
}

/// A PostgreSQL client program on PATH or in Debian's versioned folders.
pub(crate) fn find_pg_tool(name: &str) -> Option<PathBuf> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_names_sort_by_time() {
        let a = snapshot_stamp("2026-01-02T03:04:05Z".parse().unwrap());
        let b = snapshot_stamp("2026-11-29T21:15:00Z".parse().unwrap());
        assert_eq!(a, "20260102T030405Z");
        assert!(a < b);
    }
}
