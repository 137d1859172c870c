//! `/api/v1/security/…`: the security event trail, the audit summary and the security policy.
//! Auditors and admins read; only admins change the policy.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::request::Parts;
use axum::middleware::from_fn_with_state;
use serde::Deserialize;
use unet_auth::{AuditSummary, SecurityEvent, SecurityPolicy};
use unet_core::{CoreError, Timestamp};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::listing::bad_query;
use crate::auth::{Access, Caller, authorize, client_of};
use crate::error::Result;
use crate::extract::{JsonBody, QueryParams};
use crate::state::AppState;

pub(super) fn router(state: &AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_events))
        .routes(routes!(audit_summary))
        .routes(routes!(get_policy, put_policy))
        .route_layer(from_fn_with_state(
            (state.clone(), Access::SECURITY),
            authorize,
        ))
}

/// Reads a bounded integer query value; `None` gives `default`.
fn bounded(field: &'static str, text: Option<&str>, default: u32, max: u32) -> Result<u32> {
    let Some(text) = text else {
        return Ok(default);
    };
    match text.parse::<u32>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(bad_query(CoreError::invalid(
            field,
            format!("an integer from 1 to {max}"),
            text,
        ))),
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct EventQuery {
    /// Event type: auth_success, auth_failure, lockout, rate_limited, permission_denied,
    /// logout, user_change, api_key_change, policy_change, certificate_rotation,
    /// git_host_key_rejected, ssh_host_key_rejected, ssh_host_key_forgotten.
    #[serde(default, rename = "type")]
    #[param(rename = "type")]
    event_type: Option<String>,
    /// At most this many events, 1 to 1000 (default 100).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    #[serde(default)]
    limit: Option<String>,
    /// Events at or after this RFC 3339 time.
    #[param(value_type = Option<String>, format = DateTime)]
    #[serde(default)]
    since: Option<String>,
}

/// Security events, newest first.
#[utoipa::path(get, path = "/api/v1/security/events", tag = "security", params(EventQuery),
    responses((status = 200, description = "Events", body = ref("#/components/schemas/SecurityEventList"))))]
async fn list_events(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<EventQuery>,
) -> Result<Json<Vec<SecurityEvent>>> {
    let limit = bounded("limit", query.limit.as_deref(), 100, 1000)?;
    let since = query
        .since
        .as_deref()
        .map(|t| {
            t.parse::<Timestamp>()
                .map_err(|_| bad_query(CoreError::invalid("since", "an RFC 3339 time", t)))
        })
        .transpose()?;
    let events = state
        .store()
        .security_events(query.event_type.as_deref(), since, limit)
        .await?;
    Ok(Json(events.into_iter().map(SecurityEvent::from).collect()))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct SummaryQuery {
    /// The window counted, in hours back from now, 1 to 8760 (default 24).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 8760)]
    #[serde(default)]
    window_hours: Option<String>,
}

/// Counts over a window: logins, failures, lockouts, keys, inactive users, denials.
#[utoipa::path(get, path = "/api/v1/security/audit/summary", tag = "security", params(SummaryQuery),
    responses((status = 200, description = "The summary", body = ref("#/components/schemas/AuditSummary"))))]
async fn audit_summary(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<SummaryQuery>,
) -> Result<Json<AuditSummary>> {
    let hours = bounded("window_hours", query.window_hours.as_deref(), 24, 8760)?;
    let window = Duration::from_secs(u64::from(hours) * 3600);
    Ok(Json(state.security().audit_summary(window).await?))
}

/// The effective security policy.
#[utoipa::path(get, path = "/api/v1/security/policies", tag = "security",
    responses((status = 200, description = "The policy", body = ref("#/components/schemas/SecurityPolicy"))))]
async fn get_policy(State(state): State<AppState>) -> Json<SecurityPolicy> {
    Json(state.security().policy())
}

/// Replace the security policy; validated, effective at once, audited.
#[utoipa::path(put, path = "/api/v1/security/policies", tag = "security",
    request_body(content = ref("#/components/schemas/SecurityPolicy")),
    responses((status = 200, description = "The policy now in force", body = ref("#/components/schemas/SecurityPolicy"))))]
async fn put_policy(
    State(state): State<AppState>,
    Caller(caller): Caller,
    parts: Parts,
    JsonBody(policy): JsonBody<SecurityPolicy>,
) -> Result<Json<SecurityPolicy>> {
    state
        .security()
        .set_policy(policy, &caller.name, &client_of(&parts))
        .await?;
    Ok(Json(state.security().policy()))
}
