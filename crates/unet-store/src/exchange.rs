//! Import options and `export`. The exchange vocabulary itself (batches, origins, reports, the
//! exported inventory) is `unet-core`'s, shared with the file reader and the HTTP API.

use std::sync::Arc;

pub use unet_core::{
    ImportBatch, ImportCounts, ImportFailure, ImportReport, Inventory, Origin, Sourced,
};

use crate::{Result, Store, records};

/// Called with (records done, records in total) as an import advances.
pub type ProgressFn = Arc<dyn Fn(u64, u64) + Send + Sync>;

#[derive(Clone, Default)]
pub struct ImportOptions {
    /// Skip failing records and commit the rest, instead of rolling everything back.
    pub continue_on_error: bool,
    /// Do everything, report, then roll back.
    pub dry_run: bool,
    pub progress: Option<ProgressFn>,
}

impl std::fmt::Debug for ImportOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportOptions")
            .field("continue_on_error", &self.continue_on_error)
            .field("dry_run", &self.dry_run)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl Store {
    /// Everything, in a stable order: locations parents first (by path, so siblings by name),
    /// nodes by name, then domain (unique together), links by id. One read transaction, so the three lists agree.
    pub async fn export(&self) -> Result<Inventory> {
        let mut tx = self.db.pool.begin().await?;
        let locations = records::all(&self.db, &mut tx, "path, id").await?;
        let nodes = records::all(&self.db, &mut tx, "name, fqdn").await?;
        let links = records::all(&self.db, &mut tx, "id").await?;
        tx.commit().await?;
        Ok(Inventory {
            locations,
            nodes,
            links,
        })
    }
}
