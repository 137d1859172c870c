//! `unet-server migrate`: list (`--status`), preview (`--dry-run`) or apply the pending schema
//! migrations, writing a snapshot of the database first so that an upgrade can be undone.

use std::fmt::Write as _;
use std::path::PathBuf;

use unet_core::Timestamp;
use unet_store::{Backend, MigrationStatus, Store};

use crate::OpsError;
use crate::open_store;
use unet_settings::Config;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrateMode {
    Apply,
    Status,
    DryRun,
}

/// Runs the command and returns what to print.
pub async fn run(config: &Config, mode: MigrateMode) -> Result<String, OpsError> {
    let store = open_store(config).await?;
    let result = run_on(&store, config, mode).await;
    store.close().await;
    result
}

async fn run_on(store: &Store, config: &Config, mode: MigrateMode) -> Result<String, OpsError> {
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
pub async fn snapshot(store: &Store, config: &Config) -> Result<PathBuf, OpsError> {
    let dir = config.data.snapshots_dir();
    std::fs::create_dir_all(&dir)
        .map_err(|e| OpsError::io(format!("creating {}", dir.display()), e))?;
    let stamp = crate::stamp(Timestamp::now());
    match store.backend() {
        Backend::Sqlite => {
            let path = dir.join(format!("pre-migrate-{stamp}.db"));
            store.copy_sqlite_into(&path).await.map_err(|e| {
                OpsError::Failed(format!("cannot write the snapshot {}: {e}", path.display()))
            })?;
            Ok(path)
        }
        Backend::Postgres => {
            let path = dir.join(format!("pre-migrate-{stamp}.sql"));
            let args = ["--file".into(), path.clone().into_os_string()];
            let url = config.database.url.clone();
            crate::blocking(move || crate::pg::run_tool("pg_dump", &args, Some(&url)))
                .await
                .map_err(|e| OpsError::Failed(format!("{e}; no migration was applied")))?;
            Ok(path)
        }
    }
}
