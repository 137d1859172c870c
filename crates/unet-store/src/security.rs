//! API keys (stored as SHA-256 hex), security events and the stored security policy.

use sqlx::Row;
use sqlx::any::AnyRow;
use unet_core::{Timestamp, Uuid};

use crate::db::{Sql, get_json, get_opt_timestamp, get_timestamp, get_uuid};
use crate::users::{roles_from_row, roles_json};
use crate::{Result, Store};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: Uuid,
    pub name: String,
    pub prefix: String,
    pub key_hash: String,
    pub roles: Vec<String>,
    /// Username of the creator; keys are listed and revoked by their creator or an admin.
    pub created_by: String,
    pub created_at: Timestamp,
    pub expires: Timestamp,
    pub last_used: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// One stored security event (`type` is `auth_success`, `auth_failure`, `lockout`, …).
#[derive(Debug, Clone, PartialEq)]
pub struct SecurityEventRecord {
    pub id: Uuid,
    pub timestamp: Timestamp,
    pub event_type: String,
    pub username: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub detail: serde_json::Value,
}

/// The stored security policy document and who last changed it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPolicy {
    pub policy: serde_json::Value,
    pub updated_at: Timestamp,
    pub updated_by: String,
}

const KEY_COLUMNS: &str =
    "id, name, prefix, key_hash, roles, created_by, created_at, expires, last_used, revoked_at";

fn key_from_row(row: &AnyRow) -> Result<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        id: get_uuid(row, "id")?,
        name: row.try_get("name")?,
        prefix: row.try_get("prefix")?,
        key_hash: row.try_get("key_hash")?,
        roles: roles_from_row(row, "roles")?,
        created_by: row.try_get("created_by")?,
        created_at: get_timestamp(row, "created_at")?,
        expires: get_timestamp(row, "expires")?,
        last_used: get_opt_timestamp(row, "last_used")?,
        revoked_at: get_opt_timestamp(row, "revoked_at")?,
    })
}

fn event_from_row(row: &AnyRow) -> Result<SecurityEventRecord> {
    Ok(SecurityEventRecord {
        id: get_uuid(row, "id")?,
        timestamp: get_timestamp(row, "timestamp")?,
        event_type: row.try_get("type")?,
        username: row.try_get("username")?,
        source_ip: row.try_get("source_ip")?,
        user_agent: row.try_get("user_agent")?,
        detail: get_json(row, "detail")?,
    })
}

impl Store {
    pub async fn insert_api_key(&self, key: &ApiKeyRecord) -> Result<()> {
        let mut conn = self.write_conn().await?;
        let mut sql = Sql::new(format!("INSERT INTO api_keys ({KEY_COLUMNS}) VALUES "));
        sql.bind_tuple([
            key.id.into(),
            key.name.as_str().into(),
            key.prefix.as_str().into(),
            key.key_hash.as_str().into(),
            roles_json(&key.roles).into(),
            key.created_by.as_str().into(),
            key.created_at.into(),
            key.expires.into(),
            key.last_used.map(|t| t.to_string()).into(),
            key.revoked_at.map(|t| t.to_string()).into(),
        ]);
        self.db.execute(&mut conn, sql).await?;
        Ok(())
    }

    pub async fn api_key_by_hash(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>> {
        let mut conn = self.read_conn().await?;
        let mut sql = Sql::new(format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE key_hash = "
        ));
        sql.bind(key_hash);
        self.db
            .fetch_optional(&mut conn, sql)
            .await?
            .as_ref()
            .map(key_from_row)
            .transpose()
    }

