//! Operating μNet rather than serving its API: `unet-server backup`, `restore` and
//! `migrate` (with a snapshot first), the snapshots the operations endpoints take, and the
//! lock that keeps a restore away from a running server, and the figures of the host.
//!
//! File copies, hashing and the PostgreSQL client programs block: callers on an async runtime
//! get them run on its blocking pool.

pub mod backup;
pub mod host;
pub mod migrate;
mod pg;
pub mod server_lock;
pub mod snapshot;

use thiserror::Error;
use unet_core::{IoFailure, Timestamp};
use unet_settings::{Config, DatabaseSection};
use unet_store::{Store, StoreError, StoreOptions};

#[derive(Debug, Error)]
pub enum OpsError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Io(#[from] IoFailure),
    /// A snapshot name with no usable characters, or one leaving the snapshot folder.
    #[error("{0}")]
    InvalidSnapshotName(String),
    #[error("{0}")]
    SnapshotExists(String),
    /// The operation cannot go on; the message says why and what to do.
    #[error("{0}")]
    Failed(String),
}

impl OpsError {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> OpsError {
        OpsError::Io(IoFailure::new(context, source))
    }
}

pub type Result<T, E = OpsError> = std::result::Result<T, E>;

pub fn store_options(db: &DatabaseSection) -> StoreOptions {
    StoreOptions {
        max_connections: db.max_connections,
        busy_timeout: db.busy_timeout,
        slow_query_threshold: db.slow_query_threshold,
        acquire_timeout: db.acquire_timeout,
    }
}

/// Opens the configured database without migrating it.
pub async fn open_store(config: &Config) -> Result<Store> {
    Store::open(&config.database.url, store_options(&config.database))
        .await
        .map_err(|e| {
            OpsError::Failed(format!(
                "cannot open the database {}: {e}",
                config.database.redacted_url()
            ))
        })
}

/// `20261129T211500Z`: sorts like the time and is safe in file names.
pub fn stamp(at: Timestamp) -> String {
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

/// Runs blocking file work on the runtime's blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| OpsError::Failed(format!("file work stopped: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_sort_by_time() {
        let a = stamp("2026-01-02T03:04:05Z".parse().unwrap());
        let b = stamp("2026-11-29T21:15:00Z".parse().unwrap());
        assert_eq!(a, "20260102T030405Z");
        assert!(a < b);
    }
}
