//! Embedded schema migrations, one folder per backend (DDL differs), recorded in
//! `schema_migrations` with a SHA-256 checksum so that a migration edited after it was applied
//! is refused instead of silently diverging.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;
use unet_core::Timestamp;

use crate::db::{Sql, get_timestamp};
use crate::{Backend, Result, Store, StoreError};

struct Embedded {
    version: i64,
    description: &'static str,
    sql: &'static str,
}

/// Each migration once: its version, its file name after the version (the same in both
/// backend folders, so neither can miss one), and what it does.
macro_rules! migrations {
    ($($version:literal $name:literal $description:literal;)*) => {
        const SQLITE: &[Embedded] = &[$(Embedded {
            version: $version,
            description: $description,
            sql: include_str!(concat!("../migrations/sqlite/", $version, "_", $name, ".sql")),
        },)*];
        const POSTGRES: &[Embedded] = &[$(Embedded {
            version: $version,
            description: $description,
            sql: include_str!(concat!("../migrations/postgres/", $version, "_", $name, ".sql")),
        },)*];
    };
}

migrations! {
    20261201000001 "inventory" "inventory: locations, nodes, links, configuration_changes";
    20261201000002 "policy_results" "policy results, per-node evaluations, node templates";
    20261201000003 "security" "security: users, sessions, API keys, security events, policy";
    20261201000004 "change_history_index" "change history: one index for an entity's history";
    20261201000005 "lean_policy_results"
        "policy results: one secondary index, no per-row foreign-key check";
    20261201000006 "host_name_case" "nodes: host names in lower case";
    20261206000004 "login_failures_per_source"
        "login failures: counted and locked per account name and source address";
    20261207000005 "running_configs" "running configurations: versions per node";
    20261207000006 "config_checks" "config compliance: per node and template slice";
    20261207000007 "collection" "collection: status per node, pinned SSH host keys";
    20261208000008 "snmp_polling"
        "SNMP polling: status, interfaces and neighbours per node, status events";
}

/// The migration that lower-cases host names and keeps those that would collide.
const HOST_NAME_CASE: i64 = 20261201000006;

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (\
     version BIGINT PRIMARY KEY NOT NULL, description TEXT NOT NULL, \
     applied_at TEXT NOT NULL, checksum TEXT NOT NULL)";

/// One embedded migration and whether (and when) this database applied it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MigrationStatus {
    pub version: i64,
    pub description: String,
    pub applied_at: Option<Timestamp>,
    /// SHA-256 of the migration's SQL, hex.
    pub checksum: String,
}

fn embedded(backend: Backend) -> &'static [Embedded] {
    match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    }
}

fn checksum(sql: &str) -> String {
    hex::encode(Sha256::digest(sql.as_bytes()))
}

struct Applied {
    version: i64,
    applied_at: Timestamp,
    checksum: String,
}

impl Store {
    async fn applied_migrations(&self, conn: &mut crate::Conn) -> Result<Vec<Applied>> {
        if self.tables(conn, Some("schema_migrations")).await? == 0 {
            return Ok(Vec::new());
        }
        let sql = Sql::new(
            "SELECT version, applied_at, checksum FROM schema_migrations ORDER BY version",
        );
        let rows = self.db.fetch_all(conn, sql).await?;
        rows.iter()
            .map(|row| {
                Ok(Applied {
                    version: row.try_get("version")?,
                    applied_at: get_timestamp(row, "applied_at")?,
                    checksum: row.try_get("checksum")?,
                })
            })
            .collect()
    }

    /// Every embedded migration with its applied time, if applied. Fails when an applied
    /// migration's recorded checksum differs from the embedded one, or when the database has
    /// a migration this build does not know (it was migrated by a newer μNet).
    pub async fn migration_status(&self) -> Result<Vec<MigrationStatus>> {
        let mut conn = self.read_conn().await?;
        let applied = self.applied_migrations(&mut conn).await?;
        status(self.db.backend, &applied)
    }

