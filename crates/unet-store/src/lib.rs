//! μNet's inventory store: locations, nodes, links and their change history in SQLite or
//! PostgreSQL, chosen by the URL alone and served by one code path (`sqlx::Any`).
//!
//! Every mutation goes through this crate and writes its `configuration_changes` row in the
//! same transaction. Every statement goes through [`db::Db`], which counts it and logs it when
//! slow, so list calls can be shown to run a constant number of statements.

mod changes;
mod collection;
mod compliance;
mod compliance_queries;
mod compliance_record;
mod config_checks;
mod cursor;
mod database_url;
mod db;
mod error;
mod exchange;
mod import;

mod links;
mod locations;
mod maintenance;
mod migrate;
mod nodes;
mod polling;
mod records;
mod rules;
mod running_configs;
mod security;
mod status_events;
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(feature = "testing")]
pub mod testing_dump;
mod users;

use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyConnection, Transaction};

pub use collection::{
    AttemptOutcome, CollectionAttempt, CollectionFilter, CollectionStatus, CollectionSummary,
    CollectionTarget, Recorded,
};
pub use compliance::{
    AssignmentChange, ComplianceCounts, NodeCompliance, NodeRuleResults, PolicyOutcome,
    RecordedResults, RuleFailures, RuleResultRecord, StoredResult,
};
pub use compliance_queries::{
    ComplianceSummary, ResultFilter, STORED_OUTCOMES, parse_stored_outcome,
};
pub use config_checks::{
    ConfigCheckFilter, ConfigCheckRecord, ConfigComplianceSummary, ConfigState, NamedConfigCheck,
    NodeConfigDrift, SliceRecord, SliceVerdict,
};
pub use database_url::DatabaseUrl;
pub use error::{Result, StoreError};
pub use exchange::{
    ImportBatch, ImportCounts, ImportFailure, ImportOptions, ImportReport, Inventory, Origin,
    ProgressFn, Sourced,
};
pub use links::NamedLink;
pub use maintenance::{InventoryCounts, PoolStatus};
pub use migrate::MigrationStatus;
pub use polling::{
    InterfaceSample, NodeLink, PollFilter, PollOutcome, PollRecord, PollStatus, PollSummary,
    PollTarget,
};
pub use running_configs::{DEFAULT_MAX_CONFIG_BYTES, Retention};
pub use security::{ApiKeyRecord, SecurityEventRecord, StoredPolicy};
pub use status_events::EventFilter;
pub use unet_core::Pushed;
pub use users::{LoginFailure, SessionRecord, UserRecord};

use db::Db;

/// Which database a store talks to, decided by the URL scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Backend> {
        DatabaseUrl::parse(url).map(|url| url.backend())
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub max_connections: u32,
    /// How long SQLite waits for a lock held by another connection or process.
    pub busy_timeout: Duration,
    /// Statements slower than this are logged (target `unet::db`, event `slow_query`).
    pub slow_query_threshold: Duration,
    pub acquire_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_connections: 8,
            busy_timeout: Duration::from_secs(5),
            slow_query_threshold: Duration::from_millis(250),
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

