//! The one door every statement goes through: it binds portable values, counts statements
//! (so tests can prove a list call runs a constant number of them) and logs slow ones with
//! their SQL text, never their bound values.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, AssertSqlSafe, Row};
use unet_core::entity::FieldValue;
use unet_core::{Timestamp, Uuid};

use crate::{Backend, Result};

/// A value bound to a statement: only text and 64-bit integers are portable through `Any`.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(Option<String>),
    Int(Option<i64>),
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(Some(v.to_string()))
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(Some(v))
    }
}
impl From<&String> for Arg {
    fn from(v: &String) -> Self {
        Arg::Text(Some(v.clone()))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v)
    }
}
impl From<&Option<String>> for Arg {
    fn from(v: &Option<String>) -> Self {
        Arg::Text(v.clone())
    }
}
impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::Int(v)
    }
}
impl From<Uuid> for Arg {
    fn from(v: Uuid) -> Self {
        Arg::Text(Some(v.to_string()))
    }
}
impl From<Option<Uuid>> for Arg {
    fn from(v: Option<Uuid>) -> Self {
        Arg::Text(v.map(|u| u.to_string()))
    }
}
impl From<FieldValue> for Arg {
    fn from(v: FieldValue) -> Self {
        match v {
            FieldValue::Text(text) => Arg::Text(text),
            FieldValue::Integer(n) => Arg::Int(n),
        }
    }
}
impl From<Timestamp> for Arg {
    fn from(v: Timestamp) -> Self {
        Arg::Text(Some(v.to_string()))
    }
}

/// SQL text with its arguments, built piece by piece; `bind` writes the `$n` parameter marker,
/// which both backends accept.
#[derive(Debug, Default)]
pub(crate) struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    pub(crate) fn new(text: impl Into<String>) -> Self {
        Sql {
            text: text.into(),
            args: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    pub(crate) fn bind(&mut self, arg: impl Into<Arg>) -> &mut Self {
        use std::fmt::Write;
        self.args.push(arg.into());
        // Writing into a String cannot fail.
        let _ = write!(self.text, "${}", self.args.len());
        self
    }

    /// `(…, …, …)` of parameter markers, for multi-row `VALUES` and `IN` lists.
    pub(crate) fn bind_tuple(&mut self, args: impl IntoIterator<Item = Arg>) -> &mut Self {
        self.text.push('(');
        for (i, arg) in args.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(arg);
        }
        self.text.push(')');
        self
    }
}

