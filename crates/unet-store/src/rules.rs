//! Rules every entity's update and delete share: the id in a body, the expected revision,
//! the row read for an update, and deleting rows by id.

use sqlx::any::AnyRow;
use unet_core::{CoreError, Uuid};

use crate::db::{Db, Sql, chunks, push_in};
use crate::{Backend, Conn, Result, StoreError};

/// The row `id` of `table`, read to be updated or deleted in the caller's write transaction:
/// on PostgreSQL it is locked (`FOR UPDATE`) until the transaction ends, so the revision the
/// caller checks is the revision it replaces and a concurrent writer waits, then reads the
/// new one. SQLite needs no lock: a write transaction holds the whole database.
pub(crate) async fn fetch_for_update<T>(
    db: &Db,
    conn: &mut Conn,
    table: &str,
    columns: &str,
    id: Uuid,
    read: fn(&AnyRow) -> Result<T>,
) -> Result<Option<T>> {
    let mut sql = Sql::new(format!("SELECT {columns} FROM {table} WHERE id = "));
    sql.bind(id).push(row_lock(db));
    db.fetch_optional(conn, sql)
        .await?
        .map(|r| read(&r))
        .transpose()
}

/// The clause that ends a `SELECT` of rows to update with their lock ([`fetch_for_update`]).
pub(crate) fn row_lock(db: &Db) -> &'static str {
    match db.backend {
        Backend::Postgres => " FOR UPDATE",
        Backend::Sqlite => "",
    }
}

/// Deletes rows of `table` by id, in chunks.
pub(crate) async fn delete_rows(db: &Db, conn: &mut Conn, table: &str, ids: &[Uuid]) -> Result<()> {
    for chunk in chunks(ids, 1) {
        let mut sql = Sql::new(format!("DELETE FROM {table} WHERE id"));
        push_in(&mut sql, chunk);
        db.execute(conn, sql).await?;
    }
    Ok(())
}

/// An update's body may repeat the id; it must then be the id being updated.
pub(crate) fn check_same_id(id: Uuid, given: Option<Uuid>) -> Result<()> {
    match given {
        Some(other) if other != id => Err(CoreError::invalid(
            "id",
            format!("{id} (the id of the record being updated)"),
            other.to_string(),
        )
        .into()),
        _ => Ok(()),
    }
}

/// The revision an update must find: the one the request names (`If-Match`), the one its body
/// names (`revision`), both when they agree; a request naming two different revisions is
/// refused, since no record could satisfy it.
pub(crate) fn expected_revision(requested: Option<i64>, body: Option<i64>) -> Result<Option<i64>> {
    match (requested, body) {
        (Some(r), Some(b)) if r != b => Err(CoreError::invalid(
            "revision",
            format!("{r} (the revision the request's If-Match names) or no revision"),
            b.to_string(),
        )
        .into()),
        _ => Ok(requested.or(body)),
    }
}

pub(crate) fn check_revision(expected: Option<i64>, actual: i64) -> Result<()> {
    match expected {
        Some(expected) if expected != actual => Err(StoreError::StaleRevision { expected, actual }),
        _ => Ok(()),
    }
}
