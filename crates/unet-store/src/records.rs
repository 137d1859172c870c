//! The one path every inventory record takes through the database: create, get, resolve,
//! update, delete and list, written once over an [`Entity`] — the record's declaration in
//! `unet-core` (table, columns, field kinds: [`Record`]) plus the rules of its own that need
//! the database, as the trait's hooks. `nodes.rs`, `links.rs` and `locations.rs` hold only
//! those rules.

use std::borrow::Cow;

use sqlx::any::AnyRow;
use unet_core::entity::{FieldValue, Kind};
use unet_core::{ChangeContext, New, Page, PageRequest, Record, Timestamp, Uuid, Validate};

use crate::changes::{self, Change};
use crate::db::{Arg, Db, Sql, decode_error, on_unique_violation, rows_of};
use crate::rules::{check_revision, check_same_id, expected_revision, fetch_for_update};
use crate::{Conn, Result, Store, StoreError, cursor};

/// A record type the store keeps, with the rules that need the database.
pub(crate) trait Entity: Record + Send + Sync {
    type Filter: Sync;
    /// The columns a list is ordered by (and its cursor holds): unique together.
    const ORDER: &'static [&'static str];
    /// The conflict a unique index reports when inserted rows clash.
    const DUPLICATE: &'static str;

    /// Locks a write takes before it reads anything (the location tree).
    async fn lock(_db: &Db, _conn: &mut Conn) -> Result<()> {
        Ok(())
    }

    /// Sets the fields derived from other stored records (a location's path).
    async fn derive(_db: &Db, _conn: &mut Conn, _new: &mut New<Self>) -> Result<()> {
        Ok(())
    }

    /// The rules a write must pass that need the database: references, uniqueness, cycles.
    /// `current` is the stored record an update replaces.
    async fn check(
        db: &Db,
        conn: &mut Conn,
        id: Uuid,
        new: &New<Self>,
        current: Option<&Self>,
    ) -> Result<()>;

    /// Deletes the stored record and, with `cascade`, what depends on it (refused otherwise);
    /// returns the change rows to record.
    async fn remove(db: &Db, conn: &mut Conn, record: Self, cascade: bool) -> Result<Vec<Change>>;

    /// The conflict a unique index reports when this record is rewritten.
    fn duplicate(&self) -> String {
        Self::DUPLICATE.to_string()
    }

    /// Statements that follow the insert of `rows` (a link's endpoints).
    fn insert_more(rows: &[Self]) -> impl Iterator<Item = Sql> + '_ {
        let _ = rows;
        std::iter::empty()
    }

    /// The statements that replace `old` with `new`.
    fn rewrite_sql(old: &Self, new: &Self) -> impl Iterator<Item = Sql> {
        let _ = old;
        std::iter::once(update_statement(new))
    }

    /// ` AND …` conditions of a list's filter.
    fn filter_sql(sql: &mut Sql, filter: &Self::Filter);

    /// How [`Store::resolve`] looks a name up: columns tried in turn, each with the spellings
    /// that match it.
    fn lookups(ident: &str) -> Vec<(&'static str, Vec<String>)>;

    /// How a record is shown among the candidates of an ambiguous name.
    fn candidate(self) -> String;
}

/// A record from a row selected with [`Record::COLUMNS`], each column read by its kind.
pub(crate) fn from_row<T: Record>(row: &AnyRow) -> Result<T> {
    use sqlx::Row;
    let mut values = Vec::with_capacity(T::FIELDS.len());
    for (i, field) in T::FIELDS.iter().enumerate() {
        values.push(match field.kind {
            Kind::Integer => FieldValue::Integer(row.try_get(i)?),
            _ => FieldValue::Text(row.try_get(i)?),
        });
    }
    T::from_values(values).map_err(|e| decode_error(e.field(), e))
}

fn values<T: Record>(record: &T) -> impl Iterator<Item = Arg> + use<T> {
    record.values().into_iter().map(Arg::from)
}

/// `SELECT` of every column of `T`, then `rest`.
pub(crate) fn select<T: Record>(rest: &str) -> Sql {
    Sql::new(format!("SELECT {} FROM {}{rest}", T::COLUMNS, T::TABLE))
}

pub(crate) async fn fetch<T: Record>(db: &Db, conn: &mut Conn, id: Uuid) -> Result<Option<T>> {
    let mut sql = select::<T>(" WHERE id = ");
    sql.bind(id);
    db.fetch_optional(conn, sql)
        .await?
        .map(|r| from_row(&r))
        .transpose()
}