/// `$1, $2, …` as SQLite's anonymous `?`. Parameter markers are numbered in text order (see
/// [`Sql::bind`]), so the order is the same; SQLite looks every *named* parameter up in a list,
/// which makes a multi-row insert with thousands of `$n` quadratic to prepare.
fn positional(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
            out.push_str(&text[copied..i]);
            out.push('?');
            i += 1;
            while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            copied = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// SQLite allows 32,766 bound parameters per statement; stay well below on both backends.
pub(crate) const MAX_BINDS: usize = 30_000;

/// A statement with its values encoded, ready for [`Db::execute_prepared`]; the text with `$n`
/// parameter markers stays for the slow-statement log.
pub(crate) struct Statement {
    text: String,
    query: sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments>,
}

#[derive(Clone)]
pub(crate) struct Db {
    pub(crate) pool: AnyPool,
    pub(crate) backend: Backend,
    /// SQLite has one writer at a time: writers of this process take turns here, in order,
    /// instead of retrying the database lock in SQLite's busy handler (sleeps and CPU).
    pub(crate) writer: Arc<tokio::sync::Mutex<()>>,
    /// How long a writer waits for its turn (then for the lock itself, in SQLite).
    pub(crate) busy_timeout: Duration,
    statements: Arc<AtomicU64>,
    slow_query_threshold: Duration,
}

impl Db {
    pub(crate) fn new(
        pool: AnyPool,
        backend: Backend,
        busy_timeout: Duration,
        slow_query_threshold: Duration,
    ) -> Self {
        Db {
            pool,
            backend,
            writer: Arc::default(),
            busy_timeout,
            statements: Arc::new(AtomicU64::new(0)),
            slow_query_threshold,
        }
    }

    pub(crate) fn statements_executed(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// `sql` ready to run: parameter markers in the backend's form and every value encoded. This
    /// is the costly part of a large statement, so a bulk writer does it on another thread
    /// while the database runs the previous statement.
    pub(crate) fn prepare(&self, sql: Sql) -> Statement {
        let Sql { text, args } = sql;
        let backend_text = match self.backend {
            Backend::Sqlite => positional(&text),
            Backend::Postgres => text.clone(),
        };
        let mut query = sqlx::query(AssertSqlSafe(backend_text));
        for arg in args {
            // Owned values move into the arguments; binding an `Option<String>` would copy.
            query = match arg {
                Arg::Text(Some(v)) => query.bind(v),
                Arg::Text(None) => query.bind(None::<String>),
                Arg::Int(v) => query.bind(v),
            };
        }
        Statement { text, query }
    }

    fn finish(&self, text: &str, started: Instant) {
        self.statements.fetch_add(1, Ordering::Relaxed);
        let elapsed = started.elapsed();
        if elapsed > self.slow_query_threshold {
            tracing::warn!(
                target: "unet::db",
                event = "slow_query",
                duration_ms = elapsed.as_secs_f64() * 1000.0,
                sql = %text,
                "slow statement"
            );
        }
    }

    pub(crate) async fn fetch_all(
        &self,
        conn: &mut AnyConnection,
        sql: Sql,
    ) -> Result<Vec<AnyRow>> {
        let started = Instant::now();
        let Statement { text, query } = self.prepare(sql);
        let rows = query.fetch_all(&mut *conn).await;
        self.finish(&text, started);
        Ok(rows?)
    }

    pub(crate) async fn fetch_optional(
        &self,
        conn: &mut AnyConnection,
        sql: Sql,
    ) -> Result<Option<AnyRow>> {
        let started = Instant::now();
        let Statement { text, query } = self.prepare(sql);
        let row = query.fetch_optional(&mut *conn).await;
        self.finish(&text, started);
        Ok(row?)
    }

    pub(crate) async fn execute(&self, conn: &mut AnyConnection, sql: Sql) -> Result<u64> {
        self.execute_prepared(conn, self.prepare(sql)).await
    }

    /// Runs a statement [`Db::prepare`] made, counted and timed like any other.
    pub(crate) async fn execute_prepared(
        &self,
        conn: &mut AnyConnection,
        statement: Statement,
    ) -> Result<u64> {
        let started = Instant::now();
        let Statement { text, query } = statement;
        let done = query.execute(&mut *conn).await;
        self.finish(&text, started);
        Ok(done?.rows_affected())
    }

    /// Rows of `head IN (…) tail` for every key, one statement per chunk of keys under the
    /// bind limit, read with `read` in the order the statements return them.
    pub(crate) async fn fetch_in<K, T>(
        &self,
        conn: &mut AnyConnection,
        head: &str,
        keys: &[K],
        tail: &str,
        mut read: impl FnMut(&AnyRow) -> Result<T>,
    ) -> Result<Vec<T>>
    where
        K: Clone + Into<Arg>,
    {
        let mut out = Vec::with_capacity(keys.len());
        for chunk in chunks(keys, 1) {
            let mut sql = Sql::new(head);
            sql.push(" IN ");
            sql.bind_tuple(chunk.iter().cloned().map(Into::into));
            sql.push(tail);
            for row in self.fetch_all(conn, sql).await? {
                out.push(read(&row)?);
            }
        }
        Ok(out)
    }

    /// Whether `table` holds any row: an import skips looking up keys in an empty table.
    pub(crate) async fn has_rows(&self, conn: &mut AnyConnection, table: &str) -> Result<bool> {
        let sql = Sql::new(format!("SELECT 1 FROM {table} LIMIT 1"));
        Ok(self.fetch_optional(conn, sql).await?.is_some())
    }

    /// A scalar `COUNT(*)`-like integer from the first column of the first row.
    pub(crate) async fn fetch_count(&self, conn: &mut AnyConnection, sql: Sql) -> Result<u64> {
        let row = self.fetch_optional(conn, sql).await?;
        let n: i64 = match row {
            Some(row) => row.try_get(0)?,
            None => 0,
        };
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

/// Column readers that turn malformed stored values into decode errors instead of panics.
pub(crate) fn get_uuid(row: &AnyRow, column: &str) -> Result<Uuid> {
    let text: String = row.try_get(column)?;
    parse_uuid(column, &text)
}

pub(crate) fn get_timestamp(row: &AnyRow, column: &str) -> Result<Timestamp> {
    let text: String = row.try_get(column)?;
    text.parse().map_err(|e| decode_error(column, e))
}

pub(crate) fn get_opt_timestamp(row: &AnyRow, column: &str) -> Result<Option<Timestamp>> {
    let text: Option<String> = row.try_get(column)?;
    text.map(|t| t.parse().map_err(|e| decode_error(column, e)))
        .transpose()
}

/// A count or size as the BIGINT column that holds it (saturating: no such value reaches 2^63).
pub(crate) fn as_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(crate) fn get_json(row: &AnyRow, column: &str) -> Result<serde_json::Value> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|e| decode_error(column, e))
}

pub(crate) fn get_opt_json(row: &AnyRow, column: &str) -> Result<Option<serde_json::Value>> {
    let text: Option<String> = row.try_get(column)?;
    text.map(|t| serde_json::from_str(&t).map_err(|e| decode_error(column, e)))
        .transpose()
}

pub(crate) fn get_parsed<T>(row: &AnyRow, column: &str) -> Result<T>
where
    T: std::str::FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let text: String = row.try_get(column)?;
    text.parse().map_err(|e| decode_error(column, e))
}

fn parse_uuid(column: &str, text: &str) -> Result<Uuid> {
    Uuid::parse_str(text).map_err(|e| decode_error(column, e))
}

pub(crate) fn decode_error(
    column: &str,
    source: impl std::error::Error + Send + Sync + 'static,
) -> crate::StoreError {
    crate::StoreError::Database(sqlx::Error::ColumnDecode {
        index: column.to_string(),
        source: Box::new(source),
    })
}

/// Maps a unique-constraint violation to a conflict with a message the operator understands;
/// other errors pass through.
pub(crate) fn on_unique_violation(
    err: crate::StoreError,
    message: impl FnOnce() -> String,
) -> crate::StoreError {
    match &err {
        crate::StoreError::Database(sqlx::Error::Database(db)) if db.is_unique_violation() => {
            crate::StoreError::conflict(message())
        }
        _ => err,
    }
}

/// Runs `build` once per chunk of `items`, each chunk small enough for the bind limit given
/// `binds_per_item`; used for multi-row inserts and `IN (…)` lookups.
pub(crate) fn chunks<T>(items: &[T], binds_per_item: usize) -> std::slice::Chunks<'_, T> {
    items.chunks(rows_per_statement(binds_per_item))
}

