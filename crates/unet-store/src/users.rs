//! Users and their login sessions. The store keeps only what the auth crate hands it: argon2id
//! PHC strings for passwords and SHA-256 hex for session tokens, never a secret in clear.

use sqlx::Row;
use sqlx::any::AnyRow;
use unet_core::{Timestamp, Uuid};

use crate::db::{Sql, get_opt_timestamp, get_timestamp, get_uuid, on_unique_violation};
use crate::{Result, Store, StoreError};

/// A stored user account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: Uuid,
    pub username: String,
    /// argon2id PHC string.
    pub password_hash: String,
    pub roles: Vec<String>,
    pub disabled: bool,
    pub last_login: Option<Timestamp>,
    pub password_changed_at: Timestamp,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// One failed login: the name tried (known or not), where it came from (an address, or the
/// network a throttle counts as one source), when, and the time before which earlier failures
/// of any pair are forgotten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginFailure<'a> {
    pub username: &'a str,
    pub source: &'a str,
    pub at: Timestamp,
    pub forget_before: Timestamp,
}

/// A live session: the SHA-256 of its bearer token and whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub token_hash: String,
    pub user_id: Uuid,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

const USER_COLUMNS: &str = "id, username, password_hash, roles, disabled, last_login, \
     password_changed_at, created_at, updated_at";

pub(crate) fn roles_from_row(row: &AnyRow, column: &str) -> Result<Vec<String>> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|e| {
        StoreError::Database(sqlx::Error::ColumnDecode {
            index: column.to_string(),
            source: Box::new(e),
        })
    })
}

pub(crate) fn roles_json(roles: &[String]) -> String {
    serde_json::Value::from(roles.to_vec()).to_string()
}

fn user_from_row(row: &AnyRow) -> Result<UserRecord> {
    let disabled: i64 = row.try_get("disabled")?;
    Ok(UserRecord {
        id: get_uuid(row, "id")?,
        username: row.try_get("username")?,
        password_hash: row.try_get("password_hash")?,
        roles: roles_from_row(row, "roles")?,
        disabled: disabled != 0,
        last_login: get_opt_timestamp(row, "last_login")?,
        password_changed_at: get_timestamp(row, "password_changed_at")?,
        created_at: get_timestamp(row, "created_at")?,
        updated_at: get_timestamp(row, "updated_at")?,
    })
}

impl Store {
    /// Adds a user; a taken username is a conflict.
    pub async fn insert_user(&self, user: &UserRecord) -> Result<()> {
        let mut conn = self.write_conn().await?;
        let mut sql = Sql::new(format!("INSERT INTO users ({USER_COLUMNS}) VALUES "));
        sql.bind_tuple([
            user.id.into(),
            user.username.as_str().into(),
            user.password_hash.as_str().into(),
            roles_json(&user.roles).into(),
            i64::from(user.disabled).into(),
            user.last_login.map(|t| t.to_string()).into(),
            user.password_changed_at.into(),
            user.created_at.into(),
            user.updated_at.into(),
        ]);
        self.db.execute(&mut conn, sql).await.map_err(|e| {
            on_unique_violation(e, || format!("user {:?} already exists", user.username))
        })?;
        Ok(())
    }

    pub async fn count_users(&self) -> Result<u64> {
        let mut conn = self.read_conn().await?;
        self.db
            .fetch_count(&mut conn, Sql::new("SELECT COUNT(*) FROM users"))
            .await
    }

    pub async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>> {
        let mut conn = self.read_conn().await?;
        let mut sql = Sql::new(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE username = "
        ));
        sql.bind(username);
        self.db
            .fetch_optional(&mut conn, sql)
            .await?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    pub async fn list_users(&self) -> Result<Vec<UserRecord>> {
        let mut conn = self.read_conn().await?;
        let sql = Sql::new(format!(
            "SELECT {USER_COLUMNS} FROM users ORDER BY username"
        ));
        self.db
            .fetch_all(&mut conn, sql)
            .await?
            .iter()
            .map(user_from_row)
            .collect()
    }

    /// Rewrites roles, disabled flag and password hash of `user` (found by id). Disabling a
    /// user or changing the password ends every session of that user in the same transaction,
    /// so the change takes effect at once on every server sharing the database.
    pub async fn update_user(&self, user: &UserRecord, end_sessions: bool) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let mut sql = Sql::new("UPDATE users SET roles = ");
        sql.bind(roles_json(&user.roles))
            .push(", disabled = ")
            .bind(i64::from(user.disabled))
            .push(", password_hash = ")
            .bind(user.password_hash.as_str())
            .push(", password_changed_at = ")
            .bind(user.password_changed_at)
            .push(", updated_at = ")
            .bind(user.updated_at)
            .push(" WHERE id = ")
            .bind(user.id);
        let changed = self.db.execute(&mut tx, sql).await? > 0;
        if changed && end_sessions {
            let mut sql = Sql::new("DELETE FROM sessions WHERE user_id = ");
            sql.bind(user.id);
            self.db.execute(&mut tx, sql).await?;
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// Deletes a user; their sessions go with them (foreign key cascade).
    pub async fn delete_user(&self, id: Uuid) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let mut sql = Sql::new("DELETE FROM sessions WHERE user_id = ");
        sql.bind(id);
        self.db.execute(&mut tx, sql).await?;
        let mut sql = Sql::new("DELETE FROM users WHERE id = ");
        sql.bind(id);
        let deleted = self.db.execute(&mut tx, sql).await? > 0;
        tx.commit().await?;
        Ok(deleted)
    }

