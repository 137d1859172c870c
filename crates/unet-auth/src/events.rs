//! Security events: stored for `GET /security/events` and logged as one line each. Failed
//! authentication logs contain `auth_failure`, everything else `security`, and refusals by
//! lockout or rate limit `blocked`, which is what the runbook greps for.

use serde::Serialize;
use serde_json::Value;
use unet_core::{Timestamp, Uuid};
use unet_store::SecurityEventRecord;

/// Where a request came from, as recorded with its events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Client {
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
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
        }
    }
}

/// The event as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
        "lockout" | "rate_limited" => {
            tracing::warn!(target: "unet::security", event = kind, username, source_ip, %detail, "security blocked")
        }
        _ => {
            tracing::info!(target: "unet::security", event = kind, username, source_ip, %detail, "security")
        }
    }
}