/// Rows (or keys) per statement with `binds_per_item` values each: under the bind limit, and
/// at most 200, beyond which longer statements stop paying off.
pub(crate) fn rows_per_statement(binds_per_item: usize) -> usize {
    (MAX_BINDS / binds_per_item.max(1)).clamp(1, 200)
}

/// `head (…), (…) tail` statements for `rows` (multi-row `VALUES`, `IN (VALUES …)`), as many
/// rows per statement as the bind limit allows, built lazily one statement at a time (so a
/// writer can execute one while the next is being built). The values move into the statements.
pub(crate) fn multi_row<'a, const N: usize>(
    rows: impl IntoIterator<Item = [Arg; N]> + 'a,
    head: &'a str,
    tail: &'a str,
) -> impl Iterator<Item = Sql> + 'a {
    rows_of(rows, N, Cow::Borrowed(head), tail)
}

/// [`multi_row`] for rows of `binds_per_row` values each, however a row holds them.
pub(crate) fn rows_of<'a, R: IntoIterator<Item = Arg>>(
    rows: impl IntoIterator<Item = R> + 'a,
    binds_per_row: usize,
    head: Cow<'a, str>,
    tail: &'a str,
) -> impl Iterator<Item = Sql> + 'a {
    let per_statement = rows_per_statement(binds_per_row);
    let mut rows = rows.into_iter().peekable();
    std::iter::from_fn(move || {
        rows.peek()?;
        let mut sql = Sql::new(head.as_ref());
        for (i, row) in rows.by_ref().take(per_statement).enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind_tuple(row);
        }
        sql.push(tail);
        Some(sql)
    })
}

/// Appends ` IN ($a, $b, …)` for the ids.
pub(crate) fn push_in(sql: &mut Sql, ids: &[Uuid]) {
    sql.push(" IN ");
    sql.bind_tuple(ids.iter().map(|id| Arg::from(*id)));
}

impl Db {
    /// Runs a multi-statement script (a migration), counted and timed like any statement.
    pub(crate) async fn execute_script(
        &self,
        conn: &mut AnyConnection,
        script: &'static str,
    ) -> Result<()> {
        let started = Instant::now();
        let done = sqlx::raw_sql(script).execute(&mut *conn).await;
        self.finish(script, started);
        done?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_numbered_in_text_order_and_become_positional_for_sqlite() {
        let mut sql = Sql::new("SELECT 1 WHERE a = ");
        sql.bind("x").push(" AND (b, c) IN ");
        sql.bind_tuple([Arg::from(1), Arg::from("y")]);
        assert_eq!(sql.text, "SELECT 1 WHERE a = $1 AND (b, c) IN ($2, $3)");
        assert_eq!(
            positional(&sql.text),
            "SELECT 1 WHERE a = ? AND (b, c) IN (?, ?)"
        );
    }
}
