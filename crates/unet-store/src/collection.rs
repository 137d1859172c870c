//! Collection bookkeeping: which managed nodes are due, how each one's last attempt ended, and
//! the SSH host key each node presented first. A node is *managed* when it is active or staged
//! and has a management address; those are the nodes the collector fetches.

use serde::Serialize;
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;
use unet_core::{
    CollectionResult, ConfigSource, EntityType, NodeStatus, Platform, Timestamp, Uuid,
};

use crate::db::{Arg, Sql, as_i64, get_json, get_opt_timestamp, get_parsed, get_uuid, push_in};
use crate::running_configs::{LATEST_VERSION, content_key};
use crate::{Result, Retention, Store, StoreError};

/// The node states whose devices are collected (and polled).
pub(crate) const MANAGED: &str = "n.status IN ('active', 'staged') AND n.management_ip IS NOT NULL";

/// A node as the collector needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectionTarget {
    pub node_id: Uuid,
    pub name: String,
    pub status: NodeStatus,
    pub management_ip: Option<String>,
    pub platform: Platform,
    pub custom_data: Value,
    /// The host key pinned on first contact.
    pub host_key: Option<String>,
    /// Failed attempts in a row before this one.
    pub failures: u32,
}

/// What one attempt recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionAttempt<'a> {
    pub started_at: Timestamp,
    pub duration_ms: u64,
    pub outcome: AttemptOutcome<'a>,
    pub next_due_at: Timestamp,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome<'a> {
    /// A configuration came back (its text already checked with `config_text`): stored as a
    /// new version when its meaningful content changed, and the host key pinned when the node
    /// has none yet (trust on first use).
    Fetched {
        config: &'a str,
        /// The platform the configuration was read as (its volatile lines).
        platform: Platform,
        retention: Retention,
        pin_host_key: Option<(String, String)>,
    },
    /// No configuration: the failure's class and what happened.
    Failed {
        result: CollectionResult,
        message: String,
    },
}

/// What recording an attempt did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// `stored` or `unchanged` for a fetched configuration, else the failure's class.
    pub result: CollectionResult,
    /// The version stored or found unchanged, for a fetched configuration.
    pub version: Option<u64>,
    /// Failed attempts in a row now.
    pub failures: u32,
}

/// A managed node's collection status, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CollectionStatus {
    pub node_id: Uuid,
    pub node: String,
    /// `None` until the first attempt.
    pub last_attempt_at: Option<Timestamp>,
    pub last_success_at: Option<Timestamp>,
    pub duration_ms: Option<u64>,
    pub result: Option<CollectionResult>,
    pub message: Option<String>,
    /// Failed attempts in a row.
    pub failures: u32,
    /// When the scheduler collects it next (`None`: at once, never attempted).
    pub next_due_at: Option<Timestamp>,
    pub version: Option<u64>,
    /// SHA256 fingerprint of the pinned host key.
    pub host_key: Option<String>,
}

/// Which statuses to list; every field narrows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CollectionFilter {
    pub result: Option<CollectionResult>,
    /// Only nodes whose last attempt failed.
    pub failing: bool,
}

/// The fleet's collection figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CollectionSummary {
    /// Nodes the collector fetches (active or staged, with a management address).
    pub managed: u64,
    /// Managed nodes due now (never collected, or their next time has come).
    pub due: u64,
    /// Managed nodes whose last attempt failed.
    pub failing: u64,
    /// Managed nodes never collected successfully.
    pub never_collected: u64,
}

fn as_u64(row: &AnyRow, column: &str) -> Result<Option<u64>> {
    let n: Option<i64> = row.try_get(column)?;
    Ok(n.and_then(|n| u64::try_from(n).ok()))
}

const TARGET_COLUMNS: &str = "SELECT n.id, n.name, n.status, n.management_ip, n.platform, \
     n.custom_data, k.host_key, s.failures FROM nodes n \
     LEFT JOIN collection_status s ON s.node_id = n.id \
     LEFT JOIN node_host_keys k ON k.node_id = n.id";

