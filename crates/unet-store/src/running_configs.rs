//! Running configurations: per node, a new version only when the content changes (its lines
//! other than the platform's volatile ones — timestamps of the last change — differ from the
//! node's latest), numbered 1, 2, 3… per node, with retention applied by the
//! push that stores a version, in its transaction. Listing reads metadata only; the content
//! column is read for one version, or for the latest of a page of nodes.

use std::collections::HashMap;

use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;
use unet_core::{
    ConfigSource, EntityType, Platform, Pushed, RunningConfig, RunningConfigInfo, Timestamp, Uuid,
    config_text, line_count,
};

use crate::db::{Arg, MAX_BINDS, Sql, as_i64, get_parsed, get_timestamp, get_uuid, push_in};
use crate::{Backend, Result, Store, StoreError, WriteTx};

/// The largest configuration accepted unless configured otherwise (`configs.max_bytes` of the
/// server starts from it; local CLI mode uses it as it is).
pub const DEFAULT_MAX_CONFIG_BYTES: u64 = 32 << 20;

/// How much history a node keeps. Applied whenever a new version is stored; the latest
/// version is never deleted. The default (100 versions, no age limit) is the default of the
/// server's `[configs]` settings and what local CLI mode applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Versions kept per node, the latest included (0 counts as 1).
    pub keep_versions: u32,
    /// Older versions taken more than this many days ago are deleted; 0 = no age limit.
    pub keep_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            keep_versions: 100,
            keep_days: 0,
        }
    }
}

const INFO_COLUMNS: &str =
    "r.node_id, r.version, r.sha256, r.taken_at, r.stored_at, r.source, r.size_bytes, r.line_count";

fn as_u64(row: &AnyRow, column: &str) -> Result<u64> {
    let n: i64 = row.try_get(column)?;
    u64::try_from(n).map_err(|e| crate::db::decode_error(column, e))
}

/// A row selected with [`INFO_COLUMNS`], or `None` for the NULL half of a left join.
fn read_info(row: &AnyRow) -> Result<Option<RunningConfigInfo>> {
    let version: Option<i64> = row.try_get("version")?;
    if version.is_none() {
        return Ok(None);
    }
    Ok(Some(RunningConfigInfo {
        node_id: get_uuid(row, "node_id")?,
        version: as_u64(row, "version")?,
        sha256: row.try_get("sha256")?,
        taken_at: get_timestamp(row, "taken_at")?,
        stored_at: get_timestamp(row, "stored_at")?,
        source: get_parsed(row, "source")?,
        size_bytes: as_u64(row, "size_bytes")?,
        line_count: as_u64(row, "line_count")?,
    }))
}

fn read_config(row: &AnyRow) -> Result<Option<RunningConfig>> {
    let Some(info) = read_info(row)? else {
        return Ok(None);
    };
    Ok(Some(RunningConfig {
        info,
        content: row.try_get("content")?,
    }))
}

fn sha256_hex(content: &str) -> String {
    hex::encode(Sha256::digest(content.as_bytes()))
}

/// SHA-256 of the lines that are not volatile on `platform`, each with its newline: equal for
/// two configurations that differ only in a timestamp of the last change.
pub(crate) fn content_key(platform: Platform, content: &str) -> String {
    let mut hash = Sha256::new();
    for line in content.lines().filter(|l| !platform.is_volatile_line(l)) {
        hash.update(line.trim_end_matches('\r').as_bytes());
        hash.update(b"\n");
    }
    hex::encode(hash.finalize())
}

/// Join condition for `r`, the latest version of node `n`.
pub(crate) const LATEST_VERSION: &str =
    " AND r.version = (SELECT MAX(m.version) FROM running_configs m WHERE m.node_id = n.id)";

