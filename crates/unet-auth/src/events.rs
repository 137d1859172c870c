//! Security events: stored for `GET /security/events` and logged as one line each. Failed
//! authentication logs contain `auth_failure`, everything else `security`, and refusals by
//! lockout or rate limit `blocked`, which is what the runbook greps for.

use std::net::{IpAddr, Ipv6Addr};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use unet_core::{Timestamp, Uuid};
use unet_store::SecurityEventRecord;

/// Where a request came from, as recorded with its events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Client {
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Client {
    /// The source login throttling counts by: the IPv4 address, or the /64 network of an IPv6
    /// address (one host commonly holds a whole /64, so counting single addresses would give
    /// it an unbounded number of budgets); `unknown` when the address is not known.
    pub fn throttle_source(&self) -> String {
        let Some(text) = self.source_ip.as_deref() else {
            return "unknown".to_string();
        };
        match text.parse::<IpAddr>().map(|ip| ip.to_canonical()) {
            Ok(IpAddr::V6(v6)) => {
                let network = u128::from(v6) & !(u128::MAX >> 64);
                format!("{}/64", Ipv6Addr::from(network))
            }
            Ok(IpAddr::V4(v4)) => v4.to_string(),
            Err(_) => text.to_string(),
        }
    }
}

/// Kinds of security events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    AuthSuccess,
    AuthFailure,
    Lockout,
    RateLimited,
    PermissionDenied,
    Logout,
    UserChange,
    ApiKeyChange,
    PolicyChange,
    CertificateRotation,
    /// A Git sync over ssh refused because the server's host key is unknown or changed.
    GitHostKeyRejected,
    /// A collection refused because a device presented another SSH host key than its own.
    SshHostKeyRejected,
    /// An operator forgot a node's pinned SSH host key (the next contact pins a new one).
    SshHostKeyForgotten,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::AuthSuccess => "auth_success",
            EventType::AuthFailure => "auth_failure",
            EventType::Lockout => "lockout",
            EventType::RateLimited => "rate_limited",
            EventType::PermissionDenied => "permission_denied",
            EventType::Logout => "logout",
            EventType::UserChange => "user_change",
            EventType::ApiKeyChange => "api_key_change",
            EventType::PolicyChange => "policy_change",
            EventType::CertificateRotation => "certificate_rotation",
            EventType::GitHostKeyRejected => "git_host_key_rejected",
            EventType::SshHostKeyRejected => "ssh_host_key_rejected",
            EventType::SshHostKeyForgotten => "ssh_host_key_forgotten",
        }
    }
}

/// The event as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityEvent {
    pub id: Uuid,
    pub timestamp: Timestamp,
    #[serde(rename = "type")]
    pub event_type: String,
    pub username: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub detail: Value,
}

impl From<SecurityEventRecord> for SecurityEvent {
    fn from(r: SecurityEventRecord) -> Self {
        SecurityEvent {
            id: r.id,
            timestamp: r.timestamp,
            event_type: r.event_type,
            username: r.username,
            source_ip: r.source_ip,
            user_agent: r.user_agent,
            detail: r.detail,
        }
    }
}

pub(crate) fn record(
    event_type: EventType,
    username: Option<&str>,
    client: &Client,
    detail: Value,
) -> SecurityEventRecord {
    SecurityEventRecord {
        id: Uuid::now_v7(),
        timestamp: Timestamp::now(),
        event_type: event_type.as_str().to_string(),
        username: username.map(str::to_string),
        source_ip: client.source_ip.clone(),
        user_agent: client.user_agent.clone(),
        detail,
    }
}

pub(crate) fn log(event: &SecurityEventRecord) {
    let username = event.username.as_deref().unwrap_or("");
    let source_ip = event.source_ip.as_deref().unwrap_or("");
    let kind = event.event_type.as_str();
    let detail = &event.detail;
    match kind {
        "auth_failure" => {
            tracing::warn!(target: "unet::security", event = kind, username, source_ip, %detail, "auth_failure")
        }
        "git_host_key_rejected" => {
            tracing::warn!(target: "unet::security", event = kind, %detail, "security git host key rejected")
        }
        "ssh_host_key_rejected" => {
            tracing::warn!(target: "unet::security", event = kind, %detail, "security device host key rejected")
        }
        "lockout" | "rate_limited" => {
            tracing::warn!(target: "unet::security", event = kind, username, source_ip, %detail, "security blocked")
        }
        _ => {
            tracing::info!(target: "unet::security", event = kind, username, source_ip, %detail, "security")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(ip: Option<&str>) -> String {
        Client {
            source_ip: ip.map(str::to_string),
            user_agent: None,
        }
        .throttle_source()
    }

    #[test]
    fn throttle_source_is_the_ipv4_address_or_the_ipv6_network() {
        assert_eq!(source(Some("192.0.2.7")), "192.0.2.7");
        assert_eq!(source(Some("::ffff:192.0.2.7")), "192.0.2.7");
        assert_eq!(source(Some("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
        assert_eq!(
            source(Some("2001:db8:1:2:bbbb::9")),
            source(Some("2001:db8:1:2::1"))
        );
        assert_eq!(source(None), "unknown");
    }
}