fn read_target(row: &AnyRow) -> Result<CollectionTarget> {
    let failures: Option<i64> = row.try_get("failures")?;
    Ok(CollectionTarget {
        node_id: get_uuid(row, "id")?,
        name: row.try_get("name")?,
        status: get_parsed(row, "status")?,
        management_ip: row.try_get("management_ip")?,
        platform: get_parsed(row, "platform")?,
        custom_data: get_json(row, "custom_data")?,
        host_key: row.try_get("host_key")?,
        failures: failures.and_then(|n| u32::try_from(n).ok()).unwrap_or(0),
    })
}

impl Store {
    /// Managed nodes due at `now` (never attempted first, then the longest overdue), at most
    /// `limit`, leaving out `busy` (nodes being collected: still due until their result is
    /// recorded). One statement.
    pub async fn collection_due(
        &self,
        now: Timestamp,
        limit: u32,
        busy: &[Uuid],
    ) -> Result<Vec<CollectionTarget>> {
        let mut conn = self.read_conn().await?;
        let sql = due_query(TARGET_COLUMNS, now, limit, busy);
        self.db
            .fetch_all(&mut conn, sql)
            .await?
            .iter()
            .map(read_target)
            .collect()
    }

    /// One node as the collector needs it, managed or not. One statement.
    pub async fn collection_target(&self, node_id: Uuid) -> Result<CollectionTarget> {
        let mut conn = self.read_conn().await?;
        let mut sql = Sql::new(format!("{TARGET_COLUMNS} WHERE n.id = "));
        sql.bind(node_id);
        match self.db.fetch_optional(&mut conn, sql).await? {
            Some(row) => read_target(&row),
            None => Err(StoreError::not_found(EntityType::Node, node_id)),
        }
    }

    /// The managed node at this management address, if exactly one is. One statement.
    pub async fn managed_node_at(&self, address: &str) -> Result<Option<Uuid>> {
        let mut conn = self.read_conn().await?;
        let mut sql = Sql::new(format!(
            "SELECT n.id FROM nodes n WHERE {MANAGED} AND n.management_ip = "
        ));
        sql.bind(address).push(" LIMIT 2");
        let rows = self.db.fetch_all(&mut conn, sql).await?;
        match rows.as_slice() {
            [row] => Ok(Some(get_uuid(row, "id")?)),
            _ => Ok(None),
        }
    }

    /// Records an attempt in one transaction: a fetched configuration's push (see
    /// [`Store::push_running_config`]), the node's status and its first host key. A node
    /// deleted meanwhile records nothing (`None`).
    ///
    /// A configuration whose meaningful content is the latest version's (the steady state of
    /// a fleet) is recorded by one statement: the status written only where the node still has
    /// that platform and that latest version. Anything else takes the transaction.
    pub async fn record_collection(
        &self,
        node_id: Uuid,
        attempt: &CollectionAttempt<'_>,
    ) -> Result<Option<Recorded>> {
        if let AttemptOutcome::Fetched {
            config,
            platform,
            pin_host_key: None,
            ..
        } = &attempt.outcome
            && let Some(recorded) = self
                .record_unchanged(node_id, *platform, config, attempt)
                .await?
        {
            return Ok(Some(recorded));
        }
        let mut tx = self.begin_write().await?;
        let (result, message, version, pin) = match &attempt.outcome {
            AttemptOutcome::Fetched {
                config,
                retention,
                pin_host_key,
                ..
            } => {
                let taken_at = Some(attempt.started_at);
                let source = ConfigSource::Collected;
                let Some(pushed) = self
                    .push_in(&mut tx, node_id, source, taken_at, config, retention)
                    .await?
                else {
                    return Ok(None);
                };
                let result = if pushed.created {
                    CollectionResult::Stored
                } else {
                    CollectionResult::Unchanged
                };
                (
                    result,
                    None,
                    Some(pushed.info.version),
                    pin_host_key.as_ref(),
                )
            }
            AttemptOutcome::Failed { result, message } => (*result, Some(message), None, None),
        };
        let mut upsert = status_upsert(attempt, result, message);
        upsert
            .bind(version.map(as_i64))
            .push(" FROM nodes n WHERE n.id = ")
            .bind(node_id);
        let Some(row) = self
            .db
            .fetch_optional(&mut tx, on_status_conflict(upsert))
            .await?
        else {
            return Ok(None);
        };
        let failures = returned_failures(&row)?;
        if let Some((key, fingerprint)) = pin {
            let mut pin = Sql::new(
                "INSERT INTO node_host_keys (node_id, host_key, fingerprint, pinned_at) VALUES ",
            );
            pin.bind_tuple([
                Arg::from(node_id),
                Arg::from(key.as_str()),
                Arg::from(fingerprint.as_str()),
                Arg::from(attempt.started_at),
            ])
            .push(" ON CONFLICT (node_id) DO NOTHING");
            self.db.execute(&mut tx, pin).await?;
        }
        tx.commit().await?;
        Ok(Some(Recorded {
            result,
            version,
            failures,
        }))
    }