/// `SELECT … FROM nodes n LEFT JOIN running_configs r ON r.node_id = n.id`, for the caller to
/// add its join condition and end with [`for_node`]: a node without the wanted version still
/// gives a row (with NULL config columns), so one statement tells an unknown node from a
/// missing version.
fn node_with_configs(columns: &str) -> Sql {
    Sql::new(format!(
        "SELECT n.id AS known_node, {columns} FROM nodes n \
         LEFT JOIN running_configs r ON r.node_id = n.id"
    ))
}

fn for_node(sql: &mut Sql, node_id: Uuid) -> &mut Sql {
    sql.push(" WHERE n.id = ").bind(node_id)
}

fn missing_node(node_id: Uuid) -> StoreError {
    StoreError::not_found(EntityType::Node, node_id)
}

impl Store {
    /// Stores `content` as the node's newest running configuration unless it is the same
    /// (same SHA-256) as the latest stored one, which is then returned with `created: false`.
    /// A new version is the latest plus one; `retention` then deletes older versions in the
    /// same transaction. The node row is locked first (PostgreSQL; SQLite has one writer), so
    /// concurrent pushes for a node queue and never pick the same version.
    pub async fn push_running_config(
        &self,
        node_id: Uuid,
        source: ConfigSource,
        taken_at: Option<Timestamp>,
        content: &str,
        retention: &Retention,
    ) -> Result<Pushed> {
        config_text(content.as_bytes())?;
        let mut tx = self.begin_write().await?;
        let pushed = self
            .push_in(&mut tx, node_id, source, taken_at, content, retention)
            .await?
            .ok_or_else(|| missing_node(node_id))?;
        // An unchanged push ends here too, so the next writer finds the lock free at once.
        tx.commit().await?;
        Ok(pushed)
    }

    /// The push itself, inside the caller's write transaction (the text already checked with
    /// `config_text`). `None` when the node does not exist.
    pub(crate) async fn push_in(
        &self,
        tx: &mut WriteTx,
        node_id: Uuid,
        source: ConfigSource,
        taken_at: Option<Timestamp>,
        content: &str,
        retention: &Retention,
    ) -> Result<Option<Pushed>> {
        // PostgreSQL: FOR NO KEY UPDATE queues pushes for this node behind each other, while
        // the policy recorder's FOR KEY SHARE on the same node is not held up. The latest
        // version is read after the lock, in the next statement: one statement that waited for
        // the lock would still see the versions of its snapshot, from before the push it waited
        // for. SQLite has one writer, already in its turn here.
        if self.db.backend == Backend::Postgres {
            let mut lock = Sql::new("SELECT id FROM nodes WHERE id = ");
            lock.bind(node_id).push(" FOR NO KEY UPDATE");
            if self.db.fetch_optional(tx, lock).await?.is_none() {
                return Ok(None);
            }
        }
        let mut read = node_with_configs(&format!("n.platform, {INFO_COLUMNS}, r.content_key"));
        read.push(LATEST_VERSION);
        for_node(&mut read, node_id);
        let Some(row) = self.db.fetch_optional(tx, read).await? else {
            return Ok(None);
        };
        let key = content_key(get_parsed(&row, "platform")?, content);
        let version = match read_info(&row)? {
            Some(latest) if row.try_get::<String, _>("content_key")? == key => {
                return Ok(Some(Pushed {
                    info: latest,
                    created: false,
                    removed: 0,
                }));
            }
            Some(latest) => latest.version + 1,
            None => 1,
        };
        let stored_at = Timestamp::now();
        let info = RunningConfigInfo {
            node_id,
            version,
            sha256: sha256_hex(content),
            taken_at: taken_at.unwrap_or(stored_at),
            stored_at,
            source,
            size_bytes: content.len() as u64,
            line_count: line_count(content),
        };
        let mut insert = Sql::new(
            "INSERT INTO running_configs (node_id, version, sha256, content_key, taken_at, \
             stored_at, source, size_bytes, line_count, content) VALUES ",
        );
        insert.bind_tuple([
            Arg::from(node_id),
            Arg::from(as_i64(info.version)),
            Arg::from(info.sha256.as_str()),
            Arg::from(key.as_str()),
            Arg::from(info.taken_at),
            Arg::from(info.stored_at),
            Arg::from(source.as_str()),
            Arg::from(as_i64(info.size_bytes)),
            Arg::from(as_i64(info.line_count)),
            Arg::from(content),
        ]);
        self.db.execute(tx, insert).await?;
        // A first version has nothing before it to retire.
        let removed = if version > 1 {
            self.db.execute(tx, retention_sql(&info, retention)).await?
        } else {
            0
        };
        Ok(Some(Pushed {
            info,
            created: true,
            removed,
        }))
    }

