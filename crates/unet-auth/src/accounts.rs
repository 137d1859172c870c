//! User and API-key management, each change audited.

use serde::{Deserialize, Serialize};
use serde_json::json;
use unet_core::{Timestamp, Uuid};
use unet_store::{ApiKeyRecord, UserRecord};

use crate::events::{Client, EventType};
use crate::role::{self, Role};
use crate::secret;
use crate::service::{Security, hash_blocking};
use crate::{AuthError, Result};

/// A user as the API shows it: never the password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub roles: Vec<Role>,
    pub last_login: Option<Timestamp>,
    pub created_at: Timestamp,
    pub disabled: bool,
}

impl From<UserRecord> for User {
    fn from(u: UserRecord) -> Self {
        User {
            id: u.id,
            username: u.username,
            roles: role::parse_stored(&u.roles),
            last_login: u.last_login,
            created_at: u.created_at,
            disabled: u.disabled,
        }
    }
}

/// An API key as listed: the shown prefix, never the secret or its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    pub prefix: String,
    pub roles: Vec<Role>,
    pub created_by: String,
    pub created_at: Timestamp,
    pub last_used: Option<Timestamp>,
    pub expires: Timestamp,
}

impl From<ApiKeyRecord> for ApiKey {
    fn from(k: ApiKeyRecord) -> Self {
        ApiKey {
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            roles: role::parse_stored(&k.roles),
            created_by: k.created_by,
            created_at: k.created_at,
            last_used: k.last_used,
            expires: k.expires,
        }
    }
}

/// A new key with its secret, returned exactly once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub key: ApiKey,
    pub secret: String,
}

/// Changes to a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserUpdate {
    pub roles: Option<Vec<Role>>,
    pub disabled: Option<bool>,
    pub password: Option<String>,
}

/// A fresh, enabled account.
pub(crate) fn new_user(username: &str, password_hash: String, roles: &[Role]) -> UserRecord {
    let now = Timestamp::now();
    UserRecord {
        id: Uuid::now_v7(),
        username: username.to_string(),
        password_hash,
        roles: role::names(roles),
        disabled: false,
        last_login: None,
        password_changed_at: now,
        created_at: now,
        updated_at: now,
    }
}

fn check_username(username: &str) -> Result<()> {
    let ok = (1..=64).contains(&username.len())
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(AuthError::invalid(
            "username",
            "1 to 64 characters from letters, digits, '.', '_', '-' and '@'",
        ))
    }
}

fn check_roles(roles: &[Role]) -> Result<()> {
    if roles.is_empty() {
        return Err(AuthError::invalid("roles", "at least one role is required"));
    }
    Ok(())
}

impl Security {
    pub async fn list_users(&self) -> Result<Vec<User>> {
        Ok(self
            .store
            .list_users()
            .await?
            .into_iter()
            .map(User::from)
            .collect())
    }

    pub async fn create_user(
        &self,
        username: &str,
        password: &str,
        roles: &[Role],
        actor: &str,
        client: &Client,
    ) -> Result<User> {
        check_username(username)?;
        check_roles(roles)?;
        self.policy().check_password(password)?;
        let hash = hash_blocking(password.to_string()).await?;
        let record = new_user(username, hash, roles);
        self.store.insert_user(&record).await?;
        self.record(
            EventType::UserChange,
            Some(username),
            client,
            json!({"action": "create", "roles": roles, "by": actor}),
        )
        .await?;
        Ok(record.into())
    }