    /// The status of a fetched configuration that is the node's latest version, in one
    /// statement; `None` when it is not (or the node is gone, or its platform changed).
    async fn record_unchanged(
        &self,
        node_id: Uuid,
        platform: Platform,
        config: &str,
        attempt: &CollectionAttempt<'_>,
    ) -> Result<Option<Recorded>> {
        let result = CollectionResult::Unchanged;
        let mut upsert = status_upsert(attempt, result, None);
        upsert
            .push(format!("r.version FROM nodes n JOIN running_configs r ON r.node_id = n.id{LATEST_VERSION} WHERE n.id = ").as_str())
            .bind(node_id)
            .push(" AND n.platform = ")
            .bind(platform.as_str())
            .push(" AND r.content_key = ")
            .bind(content_key(platform, config));
        let mut conn = self.write_conn().await?;
        let Some(row) = self
            .db
            .fetch_optional(&mut conn, on_status_conflict(upsert))
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(Recorded {
            result,
            version: as_u64(&row, "version")?,
            failures: returned_failures(&row)?,
        }))
    }

    /// Forgets the node's pinned host key, so the next collection pins the one it meets.
    /// Returns the fingerprint forgotten, if there was one.
    pub async fn forget_host_key(&self, node_id: Uuid) -> Result<Option<String>> {
        let mut tx = self.begin_write().await?;
        let mut exists = Sql::new(
            "SELECT k.fingerprint FROM nodes n LEFT JOIN node_host_keys k ON k.node_id = n.id WHERE n.id = ",
        );
        exists.bind(node_id);
        let Some(row) = self.db.fetch_optional(&mut tx, exists).await? else {
            return Err(StoreError::not_found(EntityType::Node, node_id));
        };
        let fingerprint: Option<String> = row.try_get("fingerprint")?;
        let mut delete = Sql::new("DELETE FROM node_host_keys WHERE node_id = ");
        delete.bind(node_id);
        self.db.execute(&mut tx, delete).await?;
        tx.commit().await?;
        Ok(fingerprint)
    }

    /// Makes every managed node due at `now` (a fleet-wide collection on demand); returns how
    /// many nodes are managed. One statement plus the count.
    pub async fn collection_make_due(&self, now: Timestamp) -> Result<u64> {
        self.make_due("collection_status", now).await
    }

    /// Makes every managed node's row of `status_table` due at `now`; returns how many nodes
    /// are managed. One statement plus the count.
    pub(crate) async fn make_due(&self, status_table: &str, now: Timestamp) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let mut update = Sql::new(format!("UPDATE {status_table} SET next_due_at = "));
        update
            .bind(now)
            .push(format!(" WHERE node_id IN (SELECT n.id FROM nodes n WHERE {MANAGED})").as_str());
        self.db.execute(&mut tx, update).await?;
        let count = self
            .db
            .fetch_count(
                &mut tx,
                Sql::new(format!("SELECT COUNT(*) FROM nodes n WHERE {MANAGED}")),
            )
            .await?;
        tx.commit().await?;
        Ok(count)
    }

    /// Managed nodes' collection statuses matching `filter`, by node name, at most `limit`.
    /// One statement.
    pub async fn collection_statuses(
        &self,
        filter: &CollectionFilter,
        limit: u32,
    ) -> Result<Vec<CollectionStatus>> {
        let mut conn = self.read_conn().await?;
        let mut sql = Sql::new(format!(
            "SELECT n.id, n.name, s.last_attempt_at, s.last_success_at, s.duration_ms, \
             s.result, s.message, s.failures, s.next_due_at, s.version, k.fingerprint \
             FROM nodes n LEFT JOIN collection_status s ON s.node_id = n.id \
             LEFT JOIN node_host_keys k ON k.node_id = n.id WHERE {MANAGED}"
        ));
        if let Some(result) = filter.result {
            sql.push(" AND s.result = ").bind(result.as_str());
        }
        if filter.failing {
            sql.push(" AND s.failures > 0");
        }
        sql.push(" ORDER BY n.name, n.fqdn LIMIT ")
            .bind(i64::from(limit));
        self.db
            .fetch_all(&mut conn, sql)
            .await?
            .iter()
            .map(read_status)
            .collect()
    }

    /// One node's status (`None` when the node is not managed). One statement.
    pub async fn collection_status(&self, node_id: Uuid) -> Result<Option<CollectionStatus>> {
        let mut conn = self.read_conn().await?;
        let mut sql = Sql::new(format!(
            "SELECT n.id, n.name, s.last_attempt_at, s.last_success_at, s.duration_ms, \
             s.result, s.message, s.failures, s.next_due_at, s.version, k.fingerprint, \
             CASE WHEN {MANAGED} THEN 1 ELSE 0 END AS managed \
             FROM nodes n LEFT JOIN collection_status s ON s.node_id = n.id \
             LEFT JOIN node_host_keys k ON k.node_id = n.id WHERE n.id = "
        ));
        sql.bind(node_id);
        let Some(row) = self.db.fetch_optional(&mut conn, sql).await? else {
            return Err(StoreError::not_found(EntityType::Node, node_id));
        };
        let managed: i64 = row.try_get("managed")?;
        if managed == 0 {
            return Ok(None);
        }
        read_status(&row).map(Some)
    }

    /// The fleet's figures at `now`. One statement.
    pub async fn collection_summary(&self, now: Timestamp) -> Result<CollectionSummary> {
        let mut conn = self.read_conn().await?;
        let mut sql = Sql::new(
            "SELECT COUNT(*) AS managed, \
             COALESCE(SUM(CASE WHEN s.next_due_at IS NULL OR s.next_due_at <= ",
        );
        sql.bind(now).push(
            format!(
                " THEN 1 ELSE 0 END), 0) AS due, \
             COALESCE(SUM(CASE WHEN s.failures > 0 THEN 1 ELSE 0 END), 0) AS failing, \
             COALESCE(SUM(CASE WHEN s.last_success_at IS NULL THEN 1 ELSE 0 END), 0) AS never \
             FROM nodes n LEFT JOIN collection_status s ON s.node_id = n.id WHERE {MANAGED}"
            )
            .as_str(),
        );
        let Some(row) = self.db.fetch_optional(&mut conn, sql).await? else {
            return Ok(CollectionSummary::default());
        };
        let get = |column: &str| -> Result<u64> { Ok(as_u64(&row, column)?.unwrap_or(0)) };
        Ok(CollectionSummary {
            managed: get("managed")?,
            due: get("due")?,
            failing: get("failing")?,
            never_collected: get("never")?,
        })
    }
}

