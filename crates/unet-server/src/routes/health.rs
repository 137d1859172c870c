//! `GET /api/v1/health`: public, cheap, and honest about the database — monitoring scripts
//! (`jq '.status'`) and load balancers (the status code) both read it.

use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// A database answering slower than this makes the server `degraded`.
const DEGRADED_AFTER: Duration = Duration::from_millis(500);
/// A database not answering within this makes the server `unhealthy`.
const UNHEALTHY_AFTER: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    Healthy,
    Degraded,
    Unhealthy,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Health {
    pub status: HealthStatus,
    pub version: String,
    pub uptime_seconds: u64,
    pub checks: HealthChecks,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HealthChecks {
    pub database: DatabaseCheck,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DatabaseCheck {
    pub status: HealthStatus,
    /// Round trip of the check query (one row at most of each core table), milliseconds.
    pub latency_ms: f64,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// Why the check failed; never contains connection secrets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(health))
}

/// Server health.
#[utoipa::path(
    get,
    path = "/api/v1/health",
    tag = "system",
    security(()),
    responses(
        (status = 200, description = "Healthy or degraded", body = Health),
        (status = 503, description = "Unhealthy: the database does not answer the check query, \
            answers it with an error (missing table, corrupt file, refused access) or takes longer \
            than 3 s", body = Health),
    )
)]
async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let store = state.store();
    let started = Instant::now();
    // The check statement needs the schema and a page of every table (`Store::probe`).
    let ping = tokio::time::timeout(UNHEALTHY_AFTER, store.probe()).await;
    let latency = started.elapsed();
    let (status, error) = match ping {
        Ok(Ok(_)) if latency > DEGRADED_AFTER => (HealthStatus::Degraded, None),
        Ok(Ok(_)) => (HealthStatus::Healthy, None),
        Ok(Err(e)) => {
            tracing::error!(target: "unet::health", error = %e, "ERROR database health check failed");
            (
                HealthStatus::Unhealthy,
                Some("the database did not answer the check query".to_string()),
            )
        }
        Err(_) => (
            HealthStatus::Unhealthy,
            Some(format!(
                "the database did not answer within {}s",
                UNHEALTHY_AFTER.as_secs()
            )),
        ),
    };
    let code = if status == HealthStatus::Unhealthy {
        state.operations().metrics().database_error();
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    let body = Health {
        status,
        version: env!("CARGO_PKG_VERSION").to_string(),
        uptime_seconds: state.uptime_seconds(),
        checks: HealthChecks {
            database: DatabaseCheck {
                status,
                latency_ms: (latency.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0,
                backend: store.backend().as_str().to_string(),
                error,
            },
        },
    };
    (code, Json(body))
}
