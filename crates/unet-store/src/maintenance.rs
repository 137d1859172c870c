//! What operating the database asks of the store, beyond the inventory: a health probe, the
//! size of the inventory, pool figures, whether the schema exists, and an online SQLite copy.
//! Each is a named method so that every statement still goes through [`Db`](crate::db::Db).

use std::path::Path;
use std::time::Duration;

use sqlx::Row;

use crate::db::Sql;
use crate::{Backend, Result, Store, StoreError};

/// One row of each table the API cannot work without: the statement needs the schema and a
/// page of every table, so a missing table, a revoked grant or an unreadable database file
/// fails it, and it costs the same whatever the size of the database.
const PROBE: &str = "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM schema_migrations LIMIT 1) AS m) \
     + (SELECT COUNT(*) FROM (SELECT 1 FROM locations LIMIT 1) AS l) \
     + (SELECT COUNT(*) FROM (SELECT 1 FROM nodes LIMIT 1) AS n) \
     + (SELECT COUNT(*) FROM (SELECT 1 FROM links LIMIT 1) AS k) \
     + (SELECT COUNT(*) FROM (SELECT 1 FROM configuration_changes LIMIT 1) AS c) \
     + (SELECT COUNT(*) FROM (SELECT 1 FROM users LIMIT 1) AS u)";

/// How many rows the inventory tables hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InventoryCounts {
    pub nodes: i64,
    pub locations: i64,
    pub links: i64,
    pub changes: i64,
    /// `None` while the database has no `users` table.
    pub users: Option<i64>,
}

/// The connection pool at this moment and its settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    pub size: u32,
    pub idle: u64,
    pub max_connections: u32,
    pub min_connections: u32,
    pub acquire_timeout: Duration,
}

impl Store {
    /// Runs the health check statement (see [`PROBE`]).
    pub async fn probe(&self) -> Result<()> {
        let mut conn = self.read_conn().await?;
        self.db.execute(&mut conn, Sql::new(PROBE)).await?;
        Ok(())
    }

    pub async fn inventory_counts(&self) -> Result<InventoryCounts> {
        let mut conn = self.read_conn().await?;
        let sql = Sql::new(
            "SELECT (SELECT COUNT(*) FROM nodes), (SELECT COUNT(*) FROM locations), \
             (SELECT COUNT(*) FROM links), (SELECT COUNT(*) FROM configuration_changes)",
        );
        let row = self.db.fetch_optional(&mut conn, sql).await?;
        let Some(row) = row else {
            return Err(StoreError::Database(sqlx::Error::RowNotFound));
        };
        let users = if self.tables(&mut conn, Some("users")).await? > 0 {
            let sql = Sql::new("SELECT COUNT(*) FROM users");
            Some(self.db.fetch_count(&mut conn, sql).await? as i64)
        } else {
            None
        };
        Ok(InventoryCounts {
            nodes: row.try_get(0)?,
            locations: row.try_get(1)?,
            links: row.try_get(2)?,
            changes: row.try_get(3)?,
            users,
        })
    }

    pub fn pool_status(&self) -> PoolStatus {
        let options = self.db.pool.options();
        PoolStatus {
            size: self.db.pool.size(),
            idle: self.db.pool.num_idle() as u64,
            max_connections: options.get_max_connections(),
            min_connections: options.get_min_connections(),
            acquire_timeout: options.get_acquire_timeout(),
        }
    }

    /// Whether the database holds no table at all (a file or database created just now).
    pub async fn is_empty(&self) -> Result<bool> {
        let mut conn = self.read_conn().await?;
        Ok(self.tables(&mut conn, None).await? == 0)
    }

    /// Writes a consistent copy of an SQLite database to `target` with `VACUUM INTO`, inside
    /// one read transaction while other connections keep working. Through the pool: opening
    /// the database file anew would drop the locks the pool holds on it.
    pub async fn copy_sqlite_into(&self, target: &Path) -> Result<()> {
        if self.db.backend != Backend::Sqlite {
            return Err(StoreError::Database(sqlx::Error::Configuration(
                "VACUUM INTO copies SQLite databases only".into(),
            )));
        }
        let mut conn = self.read_conn().await?;
        let mut sql = Sql::new("VACUUM INTO ");
        sql.bind(target.to_string_lossy().into_owned());
        self.db.execute(&mut conn, sql).await?;
        Ok(())
    }

    /// How many tables the current schema holds (named `name`, when given).
    pub(crate) async fn tables(&self, conn: &mut crate::Conn, name: Option<&str>) -> Result<u64> {
        let mut sql = Sql::new(match self.db.backend {
            Backend::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'",
            Backend::Postgres => {
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_schema = current_schema()"
            }
        });
        if let Some(name) = name {
            sql.push(match self.db.backend {
                Backend::Sqlite => " AND name = ",
                Backend::Postgres => " AND table_name = ",
            });
            sql.bind(name);
        }
        self.db.fetch_count(conn, sql).await
    }
}