/// A handle on the inventory database; cheap to clone, shared by every request.
#[derive(Clone)]
pub struct Store {
    db: Db,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.db.backend)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Connects without migrating. A missing SQLite file is created; SQLite connections run
    /// in WAL mode with foreign keys on and the configured busy timeout.
    pub async fn open(url: &str, opts: StoreOptions) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let busy_ms = opts.busy_timeout.as_millis();
        let pool = AnyPoolOptions::new()
            .max_connections(opts.max_connections.max(1))
            .acquire_timeout(opts.acquire_timeout)
            // An SQLite connection is a file handle that cannot go stale; pinging it on every
            // acquire was a round trip to its thread per statement. A PostgreSQL connection
            // can (a restarted server), so it is checked.
            .test_before_acquire(backend == Backend::Postgres)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // busy_timeout first: switching to WAL needs a lock another
                        // connection may hold for a moment.
                        let pragmas = format!(
                            "PRAGMA busy_timeout = {busy_ms}; PRAGMA journal_mode = WAL; \
                             PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; \
                             PRAGMA cache_size = -32768; PRAGMA temp_store = MEMORY;"
                        );
                        sqlx::raw_sql(sqlx::AssertSqlSafe(pragmas))
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect(&connect_url(url, backend))
            .await?;
        Ok(Store {
            db: Db::new(pool, backend, opts.busy_timeout, opts.slow_query_threshold),
        })
    }

    /// Opens and applies every pending migration (quick start, CLI, tests).
    pub async fn open_and_migrate(url: &str, opts: StoreOptions) -> Result<Store> {
        let store = Store::open(url, opts).await?;
        store.migrate().await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.db.backend
    }

    /// The connection pool, for tests that inspect the database behind the store's back.
    /// Everything else goes through [`Db`], which counts and times every statement.
    #[cfg(feature = "testing")]
    pub fn pool(&self) -> &sqlx::AnyPool {
        &self.db.pool
    }

    /// Statements this store has run since it was opened (every statement goes through one
    /// function that counts).
    pub fn statements_executed(&self) -> u64 {
        self.db.statements_executed()
    }

    /// Closes every pooled connection (SQLite checkpoints the WAL on the last close).
    pub async fn close(&self) {
        self.db.pool.close().await;
    }

    async fn read_conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>> {
        Ok(self.db.pool.acquire().await?)
    }

    /// A write transaction, in this process's writer turn. SQLite takes the write lock up front
    /// (`BEGIN IMMEDIATE`), so that writers from other processes queue on the busy timeout
    /// instead of failing on a lock upgrade.
    async fn begin_write(&self) -> Result<WriteTx> {
        let turn = self.writer_turn().await;
        let tx = match self.db.backend {
            Backend::Sqlite => self.db.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.db.pool.begin().await?,
        };
        Ok(WriteTx { tx, _turn: turn })
    }

    /// A connection for a write of one statement (no transaction), in its writer turn like a
    /// transaction's.
    async fn write_conn(&self) -> Result<WriteConn> {
        let turn = self.writer_turn().await;
        Ok(WriteConn {
            conn: self.db.pool.acquire().await?,
            _turn: turn,
        })
    }

    /// This process's writer turn on SQLite (none on PostgreSQL, which has row locks). A turn
    /// not given within the busy timeout (a long import ahead) is not waited for further:
    /// SQLite's own busy handler then waits for the lock, and answers busy (a transient error)
    /// if it stays taken.
    async fn writer_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        if self.db.backend != Backend::Sqlite {
            return None;
        }
        let turn = self.db.writer.clone().lock_owned();
        tokio::time::timeout(self.db.busy_timeout, turn).await.ok()
    }
}

/// A write transaction holding the writer turn (SQLite) until it ends. Dropped without a
/// commit it rolls back, like the transaction it wraps.
pub(crate) struct WriteTx {
    // Declared first so that it is dropped (its rollback queued) before the turn passes on.
    tx: Transaction<'static, sqlx::Any>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTx {
    pub(crate) async fn commit(self) -> std::result::Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    pub(crate) async fn rollback(self) -> std::result::Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

/// A pooled connection holding the writer turn (SQLite) while it lives.
pub(crate) struct WriteConn {
    conn: sqlx::pool::PoolConnection<sqlx::Any>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl std::ops::Deref for WriteConn {
    type Target = sqlx::pool::PoolConnection<sqlx::Any>;

    fn deref(&self) -> &Self::Target {
        &self.conn
    }
}

impl std::ops::DerefMut for WriteConn {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.conn
    }
}

impl std::ops::Deref for WriteTx {
    type Target = Transaction<'static, sqlx::Any>;

    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

/// SQLite creates a missing file only when asked (`mode=rwc`); a URL that sets a mode keeps it.
fn connect_url(url: &str, backend: Backend) -> String {
    if backend != Backend::Sqlite || url.contains("mode=") || url.contains(":memory:") {
        return url.to_string();
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}mode=rwc")
}

/// Connection type the entity modules run statements on (a pooled connection or a transaction).
pub(crate) type Conn = AnyConnection;

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// A writer whose turn does not come within the busy timeout is answered busy, as when an
    /// outside process holds the lock, instead of queueing for as long as the writer ahead takes.
    #[tokio::test]
    async fn a_writer_waits_for_its_turn_no_longer_than_the_busy_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("unet.db").display());
        let opts = StoreOptions {
            busy_timeout: Duration::from_millis(200),
            ..StoreOptions::default()
        };
        let store = Store::open_and_migrate(&url, opts).await.unwrap();
        let ahead = store.begin_write().await.unwrap();
        // Its turn (200 ms), then SQLite's busy handler (200 ms): bounded, not a hang.
        let second = tokio::time::timeout(Duration::from_secs(5), store.begin_write())
            .await
            .expect("the second writer still waits after 5 s");
        let Err(e) = second else {
            panic!("a second writer got the lock while the first held it");
        };
        assert!(e.is_transient(), "{e}");
        ahead.commit().await.unwrap();
        store.begin_write().await.unwrap().commit().await.unwrap();
    }
}