/// The scheduler's question over `columns` (a `SELECT … FROM nodes n LEFT JOIN <status> s`):
/// managed nodes due at `now` (never run first, then the longest overdue), at most `limit`,
/// leaving out `busy` (nodes being worked on: still due until their result is recorded).
pub(crate) fn due_query(columns: &str, now: Timestamp, limit: u32, busy: &[Uuid]) -> Sql {
    let mut sql = Sql::new(format!(
        "{columns} WHERE {MANAGED} AND (s.next_due_at IS NULL OR s.next_due_at <= "
    ));
    sql.bind(now).push(")");
    if !busy.is_empty() {
        sql.push(" AND n.id NOT");
        push_in(&mut sql, busy);
    }
    sql.push(" ORDER BY s.next_due_at IS NOT NULL, s.next_due_at, n.id LIMIT ")
        .bind(i64::from(limit));
    sql
}

fn read_status(row: &AnyRow) -> Result<CollectionStatus> {
    let result: Option<String> = row.try_get("result")?;
    Ok(CollectionStatus {
        node_id: get_uuid(row, "id")?,
        node: row.try_get("name")?,
        last_attempt_at: get_opt_timestamp(row, "last_attempt_at")?,
        last_success_at: get_opt_timestamp(row, "last_success_at")?,
        duration_ms: as_u64(row, "duration_ms")?,
        result: result
            .map(|r| r.parse().map_err(|e| crate::db::decode_error("result", e)))
            .transpose()?,
        message: row.try_get("message")?,
        failures: as_u64(row, "failures")?
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0),
        next_due_at: get_opt_timestamp(row, "next_due_at")?,
        version: as_u64(row, "version")?,
        host_key: row.try_get("fingerprint")?,
    })
}