    /// Applies `update`; disabling or a new password ends the user's sessions at once, and
    /// enabling lifts the account's login lockouts.
    pub async fn update_user(
        &self,
        username: &str,
        update: UserUpdate,
        actor: &str,
        client: &Client,
    ) -> Result<User> {
        let mut user = self
            .store
            .user_by_username(username)
            .await?
            .ok_or_else(|| AuthError::NotFound(format!("user {username:?}")))?;
        let now = Timestamp::now();
        let mut changed = Vec::new();
        if let Some(roles) = &update.roles {
            check_roles(roles)?;
            user.roles = role::names(roles);
            changed.push("roles");
        }
        if let Some(disabled) = update.disabled {
            user.disabled = disabled;
            changed.push(if disabled { "disabled" } else { "enabled" });
        }
        if let Some(password) = update.password {
            self.policy().check_password(&password)?;
            user.password_hash = hash_blocking(password).await?;
            user.password_changed_at = now;
            changed.push("password");
        }
        user.updated_at = now;
        let end_sessions = update.disabled == Some(true) || changed.contains(&"password");
        self.store.update_user(&user, end_sessions).await?;
        if update.disabled == Some(false) {
            // Enabling also lifts the account's lockouts, from every address.
            self.store.lift_login_lockouts(username).await?;
        }
        self.record(
            EventType::UserChange,
            Some(username),
            client,
            json!({"action": "update", "changed": changed, "roles": role::parse_stored(&user.roles), "by": actor}),
        )
        .await?;
        Ok(user.into())
    }

    pub async fn delete_user(&self, username: &str, actor: &str, client: &Client) -> Result<()> {
        let user = self
            .store
            .user_by_username(username)
            .await?
            .ok_or_else(|| AuthError::NotFound(format!("user {username:?}")))?;
        self.store.delete_user(user.id).await?;
        self.record(
            EventType::UserChange,
            Some(username),
            client,
            json!({"action": "delete", "by": actor}),
        )
        .await
    }

    pub async fn list_api_keys(&self) -> Result<Vec<ApiKey>> {
        Ok(self
            .store
            .list_api_keys(None)
            .await?
            .into_iter()
            .map(ApiKey::from)
            .collect())
    }

    /// Creates a key for `actor` with `roles` (each granted by the actor's own roles) that
    /// expires within the policy's maximum lifetime.
    pub async fn create_api_key(
        &self,
        name: &str,
        roles: &[Role],
        expires_in_days: u32,
        actor: &str,
        actor_roles: &[Role],
        client: &Client,
    ) -> Result<CreatedApiKey> {
        if name.trim().is_empty() || name.len() > 128 {
            return Err(AuthError::invalid("name", "1 to 128 characters"));
        }
        check_roles(roles)?;
        if let Some(r) = roles.iter().find(|r| !role::may(actor_roles, **r)) {
            return Err(AuthError::Forbidden(format!(
                "a key cannot have the {r} role its creator does not hold"
            )));
        }
        let max = self.policy().api_key_max_lifetime_days;
        if expires_in_days == 0 || expires_in_days > max {
            return Err(AuthError::invalid(
                "expires_in_days",
                format!("must be 1 to {max} (security policy api_key_max_lifetime_days)"),
            ));
        }
        let (secret, prefix) = secret::new_api_key();
        let now = Timestamp::now();
        let expires =
            Timestamp::from_unix_seconds(now.unix_seconds() + i64::from(expires_in_days) * 86400)
                .unwrap_or(now);
        let record = ApiKeyRecord {
            id: Uuid::now_v7(),
            name: name.to_string(),
            prefix,
            key_hash: secret::digest(&secret),
            roles: role::names(roles),
            created_by: actor.to_string(),
            created_at: now,
            expires,
            last_used: None,
            revoked_at: None,
        };
        self.store.insert_api_key(&record).await?;
        self.record(
            EventType::ApiKeyChange,
            Some(actor),
            client,
            json!({"action": "create", "key_id": record.id, "name": name, "roles": roles, "expires": expires}),
        )
        .await?;
        Ok(CreatedApiKey {
            key: record.into(),
            secret,
        })
    }

    pub async fn revoke_api_key(&self, id: Uuid, actor: &str, client: &Client) -> Result<()> {
        if !self
            .store
            .revoke_api_key(id, None, Timestamp::now())
            .await?
        {
            return Err(AuthError::NotFound(format!("API key {id}")));
        }
        self.record(
            EventType::ApiKeyChange,
            Some(actor),
            client,
            json!({"action": "revoke", "key_id": id}),
        )
        .await
    }
}