    /// FQDNs of the nodes whose name or domain is not in lower case, in order. Names are
    /// stored in lower case; after migration 20261201000006 the only others are pairs (or
    /// more) that differ only in case, which that migration kept as they were.
    pub async fn mixed_case_host_names(&self) -> Result<Vec<String>> {
        let mut conn = self.read_conn().await?;
        let sql = Sql::new("SELECT fqdn FROM nodes WHERE fqdn <> LOWER(fqdn) ORDER BY fqdn");
        let rows = self.db.fetch_all(&mut conn, sql).await?;
        rows.iter().map(|row| Ok(row.try_get("fqdn")?)).collect()
    }

    pub async fn pending_migrations(&self) -> Result<Vec<MigrationStatus>> {
        Ok(self
            .migration_status()
            .await?
            .into_iter()
            .filter(|m| m.applied_at.is_none())
            .collect())
    }

    /// Applies the pending migrations in order, each in its own transaction together with its
    /// `schema_migrations` row; returns the ones applied now.
    pub async fn migrate(&self) -> Result<Vec<MigrationStatus>> {
        self.migrate_through(i64::MAX).await
    }

    /// [`Store::migrate`], stopping after `last`: tests build a database as an older release
    /// left it, to prove a later migration keeps its data.
    pub(crate) async fn migrate_through(&self, last: i64) -> Result<Vec<MigrationStatus>> {
        let mut done = Vec::new();
        for migration in embedded(self.db.backend)
            .iter()
            .take_while(|m| m.version <= last)
        {
            let mut tx = self.begin_write().await?;
            self.db.execute(&mut tx, Sql::new(CREATE_TABLE)).await?;
            // Read inside the transaction: another process may have migrated meanwhile.
            let applied = self.applied_migrations(&mut tx).await?;
            status(self.db.backend, &applied)?;
            if applied.iter().any(|a| a.version == migration.version) {
                continue;
            }
            self.db
                .execute_script(&mut tx, migration.sql)
                .await
                .map_err(|e| {
                    StoreError::Migration(format!(
                        "{} ({}) failed: {e}",
                        migration.version, migration.description
                    ))
                })?;
            let now = Timestamp::now();
            let sum = checksum(migration.sql);
            let mut record = Sql::new(
                "INSERT INTO schema_migrations (version, description, applied_at, checksum) VALUES ",
            );
            record.bind_tuple([
                migration.version.into(),
                migration.description.into(),
                now.into(),
                sum.as_str().into(),
            ]);
            self.db.execute(&mut tx, record).await?;
            tx.commit().await?;
            tracing::info!(target: "unet::db", event = "migration_applied", version = migration.version, description = migration.description);
            if migration.version == HOST_NAME_CASE {
                let kept = self.mixed_case_host_names().await?;
                if !kept.is_empty() {
                    tracing::warn!(
                        target: "unet::db",
                        event = "host_names_kept",
                        count = kept.len(),
                        fqdns = %kept.join(", "),
                        "nodes whose names differ only in case keep their spelling; rename or delete one of each pair"
                    );
                }
            }
            done.push(MigrationStatus {
                version: migration.version,
                description: migration.description.to_string(),
                applied_at: Some(now),
                checksum: sum,
            });
        }
        Ok(done)
    }
}

fn status(backend: Backend, applied: &[Applied]) -> Result<Vec<MigrationStatus>> {
    let known = embedded(backend);
    if let Some(unknown) = applied
        .iter()
        .find(|a| !known.iter().any(|m| m.version == a.version))
    {
        return Err(StoreError::Migration(format!(
            "the database has migration {} applied, which this build of μNet does not know; \
             run a μNet at least as new as the one that migrated it",
            unknown.version
        )));
    }
    known
        .iter()
        .map(|m| {
            let sum = checksum(m.sql);
            let applied_at = match applied.iter().find(|a| a.version == m.version) {
                Some(a) if a.checksum != sum => {
                    return Err(StoreError::Migration(format!(
                        "migration {} ({}) was changed after it was applied: recorded checksum {}, \
                         embedded {sum}; restore the original migration and add a new one instead",
                        m.version, m.description, a.checksum
                    )));
                }
                Some(a) => Some(a.applied_at),
                None => None,
            };
            Ok(MigrationStatus {
                version: m.version,
                description: m.description.to_string(),
                applied_at,
                checksum: sum,
            })
        })
        .collect()
}
