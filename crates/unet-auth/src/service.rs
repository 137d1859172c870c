//! The security service the server and the CLI share: login, token and key checks, logout,
//! policy, and the event trail of each.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::json;
use unet_core::{Timestamp, Uuid};
use unet_store::{LoginFailure, SessionRecord, Store, StoredPolicy};

use crate::accounts::new_user;
use crate::events::{self, Client, EventType};
use crate::limiter::LoginLimiter;
use crate::role::{self, Role};
use crate::secret::{self, API_KEY_PREFIX};
use crate::{AuthError, Result, SecurityPolicy};

/// Who a valid token or key belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Username, or `key:<name>` for an API key.
    pub name: String,
    pub roles: Vec<Role>,
    pub credential: Credential,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    Session { user_id: Uuid },
    ApiKey { id: Uuid, created_by: String },
}

/// The answer to a successful login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Session {
    pub token: String,
    pub expires_at: Timestamp,
}

/// Shared by every request: the store, the effective policy, the login limiter and the API-key
/// uses not yet written.
pub struct Security {
    pub(crate) store: Store,
    policy: RwLock<SecurityPolicy>,
    limiter: LoginLimiter,
    key_uses: Mutex<HashMap<Uuid, Timestamp>>,
}

fn add_secs(at: Timestamp, secs: u64) -> Timestamp {
    let secs = i64::try_from(secs).unwrap_or(i64::MAX / 2);
    Timestamp::from_unix_seconds(at.unix_seconds().saturating_add(secs)).unwrap_or(at)
}

/// `by` before `at` (`at` itself when that is out of range).
pub(crate) fn before(at: Timestamp, by: Duration) -> Timestamp {
    let secs = i64::try_from(by.as_secs()).unwrap_or(i64::MAX / 2);
    Timestamp::from_unix_seconds(at.unix_seconds().saturating_sub(secs)).unwrap_or(at)
}

impl Security {
    /// A service with the built-in default policy; [`Security::reload_policy`] reads the
    /// stored one.
    pub fn new(store: Store) -> Security {
        Security {
            store,
            policy: RwLock::new(SecurityPolicy::default()),
            limiter: LoginLimiter::default(),
            key_uses: Mutex::new(HashMap::new()),
        }
    }

    /// A service with the stored policy (defaults when none was ever set).
    pub async fn load(store: Store) -> Result<Security> {
        let security = Security::new(store);
        security.reload_policy().await?;
        Ok(security)
    }

