//! The audit summary: logins, lockouts and API keys over a window.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use unet_core::Timestamp;

use crate::Result;
use crate::service::{NEVER_USED_WINDOW, Security, before};

/// API keys expiring within this are reported as expiring.
const EXPIRING_WITHIN: Duration = Duration::from_secs(7 * 86400);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditSummary {
    pub since: Timestamp,
    pub until: Timestamp,
    pub auth_successes: u64,
    pub auth_failures: u64,
    pub lockouts: u64,
    /// Accounts locked out right now from at least one source address.
    pub locked_accounts: u64,
    pub active_api_keys: u64,
    /// Live keys expiring within seven days.
    pub expiring_api_keys: u64,
    /// Enabled users without a login for 90 days (or never, when created over 90 days ago).
    pub inactive_users: u64,
    pub permission_denials: u64,
    pub rate_limited: u64,
    pub policy_changes: u64,
    pub user_changes: u64,
    pub api_key_changes: u64,
}

impl Security {
    /// Counts over the last `window`.
    pub async fn audit_summary(&self, window: Duration) -> Result<AuditSummary> {
        let now = Timestamp::now();
        let since = before(now, window);
        let counts = self.store.security_event_counts(since).await?;
        let count = |kind: &str| {
            counts
                .iter()
                .find(|(t, _)| t == kind)
                .map_or(0, |(_, n)| *n)
        };
        let users = self.store.list_users().await?;
        let inactive_before = before(now, NEVER_USED_WINDOW);
        let keys = self.store.list_api_keys(None).await?;
        let live: Vec<_> = keys.iter().filter(|k| k.expires > now).collect();
        let soon =
            Timestamp::from_unix_seconds(now.unix_seconds() + EXPIRING_WITHIN.as_secs() as i64)
                .unwrap_or(now);
        Ok(AuditSummary {
            since,
            until: now,
            auth_successes: count("auth_success"),
            auth_failures: count("auth_failure"),
            lockouts: count("lockout"),
            locked_accounts: self.store.count_locked_accounts(now).await?,
            active_api_keys: live.len() as u64,
            expiring_api_keys: live.iter().filter(|k| k.expires <= soon).count() as u64,
            inactive_users: users
                .iter()
                .filter(|u| !u.disabled)
                .filter(|u| u.last_login.unwrap_or(u.created_at) < inactive_before)
                .count() as u64,
            permission_denials: count("permission_denied"),
            rate_limited: count("rate_limited"),
            policy_changes: count("policy_change"),
            user_changes: count("user_change"),
            api_key_changes: count("api_key_change"),
        })
    }
}