    /// Counts one failed login of `username` (any name, known or not) from `source` at `at`,
    /// in one transaction: rows whose last failure is before `forget_before` and that hold no
    /// lock in force are forgotten first (this pair's stale count included), then the pair's
    /// count goes up by one. When it reaches `threshold` the pair is locked until `lock_until`
    /// and its count starts again. Returns the count reached and whether this failure locked.
    pub async fn record_login_failure(
        &self,
        failure: &LoginFailure<'_>,
        threshold: i64,
        lock_until: Timestamp,
    ) -> Result<(i64, bool)> {
        let mut tx = self.begin_write().await?;
        let mut sql = Sql::new("DELETE FROM login_failures WHERE last_failure < ");
        sql.bind(failure.forget_before)
            .push(" AND (locked_until IS NULL OR locked_until <= ")
            .bind(failure.at)
            .push(")");
        self.db.execute(&mut tx, sql).await?;
        let mut sql = Sql::new(
            "INSERT INTO login_failures (username, source, failures, last_failure) VALUES ",
        );
        sql.bind_tuple([
            failure.username.into(),
            failure.source.into(),
            1i64.into(),
            failure.at.into(),
        ])
        .push(
            " ON CONFLICT (username, source) DO UPDATE SET \
             failures = login_failures.failures + 1, last_failure = excluded.last_failure \
             RETURNING failures",
        );
        let row = self.db.fetch_optional(&mut tx, sql).await?;
        let failures: i64 = match &row {
            Some(row) => row.try_get("failures")?,
            None => 1,
        };
        let locked = failures >= threshold;
        if locked {
            let mut sql = Sql::new("UPDATE login_failures SET failures = 0, locked_until = ");
            sql.bind(lock_until)
                .push(" WHERE username = ")
                .bind(failure.username)
                .push(" AND source = ")
                .bind(failure.source);
            self.db.execute(&mut tx, sql).await?;
        }
        tx.commit().await?;
        Ok((failures, locked))
    }

    /// The end of the lockout of `username` from `source`, when one is in force at `now`.
    pub async fn login_locked_until(
        &self,
        username: &str,
        source: &str,
        now: Timestamp,
    ) -> Result<Option<Timestamp>> {
        let mut conn = self.read_conn().await?;
        let mut sql = Sql::new("SELECT locked_until FROM login_failures WHERE username = ");
        sql.bind(username)
            .push(" AND source = ")
            .bind(source)
            .push(" AND locked_until > ")
            .bind(now);
        match self.db.fetch_optional(&mut conn, sql).await? {
            Some(row) => get_opt_timestamp(&row, "locked_until"),
            None => Ok(None),
        }
    }

    /// Forgets the failed logins and lifts the lockouts of `username` from every source.
    pub async fn lift_login_lockouts(&self, username: &str) -> Result<()> {
        let mut conn = self.write_conn().await?;
        let mut sql = Sql::new("DELETE FROM login_failures WHERE username = ");
        sql.bind(username);
        self.db.execute(&mut conn, sql).await?;
        Ok(())
    }

    /// Existing accounts locked out from at least one source at `now`.
    pub async fn count_locked_accounts(&self, now: Timestamp) -> Result<u64> {
        let mut conn = self.read_conn().await?;
        let mut sql = Sql::new(
            "SELECT COUNT(DISTINCT f.username) FROM login_failures f \
             JOIN users u ON u.username = f.username WHERE f.locked_until > ",
        );
        sql.bind(now);
        self.db.fetch_count(&mut conn, sql).await
    }

    /// A successful login from `source`: that source's failures for the account forgotten
    /// (other sources keep theirs), `last_login` set, the session stored.
    pub async fn record_login_success(&self, session: &SessionRecord, source: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let mut sql = Sql::new("UPDATE users SET last_login = ");
        sql.bind(session.created_at)
            .push(" WHERE id = ")
            .bind(session.user_id);
        self.db.execute(&mut tx, sql).await?;
        let mut sql = Sql::new("DELETE FROM login_failures WHERE source = ");
        sql.bind(source)
            .push(" AND username = (SELECT username FROM users WHERE id = ")
            .bind(session.user_id)
            .push(")");
        self.db.execute(&mut tx, sql).await?;
        let mut sql =
            Sql::new("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ");
        sql.bind_tuple([
            session.token_hash.as_str().into(),
            session.user_id.into(),
            session.created_at.into(),
            session.expires_at.into(),
        ]);
        self.db.execute(&mut tx, sql).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The session with this token hash and its user, when both exist.
    pub async fn session_by_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<(SessionRecord, UserRecord)>> {
        let mut conn = self.read_conn().await?;
        let mut sql = Sql::new(format!(
            "SELECT s.token_hash, s.user_id, s.created_at AS session_created, s.expires_at, \
             {} FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ",
            USER_COLUMNS
                .split(", ")
                .map(|c| format!("u.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        sql.bind(token_hash);
        let Some(row) = self.db.fetch_optional(&mut conn, sql).await? else {
            return Ok(None);
        };
        let session = SessionRecord {
            token_hash: row.try_get("token_hash")?,
            user_id: get_uuid(&row, "user_id")?,
            created_at: get_timestamp(&row, "session_created")?,
            expires_at: get_timestamp(&row, "expires_at")?,
        };
        Ok(Some((session, user_from_row(&row)?)))
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<bool> {
        let mut conn = self.write_conn().await?;
        let mut sql = Sql::new("DELETE FROM sessions WHERE token_hash = ");
        sql.bind(token_hash);
        Ok(self.db.execute(&mut conn, sql).await? > 0)
    }

    /// Removes sessions that expired before `now`; returns how many.
    pub async fn purge_expired_sessions(&self, now: Timestamp) -> Result<u64> {
        let mut conn = self.write_conn().await?;
        let mut sql = Sql::new("DELETE FROM sessions WHERE expires_at < ");
        sql.bind(now);
        self.db.execute(&mut conn, sql).await
    }
}
