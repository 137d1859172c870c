//! The change history: rows written in the mutation's own transaction, listed newest first.

use sqlx::Row;
use sqlx::any::AnyRow;
use unet_core::{
    ChangeAction, ChangeContext, ChangeFilter, ChangeSource, ConfigurationChange, EntityType, Page,
    PageRequest, Timestamp, Uuid,
};

use crate::db::{Arg, Db, MAX_BINDS, Sql, get_opt_json, get_parsed, get_timestamp, get_uuid};
use crate::{Conn, Result, Store, cursor};

/// One mutation to record: what changed and its state before and after, as JSON text.
pub(crate) struct Change {
    pub entity_type: EntityType,
    pub entity_id: Uuid,
    pub action: ChangeAction,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl Change {
    pub(crate) fn new<T: serde::Serialize>(
        entity_type: EntityType,
        entity_id: Uuid,
        before: Option<&T>,
        after: Option<&T>,
    ) -> Change {
        let action = match (before.is_some(), after.is_some()) {
            (false, _) => ChangeAction::Create,
            (true, true) => ChangeAction::Update,
            (true, false) => ChangeAction::Delete,
        };
        // Entities are plain data (strings, numbers, JSON objects): serialising cannot fail.
        let json = |v: &T| serde_json::to_string(v).unwrap_or_else(|_| "null".to_string());
        Change {
            entity_type,
            entity_id,
            action,
            before: before.map(json),
            after: after.map(json),
        }
    }
}

const CHANGE_COLUMNS: usize = 4;
/// Rows per multi-row insert; a fixed size keeps the prepared statement reusable.
const CHANGE_CHUNK: usize = 200;
const _: () = assert!(CHANGE_CHUNK * CHANGE_COLUMNS <= MAX_BINDS);

/// One row per change, in order, in as few statements as the bind limit allows; built
/// lazily so a writer can execute one statement while the next is being built.
pub(crate) fn record_sql(
    ctx: &ChangeContext,
    source: ChangeSource,
    at: Timestamp,
    changes: Vec<Change>,
) -> impl Iterator<Item = Sql> + '_ {
    let mut rest = changes.into_iter().peekable();
    std::iter::from_fn(move || {
        let first = rest.peek()?;
        // Who, how, when and the request are the same for every row, and a statement takes a
        // run of changes of one entity type and action: those are bound once per statement.
        let (entity_type, action) = (first.entity_type, first.action);
        let mut sql = Sql::new("WITH batch (id, entity_id, before, after) AS (VALUES ");
        for i in 0..CHANGE_CHUNK {
            let Some(c) = rest.next_if(|c| c.entity_type == entity_type && c.action == action)
            else {
                break;
            };
            if i > 0 {
                sql.push(", ");
            }
            sql.bind_tuple([
                // Time-ordered ids append to the unique index instead of landing at random.
                Arg::from(Uuid::now_v7()),
                c.entity_id.into(),
                c.before.into(),
                c.after.into(),
            ]);
        }
        sql.push(
            ") INSERT INTO configuration_changes (id, entity_type, entity_id, action, before, after, \
             actor, source, request_id, created_at) SELECT id, ",
        );
        sql.bind(entity_type.as_str())
            .push(", entity_id, ")
            .bind(action.as_str())
            .push(", before, after, ")
            .bind(ctx.actor.as_str())
            .push(", ")
            .bind(source.as_str())
            .push(", ")
            .bind(ctx.request_id.clone())
            .push(", ")
            .bind(at)
            .push(" FROM batch");
        Some(sql)
    })
}

/// Writes one row per change in the caller's transaction.
pub(crate) async fn record(
    db: &Db,
    conn: &mut Conn,
    ctx: &ChangeContext,
    source: ChangeSource,
    at: Timestamp,
    changes: Vec<Change>,
) -> Result<()> {
    for sql in record_sql(ctx, source, at, changes) {
        db.execute(conn, sql).await?;
    }
    Ok(())
}

fn change_from_row(row: &AnyRow) -> Result<ConfigurationChange> {
    Ok(ConfigurationChange {
        id: get_uuid(row, "id")?,
        entity_type: get_parsed(row, "entity_type")?,
        entity_id: get_uuid(row, "entity_id")?,
        action: get_parsed(row, "action")?,
        actor: row.try_get("actor")?,
        source: get_parsed(row, "source")?,
        before: get_opt_json(row, "before")?,
        after: get_opt_json(row, "after")?,
        request_id: row.try_get("request_id")?,
        created_at: get_timestamp(row, "created_at")?,
    })
}

fn filter_sql(sql: &mut Sql, f: &ChangeFilter) {
    sql.push(" WHERE 1 = 1");
    if let Some(t) = f.entity_type {
        sql.push(" AND entity_type = ").bind(t.as_str());
    }
    if let Some(id) = f.entity_id {
        sql.push(" AND entity_id = ").bind(id);
    }
    if let Some(a) = f.action {
        sql.push(" AND action = ").bind(a.as_str());
    }
    if let Some(s) = f.source {
        sql.push(" AND source = ").bind(s.as_str());
    }
    if let Some(actor) = &f.actor {
        sql.push(" AND actor = ").bind(actor);
    }
    if let Some(since) = f.since {
        sql.push(" AND created_at >= ").bind(since);
    }
}

impl Store {
    /// Changes matching the filter, newest first.
    pub async fn list_changes(
        &self,
        f: &ChangeFilter,
        p: &PageRequest,
    ) -> Result<Page<ConfigurationChange>> {
        let limit = cursor::fetch_limit(p)?;
        let after = match cursor::decode(p, 1)? {
            Some(key) => Some(key[0].parse::<i64>().map_err(|_| {
                unet_core::CoreError::invalid(
                    "cursor",
                    "a cursor returned by a previous page",
                    p.cursor.clone().unwrap_or_default(),
                )
            })?),
            None => None,
        };
        let mut conn = self.read_conn().await?;
        let mut sql = Sql::new(
            "SELECT seq, id, entity_type, entity_id, action, actor, source, before, after, request_id, created_at FROM configuration_changes",
        );
        filter_sql(&mut sql, f);
        if let Some(seq) = after {
            sql.push(" AND seq < ").bind(seq);
        }
        sql.push(" ORDER BY seq DESC LIMIT ").bind(limit);
        let rows = self.db.fetch_all(&mut conn, sql).await?;
        let mut count = Sql::new("SELECT COUNT(*) FROM configuration_changes");
        filter_sql(&mut count, f);
        let total = self.db.fetch_count(&mut conn, count).await?;
        let mut items = Vec::with_capacity(rows.len());
        for row in &rows {
            let seq: i64 = row.try_get("seq")?;
            items.push((seq, change_from_row(row)?));
        }
        let page = cursor::finish(items, p, total, |(seq, _)| vec![seq.to_string()]);
        Ok(Page {
            items: page.items.into_iter().map(|(_, c)| c).collect(),
            next_cursor: page.next_cursor,
            total: page.total,
        })
    }

    /// The history of one node, newest first.
    pub async fn node_history(
        &self,
        id: Uuid,
        p: &PageRequest,
    ) -> Result<Page<ConfigurationChange>> {
        let filter = ChangeFilter {
            entity_type: Some(EntityType::Node),
            entity_id: Some(id),
            ..ChangeFilter::default()
        };
        self.list_changes(&filter, p).await
    }
}
