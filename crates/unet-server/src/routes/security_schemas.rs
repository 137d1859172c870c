//! OpenAPI component schemas of the security endpoints, written against the JSON they send.

use serde_json::{Value, json};

fn timestamp() -> Value {
    json!({"type": "string", "format": "date-time"})
}

fn nullable_timestamp() -> Value {
    json!({"type": ["string", "null"], "format": "date-time"})
}

fn roles() -> Value {
    json!({"type": "array", "items": {"type": "string", "enum": ["viewer", "auditor", "operator", "admin"]}})
}

fn uuid() -> Value {
    json!({"type": "string", "format": "uuid"})
}

fn object(props: Value) -> Value {
    let required: Vec<String> = props
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    json!({"type": "object", "properties": props, "required": required})
}

fn count() -> Value {
    json!({"type": "integer", "minimum": 0})
}

fn list(name: &str) -> Value {
    json!({"type": "array", "items": {"$ref": format!("#/components/schemas/{name}")}})
}

fn api_key_props() -> Value {
    json!({
        "id": uuid(),
        "name": {"type": "string"},
        "prefix": {"type": "string", "description": "The first characters of the secret"},
        "roles": roles(),
        "created_by": {"type": "string"},
        "created_at": timestamp(),
        "last_used": nullable_timestamp(),
        "expires": timestamp(),
    })
}

fn described(mut schema: Value, description: &str) -> Value {
    schema["description"] = json!(description);
    schema
}

fn policy() -> Value {
    let bounded = |min: u64, max: u64| json!({"type": "integer", "minimum": min, "maximum": max});
    let mut schema = object(json!({
        "password": {
            "type": "object",
            "additionalProperties": false,
            "required": ["min_length", "require_uppercase", "require_lowercase", "require_digit", "require_symbol"],
            "properties": {
                "min_length": bounded(8, 128),
                "require_uppercase": {"type": "boolean"},
                "require_lowercase": {"type": "boolean"},
                "require_digit": {"type": "boolean"},
                "require_symbol": {"type": "boolean"},
            },
        },
        "lockout_threshold": described(bounded(1, 100), "Failed logins in a row of one username from one source address that lock that username out from that address (other addresses are not affected)"),
        "lockout_duration_secs": described(bounded(1, 7 * 86400), "How long such a lockout lasts, and how long a failed login is remembered"),
        "session_ttl_secs": bounded(60, 30 * 86400),
        "api_key_max_lifetime_days": bounded(1, 3650),
        "login_rate_limit_per_minute": described(bounded(1, 10_000), "Login attempts (and wrongly signed Git webhook calls) per source address per minute, all usernames together"),
    }));
    schema["additionalProperties"] = json!(false);
    schema
}

pub(super) fn schemas() -> Vec<(String, Value)> {
    let mut created = api_key_props();
    created["secret"] = json!({"type": "string", "description": "The key itself (`unet_…`), shown only in this answer"});
    let summary = [
        "auth_successes",
        "auth_failures",
        "lockouts",
        "locked_accounts",
        "active_api_keys",
        "expiring_api_keys",
        "inactive_users",
        "permission_denials",
        "rate_limited",
        "policy_changes",
        "user_changes",
        "api_key_changes",
    ];
    let mut summary_props = json!({"since": timestamp(), "until": timestamp()});
    for field in summary {
        summary_props[field] = count();
    }
    vec![
        (
            "User".into(),
            object(json!({
                "id": uuid(),
                "username": {"type": "string"},
                "roles": roles(),
                "last_login": nullable_timestamp(),
                "created_at": timestamp(),
                "disabled": {"type": "boolean"},
            })),
        ),
        ("UserList".into(), list("User")),
        ("ApiKey".into(), object(api_key_props())),
        ("ApiKeyList".into(), list("ApiKey")),
        ("CreatedApiKey".into(), object(created)),
        (
            "SecurityEvent".into(),
            object(json!({
                "id": uuid(),
                "timestamp": timestamp(),
                "type": {"type": "string"},
                "username": {"type": ["string", "null"]},
                "source_ip": {"type": ["string", "null"]},
                "user_agent": {"type": ["string", "null"]},
                "detail": {"type": "object"},
            })),
        ),
        ("SecurityEventList".into(), list("SecurityEvent")),
        ("AuditSummary".into(), object(summary_props)),
        ("SecurityPolicy".into(), policy()),
    ]
}