/// The records whose `column` is one of `keys`, one statement per chunk of keys:
/// `SELECT … WHERE column IN (…) tail`.
pub(crate) async fn fetch_in<T: Record, K: Clone + Into<Arg>>(
    db: &Db,
    conn: &mut Conn,
    column: &str,
    keys: &[K],
    tail: &str,
) -> Result<Vec<T>> {
    let head = format!("SELECT {} FROM {} WHERE {column}", T::COLUMNS, T::TABLE);
    db.fetch_in(conn, &head, keys, tail, from_row).await
}

async fn fetch_all<T: Record>(db: &Db, conn: &mut Conn, sql: Sql) -> Result<Vec<T>> {
    db.fetch_all(conn, sql)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// Every record of `T` in the order of `order_by`.
pub(crate) async fn all<T: Record>(db: &Db, conn: &mut Conn, order_by: &str) -> Result<Vec<T>> {
    fetch_all(db, conn, select::<T>(&format!(" ORDER BY {order_by}"))).await
}

/// Multi-row inserts of fully formed records, then the statements that go with them.
pub(crate) fn insert_sql<T: Entity>(rows: &[T]) -> impl Iterator<Item = Sql> + '_ {
    let head = format!("INSERT INTO {} ({}) VALUES ", T::TABLE, T::COLUMNS);
    rows_of(
        rows.iter().map(values),
        T::FIELDS.len(),
        Cow::Owned(head),
        "",
    )
    .chain(T::insert_more(rows))
}

async fn insert<T: Entity>(db: &Db, conn: &mut Conn, rows: &[T]) -> Result<()> {
    for sql in insert_sql(rows) {
        db.execute(conn, sql)
            .await
            .map_err(|e| on_unique_violation(e, || T::DUPLICATE.to_string()))?;
    }
    Ok(())
}

/// `UPDATE` of every column but the id, from the same values as the insert.
pub(crate) fn update_statement<T: Record>(record: &T) -> Sql {
    let mut sql = Sql::new(format!("UPDATE {} SET ", T::TABLE));
    let fields = T::FIELDS.iter().zip(values(record)).skip(1);
    for (i, (field, value)) in fields.enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push(field.name).push(" = ").bind(value);
    }
    sql.push(" WHERE id = ").bind(record.id());
    sql
}

async fn rewrite<T: Entity>(db: &Db, conn: &mut Conn, old: &T, new: &T) -> Result<()> {
    for sql in T::rewrite_sql(old, new) {
        db.execute(conn, sql)
            .await
            .map_err(|e| on_unique_violation(e, || new.duplicate()))?;
    }
    Ok(())
}

/// The text of a key column of `record`, for a list cursor.
fn key_text<T: Record>(record: &T, column: &str) -> String {
    let position = T::FIELDS.iter().position(|f| f.name == column);
    let value = position.and_then(|i| record.values().into_iter().nth(i));
    match value {
        Some(FieldValue::Text(Some(text))) => text,
        Some(FieldValue::Integer(Some(n))) => n.to_string(),
        _ => String::new(),
    }
}

impl Store {
    pub(crate) async fn create<T: Entity>(
        &self,
        ctx: &ChangeContext,
        draft: impl Validate<T>,
    ) -> Result<T> {
        let mut new = draft.into_valid()?;
        let mut tx = self.begin_write().await?;
        T::lock(&self.db, &mut tx).await?;
        let id = new.given().id.unwrap_or_else(Uuid::new_v4);
        if fetch::<T>(&self.db, &mut tx, id).await?.is_some() {
            return Err(StoreError::conflict(format!(
                "{} {id} already exists",
                T::ENTITY
            )));
        }
        T::derive(&self.db, &mut tx, &mut new).await?;
        T::check(&self.db, &mut tx, id, &new, None).await?;
        let now = Timestamp::now();
        let record = new.into_record(id, now, now, 1);
        insert(&self.db, &mut tx, std::slice::from_ref(&record)).await?;
        let change = Change::new(T::ENTITY, id, None, Some(&record));
        changes::record(&self.db, &mut tx, ctx, ctx.source, now, vec![change]).await?;
        tx.commit().await?;
        Ok(record)
    }

    pub(crate) async fn get<T: Entity>(&self, id: Uuid) -> Result<T> {
        let mut conn = self.read_conn().await?;
        fetch(&self.db, &mut conn, id)
            .await?
            .ok_or_else(|| StoreError::not_found(T::ENTITY, id))
    }