/// `INSERT INTO collection_status … SELECT n.id, <the attempt's columns>, `: the caller adds
/// the version column's expression and the `FROM … WHERE` that finds the node, then
/// [`on_status_conflict`].
fn status_upsert(
    attempt: &CollectionAttempt<'_>,
    result: CollectionResult,
    message: Option<&String>,
) -> Sql {
    let failed = result.is_failure();
    let success_at = (!failed).then(|| attempt.started_at.to_string());
    let mut upsert = Sql::new(
        "INSERT INTO collection_status (node_id, last_attempt_at, last_success_at, \
         duration_ms, result, message, failures, next_due_at, version) SELECT n.id, ",
    );
    upsert
        .bind(attempt.started_at)
        .push(", ")
        .bind(success_at)
        .push(", ")
        .bind(as_i64(attempt.duration_ms))
        .push(", ")
        .bind(result.as_str())
        .push(", ")
        .bind(message.cloned())
        .push(", ")
        .bind(i64::from(failed))
        .push(", ")
        .bind(attempt.next_due_at)
        .push(", ");
    upsert
}

/// The failures in a row that [`on_status_conflict`] returns.
fn returned_failures(row: &AnyRow) -> Result<u32> {
    Ok(as_u64(row, "failures")?.map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX)))
}

/// Ends a [`status_upsert`]: an existing status is updated (failures counted in a row), and
/// the row's count and version come back with the write, on both backends.
fn on_status_conflict(mut upsert: Sql) -> Sql {
    upsert.push(
        " ON CONFLICT (node_id) DO UPDATE SET last_attempt_at = excluded.last_attempt_at, \
         last_success_at = COALESCE(excluded.last_success_at, collection_status.last_success_at), \
         duration_ms = excluded.duration_ms, result = excluded.result, \
         message = excluded.message, next_due_at = excluded.next_due_at, \
         version = COALESCE(excluded.version, collection_status.version), \
         failures = CASE WHEN excluded.failures = 0 THEN 0 \
         ELSE collection_status.failures + 1 END RETURNING failures, version",
    );
    upsert
}