    /// Keys not revoked, oldest first; only those created by `created_by` when given.
    pub async fn list_api_keys(&self, created_by: Option<&str>) -> Result<Vec<ApiKeyRecord>> {
        let mut conn = self.read_conn().await?;
        let mut sql = Sql::new(format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE revoked_at IS NULL"
        ));
        if let Some(by) = created_by {
            sql.push(" AND created_by = ").bind(by);
        }
        sql.push(" ORDER BY created_at, id");
        self.db
            .fetch_all(&mut conn, sql)
            .await?
            .iter()
            .map(key_from_row)
            .collect()
    }

    /// Marks a key revoked; `created_by` restricts to the creator's keys. False when no such
    /// live key exists.
    pub async fn revoke_api_key(
        &self,
        id: Uuid,
        created_by: Option<&str>,
        at: Timestamp,
    ) -> Result<bool> {
        let mut conn = self.write_conn().await?;
        let mut sql = Sql::new("UPDATE api_keys SET revoked_at = ");
        sql.bind(at)
            .push(" WHERE revoked_at IS NULL AND id = ")
            .bind(id);
        if let Some(by) = created_by {
            sql.push(" AND created_by = ").bind(by);
        }
        Ok(self.db.execute(&mut conn, sql).await? > 0)
    }

    /// Writes the `last_used` times gathered in memory, one statement per key, in one
    /// transaction; a time older than the stored one is ignored.
    pub async fn record_api_key_use(&self, uses: &[(Uuid, Timestamp)]) -> Result<()> {
        if uses.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for (id, at) in uses {
            let mut sql = Sql::new("UPDATE api_keys SET last_used = ");
            sql.bind(*at)
                .push(" WHERE id = ")
                .bind(*id)
                .push(" AND (last_used IS NULL OR last_used < ")
                .bind(*at)
                .push(")");
            self.db.execute(&mut tx, sql).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn insert_security_event(&self, event: &SecurityEventRecord) -> Result<()> {
        let mut conn = self.write_conn().await?;
        let mut sql = Sql::new(
            "INSERT INTO security_events (id, timestamp, type, username, source_ip, user_agent, \
             detail) VALUES ",
        );
        sql.bind_tuple([
            event.id.into(),
            event.timestamp.into(),
            event.event_type.as_str().into(),
            event.username.clone().into(),
            event.source_ip.clone().into(),
            event.user_agent.clone().into(),
            event.detail.to_string().into(),
        ]);
        self.db.execute(&mut conn, sql).await?;
        Ok(())
    }

    /// Events newest first, optionally of one type and at or after `since`.
    pub async fn security_events(
        &self,
        event_type: Option<&str>,
        since: Option<Timestamp>,
        limit: u32,
    ) -> Result<Vec<SecurityEventRecord>> {
        let mut conn = self.read_conn().await?;
        let mut sql = Sql::new(
            "SELECT id, timestamp, type, username, source_ip, user_agent, detail \
             FROM security_events WHERE 1 = 1",
        );
        if let Some(t) = event_type {
            sql.push(" AND type = ").bind(t);
        }
        if let Some(since) = since {
            sql.push(" AND timestamp >= ").bind(since);
        }
        sql.push(" ORDER BY timestamp DESC, id DESC LIMIT ")
            .bind(i64::from(limit));
        self.db
            .fetch_all(&mut conn, sql)
            .await?
            .iter()
            .map(event_from_row)
            .collect()
    }

    /// Number of events per type at or after `since`.
    pub async fn security_event_counts(&self, since: Timestamp) -> Result<Vec<(String, u64)>> {
        let mut conn = self.read_conn().await?;
        let mut sql =
            Sql::new("SELECT type, COUNT(*) AS n FROM security_events WHERE timestamp >= ");
        sql.bind(since).push(" GROUP BY type ORDER BY type");
        self.db
            .fetch_all(&mut conn, sql)
            .await?
            .iter()
            .map(|row| {
                let n: i64 = row.try_get("n")?;
                Ok((row.try_get("type")?, u64::try_from(n).unwrap_or(0)))
            })
            .collect()
    }

    pub async fn security_policy(&self) -> Result<Option<StoredPolicy>> {
        let mut conn = self.read_conn().await?;
        let sql =
            Sql::new("SELECT policy, updated_at, updated_by FROM security_policies WHERE id = 1");
        let Some(row) = self.db.fetch_optional(&mut conn, sql).await? else {
            return Ok(None);
        };
        Ok(Some(StoredPolicy {
            policy: get_json(&row, "policy")?,
            updated_at: get_timestamp(&row, "updated_at")?,
            updated_by: row.try_get("updated_by")?,
        }))
    }

    pub async fn put_security_policy(&self, stored: &StoredPolicy) -> Result<()> {
        let mut tx = self.begin_write().await?;
        self.db
            .execute(
                &mut tx,
                Sql::new("DELETE FROM security_policies WHERE id = 1"),
            )
            .await?;
        let mut sql =
            Sql::new("INSERT INTO security_policies (id, policy, updated_at, updated_by) VALUES ");
        sql.bind_tuple([
            1i64.into(),
            stored.policy.to_string().into(),
            stored.updated_at.into(),
            stored.updated_by.as_str().into(),
        ]);
        self.db.execute(&mut tx, sql).await?;
        tx.commit().await?;
        Ok(())
    }
}
