//! Bulk exchange types (import batches and reports, the exported inventory) and `export`.

use std::sync::Arc;

use serde::Serialize;
use unet_core::{EntityType, Link, LinkDraft, Location, LocationDraft, Node, NodeDraft};

use crate::{Result, Store, records};

/// Where a record came from, for messages: the file and the record's 0-based index in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Origin {
    pub file: String,
    pub index: usize,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} record {}", self.file, self.index)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sourced<T> {
    pub origin: Origin,
    pub draft: T,
}

/// Records to import; every draft carries its id (`Some`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportBatch {
    pub locations: Vec<Sourced<LocationDraft>>,
    pub nodes: Vec<Sourced<NodeDraft>>,
    pub links: Vec<Sourced<LinkDraft>>,
}

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

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub failed: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportFailure {
    pub entity: EntityType,
    pub origin: Origin,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub locations: ImportCounts,
    pub nodes: ImportCounts,
    pub links: ImportCounts,
    pub failures: Vec<ImportFailure>,
    /// Whether the changes were written: false after a failure without `continue_on_error`
    /// (the counts then say what would have happened) and for a dry run.
    pub committed: bool,
}

/// The whole inventory in export order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Inventory {
    pub locations: Vec<Location>,
    pub nodes: Vec<Node>,
    pub links: Vec<Link>,
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
