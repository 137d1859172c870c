//! Rules every entity's update and delete share: the id in a body, the expected revision,
//! and deleting rows by id.

use unet_core::{CoreError, Uuid};

use crate::db::{Db, Sql, chunks, push_in};
use crate::{Conn, Result, StoreError};

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

pub(crate) fn check_revision(expected: Option<i64>, actual: i64) -> Result<()> {
    match expected {
        Some(expected) if expected != actual => Err(StoreError::StaleRevision { expected, actual }),
        _ => Ok(()),
    }
}