    /// The node's stored versions, newest first, without their content. One statement.
    pub async fn running_configs(&self, node_id: Uuid) -> Result<Vec<RunningConfigInfo>> {
        let mut conn = self.read_conn().await?;
        let mut sql = node_with_configs(INFO_COLUMNS);
        for_node(&mut sql, node_id).push(" ORDER BY r.version DESC");
        let rows = self.db.fetch_all(&mut conn, sql).await?;
        if rows.is_empty() {
            return Err(missing_node(node_id));
        }
        rows.iter()
            .filter_map(|r| read_info(r).transpose())
            .collect()
    }

    /// One stored version with its content; `None` is the latest. One statement.
    pub async fn running_config(
        &self,
        node_id: Uuid,
        version: Option<u64>,
    ) -> Result<RunningConfig> {
        let mut conn = self.read_conn().await?;
        let mut sql = node_with_configs(&format!("{INFO_COLUMNS}, r.content"));
        match version {
            Some(v) => sql.push(" AND r.version = ").bind(as_i64(v)),
            None => sql.push(LATEST_VERSION),
        };
        for_node(&mut sql, node_id);
        let row = self
            .db
            .fetch_optional(&mut conn, sql)
            .await?
            .ok_or_else(|| missing_node(node_id))?;
        read_config(&row)?.ok_or(StoreError::NoRunningConfig { node_id, version })
    }

    /// The latest stored configuration of each of `node_ids` that has one, in one statement
    /// (per 30,000 ids): what the fleet pipeline reads per page of nodes.
    pub async fn latest_running_configs(
        &self,
        node_ids: &[Uuid],
    ) -> Result<HashMap<Uuid, RunningConfig>> {
        let mut out = HashMap::with_capacity(node_ids.len());
        let mut conn = self.read_conn().await?;
        for chunk in node_ids.chunks(MAX_BINDS) {
            let mut sql = Sql::new(format!(
                "SELECT {INFO_COLUMNS}, r.content FROM running_configs r \
                 JOIN (SELECT node_id, MAX(version) AS latest FROM running_configs \
                 WHERE node_id"
            ));
            push_in(&mut sql, chunk);
            sql.push(" GROUP BY node_id) l ON l.node_id = r.node_id AND l.latest = r.version");
            for row in self.db.fetch_all(&mut conn, sql).await? {
                if let Some(config) = read_config(&row)? {
                    out.insert(config.info.node_id, config);
                }
            }
        }
        Ok(out)
    }
}

/// Deletes the versions before `newest` that retention no longer keeps: beyond the newest
/// `keep_versions`, or (with `keep_days`) taken more than that many days before it was stored.
fn retention_sql(newest: &RunningConfigInfo, retention: &Retention) -> Sql {
    let keep = u64::from(retention.keep_versions.max(1));
    let mut sql = Sql::new("DELETE FROM running_configs WHERE node_id = ");
    sql.bind(newest.node_id)
        .push(" AND version < ")
        .bind(as_i64(newest.version))
        .push(" AND (version <= ")
        .bind(as_i64(newest.version.saturating_sub(keep)));
    if retention.keep_days > 0 {
        let age = i64::from(retention.keep_days) * 86_400;
        let cutoff = Timestamp::from_unix_seconds(newest.stored_at.unix_seconds() - age)
            .unwrap_or(Timestamp::EPOCH);
        sql.push(" OR taken_at < ").bind(cutoff);
    }
    sql.push(")");
    sql
}