    /// Reads the stored policy again (another server may have changed it).
    pub async fn reload_policy(&self) -> Result<()> {
        let policy = match self.store.security_policy().await? {
            Some(stored) => serde_json::from_value(stored.policy).map_err(|e| {
                AuthError::invalid(
                    "security_policies.policy",
                    format!("stored policy is unreadable: {e}"),
                )
            })?,
            None => SecurityPolicy::default(),
        };
        *self.policy.write().unwrap_or_else(|e| e.into_inner()) = policy;
        Ok(())
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn policy(&self) -> SecurityPolicy {
        *self.policy.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores and logs one security event.
    pub async fn record(
        &self,
        event_type: EventType,
        username: Option<&str>,
        client: &Client,
        detail: serde_json::Value,
    ) -> Result<()> {
        let event = events::record(event_type, username, client, detail);
        events::log(&event);
        self.store.insert_security_event(&event).await?;
        Ok(())
    }

    /// Takes one attempt from the client address's budget (`login_rate_limit_per_minute`),
    /// which every unauthenticated secret check shares whatever account it names: logins, and
    /// Git webhook calls with a wrong signature. When the budget is spent, records a
    /// `rate_limited` event saying `reason` and refuses with the time to wait.
    pub async fn throttle(
        &self,
        client: &Client,
        username: Option<&str>,
        reason: &str,
    ) -> Result<()> {
        let per_minute = self.policy().login_rate_limit_per_minute;
        let source = client.throttle_source();
        let Err(wait) = self.limiter.take(&source, per_minute, Instant::now()) else {
            return Ok(());
        };
        self.refuse(client, username, reason, wait.as_secs()).await
    }

    /// Records a `rate_limited` event saying `reason` and answers [`AuthError::RateLimited`].
    async fn refuse<T>(
        &self,
        client: &Client,
        username: Option<&str>,
        reason: &str,
        wait_secs: u64,
    ) -> Result<T> {
        let retry_after_secs = wait_secs.max(1);
        self.record(
            EventType::RateLimited,
            username,
            client,
            json!({"reason": reason, "retry_after_secs": retry_after_secs}),
        )
        .await?;
        Err(AuthError::RateLimited { retry_after_secs })
    }

    /// Checks a username and password and opens a session.
    ///
    /// Throttling is by source, never by account alone, so that nobody can lock an account's
    /// owner out from elsewhere: the source's budget across all accounts is spent first
    /// ([`Security::throttle`]), then a lockout of this name from this source
    /// (`lockout_threshold` failures in a row) answers [`AuthError::RateLimited`] without
    /// checking the password. Unknown users, wrong passwords and disabled accounts all get
    /// [`AuthError::InvalidCredentials`] after the same argon2 work and count alike towards
    /// the lockout, so neither answer tells which accounts exist; the stored event says which
    /// it was.
    pub async fn login(&self, username: &str, password: &str, client: &Client) -> Result<Session> {
        self.throttle(client, Some(username), "login rate limit")
            .await?;
        let policy = self.policy();
        let source = client.throttle_source();
        let now = Timestamp::now();
        if let Some(until) = self
            .store
            .login_locked_until(username, &source, now)
            .await?
        {
            let wait = until.unix_seconds().saturating_sub(now.unix_seconds());
            let wait = u64::try_from(wait).unwrap_or(0);
            return self
                .refuse(client, Some(username), "login lockout", wait)
                .await;
        }
        let user = self.store.user_by_username(username).await?;
        let hash = user
            .as_ref()
            .map_or(secret::dummy_hash(), |u| u.password_hash.as_str())
            .to_string();
        let password = password.to_string();
        let matches =
            tokio::task::spawn_blocking(move || secret::verify_password(&password, &hash))
                .await
                .unwrap_or(false);
        let now = Timestamp::now();
        let refusal = match &user {
            None => Some("unknown user"),
            Some(u) if u.disabled => Some("account disabled"),
            Some(_) if !matches => Some("wrong password"),
            Some(_) => None,
        };
        let Some(user) = user.filter(|_| refusal.is_none()) else {
            let reason = refusal.unwrap_or("wrong password");
            self.record(
                EventType::AuthFailure,
                Some(username),
                client,
                json!({"reason": reason}),
            )
            .await?;
            self.count_failure(username, &source, client, &policy, now)
                .await?;
            return Err(AuthError::InvalidCredentials);
        };
        let token = secret::new_session_token();
        let expires_at = add_secs(now, policy.session_ttl_secs);
        self.store
            .record_login_success(
                &SessionRecord {
                    token_hash: secret::digest(&token),
                    user_id: user.id,
                    created_at: now,
                    expires_at,
                },
                &source,
            )
            .await?;
        self.record(
            EventType::AuthSuccess,
            Some(username),
            client,
            json!({"method": "password"}),
        )
        .await?;
        Ok(Session { token, expires_at })
    }

    /// Counts a refused login of `username` from `source`; the failure that reaches the
    /// threshold locks the pair for `lockout_duration_secs` and is a `lockout` event. Failures
    /// more than `lockout_duration_secs` apart do not add up.
    async fn count_failure(
        &self,
        username: &str,
        source: &str,
        client: &Client,
        policy: &SecurityPolicy,
        now: Timestamp,
    ) -> Result<()> {
        let until = add_secs(now, policy.lockout_duration_secs);
        let forget_before = before(now, Duration::from_secs(policy.lockout_duration_secs));
        let failure = LoginFailure {
            username,
            source,
            at: now,
            forget_before,
        };
        let (failures, locked) = self
            .store
            .record_login_failure(&failure, i64::from(policy.lockout_threshold), until)
            .await?;
        if locked {
            self.record(
                EventType::Lockout,
                Some(username),
                client,
                json!({"failed_logins": failures, "source": source, "locked_until": until}),
            )
            .await?;
        }
        Ok(())
    }

    /// The identity behind a bearer token (session token or `unet_…` API key).
    pub async fn authenticate(&self, bearer: &str, client: &Client) -> Result<Identity> {
        let digest = secret::digest(bearer);
        let now = Timestamp::now();
        let found = if bearer.starts_with(API_KEY_PREFIX) {
            self.api_key_identity(&digest, now).await?
        } else {
            self.session_identity(&digest, now).await?
        };
        match found {
            Ok(identity) => Ok(identity),
            Err(reason) => {
                self.record(
                    EventType::AuthFailure,
                    None,
                    client,
                    json!({"reason": reason}),
                )
                .await?;
                Err(AuthError::Unauthenticated(reason))
            }
        }
    }

    async fn session_identity(
        &self,
        digest: &str,
        now: Timestamp,
    ) -> Result<Result<Identity, &'static str>> {
        let Some((session, user)) = self.store.session_by_hash(digest).await? else {
            return Ok(Err("unknown or revoked token"));
        };
        if !secret::same(&session.token_hash, digest) {
            return Ok(Err("unknown or revoked token"));
        }
        if session.expires_at <= now {
            self.store.delete_session(digest).await?;
            return Ok(Err("expired token"));
        }
        if user.disabled {
            return Ok(Err("account disabled"));
        }
        Ok(Ok(Identity {
            name: user.username,
            roles: role::parse_stored(&user.roles),
            credential: Credential::Session { user_id: user.id },
        }))
    }

    async fn api_key_identity(
        &self,
        digest: &str,
        now: Timestamp,
    ) -> Result<Result<Identity, &'static str>> {
        let Some(key) = self.store.api_key_by_hash(digest).await? else {
            return Ok(Err("unknown API key"));
        };
        if !secret::same(&key.key_hash, digest) {
            return Ok(Err("unknown API key"));
        }
        if key.revoked_at.is_some() {
            return Ok(Err("revoked API key"));
        }
        if key.expires <= now {
            return Ok(Err("expired API key"));
        }
        // A key outlives neither its creator's account nor their disabling.
        match self.store.user_by_username(&key.created_by).await? {
            Some(u) if !u.disabled => {}
            _ => return Ok(Err("API key of a disabled or deleted user")),
        }
        self.key_uses
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.id, now);
        Ok(Ok(Identity {
            name: format!("key:{}", key.name),
            roles: role::parse_stored(&key.roles),
            credential: Credential::ApiKey {
                id: key.id,
                created_by: key.created_by,
            },
        }))
    }

    /// Writes the API-key `last_used` times gathered since the last flush (called every few
    /// seconds and at shutdown, so a request never waits on that write).
    pub async fn flush_key_uses(&self) -> Result<()> {
        let uses: Vec<(Uuid, Timestamp)> =
            std::mem::take(&mut *self.key_uses.lock().unwrap_or_else(|e| e.into_inner()))
                .into_iter()
                .collect();
        self.store.record_api_key_use(&uses).await?;
        Ok(())
    }

    /// Ends the session of `bearer`.
    pub async fn logout(&self, bearer: &str, username: &str, client: &Client) -> Result<()> {
        self.store.delete_session(&secret::digest(bearer)).await?;
        self.record(EventType::Logout, Some(username), client, json!({}))
            .await
    }

    /// Replaces the policy after validation; effective at once, stored and audited.
    pub async fn set_policy(
        &self,
        policy: SecurityPolicy,
        actor: &str,
        client: &Client,
    ) -> Result<()> {
        policy.validate()?;
        let previous = self.policy();
        self.store
            .put_security_policy(&StoredPolicy {
                policy: serde_json::to_value(policy).unwrap_or_default(),
                updated_at: Timestamp::now(),
                updated_by: actor.to_string(),
            })
            .await?;
        *self.policy.write().unwrap_or_else(|e| e.into_inner()) = policy;
        self.record(
            EventType::PolicyChange,
            Some(actor),
            client,
            json!({"previous": previous, "policy": policy}),
        )
        .await
    }

    /// Creates the `admin` user with a random password when there are no users, writing the
    /// password to `<data_dir>/initial-admin-password` (0600). Returns the file's path when it
    /// did.
    pub async fn bootstrap_admin(&self, data_dir: &Path) -> Result<Option<PathBuf>> {
        if self.store.count_users().await? > 0 {
            return Ok(None);
        }
        let password = secret::new_session_token();
        let path = data_dir.join("initial-admin-password");
        write_private(&path, &format!("{password}\n"))?;
        let hash = hash_blocking(password).await?;
        self.store
            .insert_user(&new_user("admin", hash, &[Role::Admin]))
            .await?;
        self.record(
            EventType::UserChange,
            Some("admin"),
            &Client::default(),
            json!({"action": "bootstrap", "password_file": path.display().to_string()}),
        )
        .await?;
        Ok(Some(path))
    }
}

pub(crate) async fn hash_blocking(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || secret::hash_password(&password))
        .await
        .map_err(|e| AuthError::Hashing(e.to_string()))?
}

/// Writes `contents` to a new file readable by its owner only.
pub fn write_private(path: &Path, contents: &str) -> Result<()> {
    use std::io::Write;
    let io = |source| AuthError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(io)?;
    }
    file.write_all(contents.as_bytes()).map_err(io)?;
    Ok(())
}

pub(crate) const NEVER_USED_WINDOW: Duration = Duration::from_secs(90 * 86400);
