//! Bulk loading into empty tables (SQLite): an import drops the secondary indexes of every
//! table it fills from empty and builds them again from the finished table before it commits,
//! all inside its one transaction. Building an index from the rows sorts them once; keeping
//! it current row by row costs a B-tree descent per row and index, and in a multi-row
//! statement SQLite also copies every index page the statement touches into its statement
//! journal. With 100,000 nodes and links this is about a fifth of the import.
//!
//! Only tables without a row qualify, so the rebuild never reads more than the import wrote.
//! The indexes are recreated from their own stored definitions (`sqlite_master.sql`), so
//! they come back exactly as the migrations made them, and a rollback (failure, dry run)
//! restores them with everything else. Unique indexes stay in place, declared ones (primary
//! keys, `UNIQUE` columns) and created ones (`nodes_fqdn`) alike: the database keeps enforcing
//! uniqueness during the import, not only the plan's own checks. Readers do not notice: in WAL mode they keep
//! reading the snapshot from before the transaction, indexes included. PostgreSQL is left
//! alone: `DROP INDEX` there locks readers out of the table until the import commits.

use sqlx::Row;

use crate::db::{Db, Sql};
use crate::{Backend, Conn, Result};

/// The tables an import fills in bulk (locations are few).
const BULK_TABLES: [&str; 4] = ["nodes", "links", "link_endpoints", "configuration_changes"];

/// Indexes dropped for the import, with the statements that create them again.
#[must_use = "the dropped indexes must be rebuilt before the transaction commits"]
pub(super) struct DeferredIndexes {
    create: Vec<String>,
}

impl DeferredIndexes {
    /// Drops the secondary indexes of every bulk table that is empty (SQLite only).
    pub(super) async fn drop_on_empty_tables(db: &Db, conn: &mut Conn) -> Result<Self> {
        let mut create = Vec::new();
        if db.backend != Backend::Sqlite {
            return Ok(DeferredIndexes { create });
        }
        for table in BULK_TABLES {
            if db.has_rows(conn, table).await? {
                continue;
            }
            let mut sql = Sql::new(
                "SELECT name, sql FROM sqlite_master \
                 WHERE type = 'index' AND sql IS NOT NULL \
                 AND sql NOT LIKE 'CREATE UNIQUE INDEX%' AND tbl_name = ",
            );
            sql.bind(table).push(" ORDER BY name");
            for row in db.fetch_all(conn, sql).await? {
                let name: String = row.try_get("name")?;
                let definition: String = row.try_get("sql")?;
                let drop = format!("DROP INDEX \"{}\"", name.replace('"', "\"\""));
                db.execute(conn, Sql::new(drop)).await?;
                create.push(definition);
            }
        }
        Ok(DeferredIndexes { create })
    }

    /// Builds every dropped index again from the rows now in its table.
    pub(super) async fn rebuild(self, db: &Db, conn: &mut Conn) -> Result<()> {
        for definition in self.create {
            db.execute(conn, Sql::new(definition)).await?;
        }
        Ok(())
    }
}
