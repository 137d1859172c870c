use thiserror::Error;
use unet_core::{CoreError, EntityType, Uuid};

/// Everything the store can refuse or fail with. `code()` is the stable machine-readable kind
/// the HTTP layer and the CLI map to status codes and exit codes.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("{entity} {ident:?} not found")]
    NotFound { entity: EntityType, ident: String },
    /// A node that exists but has no stored running configuration (of this version).
    #[error("{}", no_running_config(*node_id, *version))]
    NoRunningConfig { node_id: Uuid, version: Option<u64> },
    #[error(transparent)]
    Invalid(#[from] CoreError),
    /// Duplicate name, (node, interface) already used by another link, and the like.
    #[error("{message}")]
    Conflict { message: String },
    /// A delete refused because other records point at this one.
    #[error("{entity} {id} is still referenced by {by}; remove those first or delete with cascade")]
    Referenced {
        entity: EntityType,
        id: Uuid,
        by: String,
    },
    #[error(
        "stale revision: the request expected revision {expected}, the stored record is at revision {actual}; fetch it again and retry"
    )]
    StaleRevision { expected: i64, actual: i64 },
    /// A reference to a record that exists neither in the database nor in the same import.
    #[error("{record}: {field} {id} does not exist")]
    Dangling {
        field: &'static str,
        id: Uuid,
        record: String,
    },
    #[error("{ident:?} matches more than one record: {}", candidates.join(", "))]
    Ambiguous {
        ident: String,
        candidates: Vec<String>,
    },
    #[error("migration: {0}")]
    Migration(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    /// Stable machine code for the error kind.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::NotFound { .. } | StoreError::NoRunningConfig { .. } => "not_found",
            StoreError::Invalid(_) => "validation_failed",
            StoreError::Conflict { .. } => "conflict",
            StoreError::Referenced { .. } => "referenced",
            StoreError::StaleRevision { .. } => "stale_revision",
            StoreError::Dangling { .. } => "dangling_reference",
            StoreError::Ambiguous { .. } => "ambiguous",
            StoreError::Migration(_) => "migration",
            StoreError::Database(_) => "database",
        }
    }

    /// The database gave up this transaction to settle a clash with a concurrent one, and
    /// nothing of it was written: a PostgreSQL deadlock (`40P01`) or serialization failure
    /// (`40001`), or SQLite still busy when its busy timeout ran out (`SQLITE_BUSY` and its
    /// extended codes). Running the same request again can succeed.
    pub fn is_transient(&self) -> bool {
        let StoreError::Database(sqlx::Error::Database(db)) = self else {
            return false;
        };
        // PostgreSQL answers five-character SQLSTATEs; SQLite its (extended) result code in
        // decimal, whose low byte is the primary code.
        match db.code().as_deref() {
            Some("40P01" | "40001") => true,
            Some(code) if code.len() < 5 => code.parse::<i32>().is_ok_and(|c| c & 0xff == 5),
            _ => false,
        }
    }

    pub(crate) fn not_found(entity: EntityType, ident: impl ToString) -> Self {
        StoreError::NotFound {
            entity,
            ident: ident.to_string(),
        }
    }

    pub(crate) fn conflict(message: impl Into<String>) -> Self {
        StoreError::Conflict {
            message: message.into(),
        }
    }
}

fn no_running_config(node_id: Uuid, version: Option<u64>) -> String {
    match version {
        Some(v) => format!(
            "node {node_id} has no running configuration version {v} (list the stored versions; \
             older ones may have been removed by retention)"
        ),
        None => format!("node {node_id} has no running configuration stored yet; push one first"),
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