    /// A record by UUID, else by the entity's [`Entity::lookups`]; a name several records
    /// share is ambiguous and the error lists them.
    pub(crate) async fn resolve<T: Entity>(&self, ident: &str) -> Result<T> {
        let ident = ident.trim();
        if let Ok(id) = Uuid::parse_str(ident) {
            return self.get(id).await;
        }
        let mut conn = self.read_conn().await?;
        for (column, spellings) in T::lookups(ident) {
            let mut sql = select::<T>(&format!(" WHERE {column} IN "));
            sql.bind_tuple(spellings.into_iter().map(Arg::from));
            sql.push(" ORDER BY ")
                .push(&T::ORDER.join(", "))
                .push(" LIMIT 11");
            let mut found: Vec<T> = fetch_all(&self.db, &mut conn, sql).await?;
            match found.len() {
                0 => continue,
                1 => return Ok(found.remove(0)),
                _ => {
                    return Err(StoreError::Ambiguous {
                        ident: ident.to_string(),
                        candidates: found.into_iter().map(T::candidate).collect(),
                    });
                }
            }
        }
        Err(StoreError::not_found(T::ENTITY, ident))
    }

    /// Replaces a record. The revision is checked against the row read, locked, in the write
    /// transaction; a record that already says what the draft says is left as it is.
    pub(crate) async fn update<T: Entity>(
        &self,
        ctx: &ChangeContext,
        id: Uuid,
        draft: impl Validate<T>,
        if_revision: Option<i64>,
    ) -> Result<T> {
        let mut new = draft.into_valid()?;
        check_same_id(id, new.given().id)?;
        let expected = expected_revision(if_revision, new.given().revision)?;
        let mut tx = self.begin_write().await?;
        T::lock(&self.db, &mut tx).await?;
        let current = locked::<T>(&self.db, &mut tx, id).await?;
        check_revision(expected, current.revision())?;
        T::derive(&self.db, &mut tx, &mut new).await?;
        if new.same_content(&current) {
            return Ok(current);
        }
        T::check(&self.db, &mut tx, id, &new, Some(&current)).await?;
        let now = Timestamp::now();
        let updated = new.into_record(id, current.created_at(), now, current.revision() + 1);
        rewrite(&self.db, &mut tx, &current, &updated).await?;
        let change = Change::new(T::ENTITY, id, Some(&current), Some(&updated));
        changes::record(&self.db, &mut tx, ctx, ctx.source, now, vec![change]).await?;
        tx.commit().await?;
        Ok(updated)
    }

    pub(crate) async fn delete<T: Entity>(
        &self,
        ctx: &ChangeContext,
        id: Uuid,
        cascade: bool,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        T::lock(&self.db, &mut tx).await?;
        let record = locked::<T>(&self.db, &mut tx, id).await?;
        let log = T::remove(&self.db, &mut tx, record, cascade).await?;
        changes::record(&self.db, &mut tx, ctx, ctx.source, Timestamp::now(), log).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records matching the filter in [`Entity::ORDER`], a page at a time (keyset
    /// pagination); two statements (page and total) whatever the page size.
    pub(crate) async fn list<T: Entity>(
        &self,
        filter: &T::Filter,
        p: &PageRequest,
    ) -> Result<Page<T>> {
        let limit = cursor::fetch_limit(p)?;
        let after = cursor::decode(p, T::ORDER.len())?;
        let order = T::ORDER.join(", ");
        let mut conn = self.read_conn().await?;
        let mut sql = select::<T>(" WHERE 1 = 1");
        T::filter_sql(&mut sql, filter);
        if let Some(key) = after {
            sql.push(" AND (").push(&order).push(") > ");
            sql.bind_tuple(key.into_iter().map(Arg::from));
        }
        sql.push(" ORDER BY ")
            .push(&order)
            .push(" LIMIT ")
            .bind(limit);
        let items = fetch_all(&self.db, &mut conn, sql).await?;
        let mut count = Sql::new(format!("SELECT COUNT(*) FROM {} WHERE 1 = 1", T::TABLE));
        T::filter_sql(&mut count, filter);
        let total = self.db.fetch_count(&mut conn, count).await?;
        Ok(cursor::finish(items, p, total, |r| {
            T::ORDER.iter().map(|column| key_text(r, column)).collect()
        }))
    }
}

/// The record to update or delete, locked for the rest of the transaction
/// ([`fetch_for_update`]).
async fn locked<T: Entity>(db: &Db, conn: &mut Conn, id: Uuid) -> Result<T> {
    fetch_for_update(db, conn, T::TABLE, T::COLUMNS, id, from_row)
        .await?
        .ok_or_else(|| StoreError::not_found(T::ENTITY, id))
}
