//! Status events: what successive polls revealed about a node (written with each poll by
//! `Store::record_poll`), listed newest first with a keyset cursor, and deleted past their
//! retention.

use sqlx::Row;
use sqlx::any::AnyRow;
use unet_core::{StatusEvent, StatusEventKind, Timestamp, Uuid};

use crate::db::{Sql, get_json, get_parsed, get_timestamp, get_uuid};
use crate::{Result, Store};

/// Which events to list; every field narrows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    pub node: Option<Uuid>,
    pub kind: Option<StatusEventKind>,
    pub since: Option<Timestamp>,
    /// Keyset cursor: events strictly older than this event (newest first, then by id).
    pub before: Option<Uuid>,
}

fn push_event_filter(sql: &mut Sql, filter: &EventFilter) {
    if let Some(node) = filter.node {
        sql.push(" AND e.node_id = ").bind(node);
    }
    if let Some(kind) = filter.kind {
        sql.push(" AND e.kind = ").bind(kind.as_str());
    }
    if let Some(since) = filter.since {
        sql.push(" AND e.occurred_at >= ").bind(since);
    }
}

fn read_event(row: &AnyRow) -> Result<StatusEvent> {
    Ok(StatusEvent {
        id: get_uuid(row, "id")?,
        node_id: get_uuid(row, "node_id")?,
        node: row.try_get("name")?,
        kind: get_parsed(row, "kind")?,
        interface: row.try_get("interface")?,
        detail: get_json(row, "detail")?,
        occurred_at: get_timestamp(row, "occurred_at")?,
    })
}

impl Store {
    /// Status events newest first, at most `limit`. One statement.
    pub async fn status_events(
        &self,
        filter: &EventFilter,
        limit: u32,
    ) -> Result<Vec<StatusEvent>> {
        let mut conn = self.read_conn().await?;
        let mut sql = Sql::new(
            "SELECT e.id, e.node_id, n.name, e.kind, e.interface, e.detail, e.occurred_at \
             FROM status_events e JOIN nodes n ON n.id = e.node_id WHERE 1 = 1",
        );
        push_event_filter(&mut sql, filter);
        if let Some(id) = filter.before {
            sql.push(
                " AND (e.occurred_at, e.id) < \
                 (SELECT b.occurred_at, b.id FROM status_events b WHERE b.id = ",
            )
            .bind(id)
            .push(")");
        }
        sql.push(" ORDER BY e.occurred_at DESC, e.id DESC LIMIT ")
            .bind(i64::from(limit));
        self.db
            .fetch_all(&mut conn, sql)
            .await?
            .iter()
            .map(read_event)
            .collect()
    }

    /// How many events match `filter` (its cursor aside). One statement.
    pub async fn count_status_events(&self, filter: &EventFilter) -> Result<u64> {
        let mut conn = self.read_conn().await?;
        let mut sql = Sql::new("SELECT COUNT(*) FROM status_events e WHERE 1 = 1");
        push_event_filter(&mut sql, filter);
        self.db.fetch_count(&mut conn, sql).await
    }

    /// Deletes status events older than `before`; returns how many. One statement.
    pub async fn purge_status_events(&self, before: Timestamp) -> Result<u64> {
        let mut conn = self.write_conn().await?;
        let mut sql = Sql::new("DELETE FROM status_events WHERE occurred_at < ");
        sql.bind(before);
        self.db.execute(&mut conn, sql).await
    }
}
