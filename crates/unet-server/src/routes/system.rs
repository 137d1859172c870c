//! Operations endpoints: the metrics snapshot and Prometheus exposition, the system status,
//! snapshots, and the live database pool figures.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use unet_core::Timestamp;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Access, Guard, Role, authorize};
use crate::error::{Error, ErrorCode, Result};
use crate::extract::parse_untyped_body;
use crate::state::AppState;
use unet_ops::host::{HostFigures, figures};
use unet_ops::snapshot::{self, Snapshot, SnapshotKind};

/// Viewers read the figures; operators take snapshots.
const OPERATIONS: Access = Access {
    read: Role::Viewer,
    write: Role::Operator,
};

/// The database configuration is for administrators only.
const DATABASE_CONFIG: Access = Access {
    read: Role::Admin,
    write: Role::Admin,
};

pub(super) fn router(state: &AppState) -> OpenApiRouter<AppState> {
    let operations = OpenApiRouter::new()
        .routes(routes!(metrics_snapshot))
        .routes(routes!(system_status))
        .routes(routes!(create_snapshot))
        .routes(routes!(list_snapshots))
        .route_layer(from_fn_with_state((state.clone(), OPERATIONS), authorize));
    let database = OpenApiRouter::new()
        .routes(routes!(database_config))
        .route_layer(from_fn_with_state(
            (state.clone(), DATABASE_CONFIG),
            authorize,
        ));
    operations.merge(database)
}

/// `GET /metrics`, outside the OpenAPI document (it is not JSON); whether it needs a token is
/// decided per request by `[metrics] public`, so a reload can change it.
pub(super) fn prometheus_router() -> Router<AppState> {
    Router::new().route("/metrics", axum::routing::get(prometheus))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MetricsSnapshot {
    #[schema(value_type = String, format = DateTime)]
    timestamp: Timestamp,
    system: SystemFigures,
    performance: Performance,
    business: Business,
}

#[derive(Debug, Serialize, ToSchema)]
struct SystemFigures {
    uptime_seconds: u64,
    #[serde(flatten)]
    host: HostFigures,
}

#[derive(Debug, Serialize, ToSchema)]
struct Performance {
    http_requests_total: u64,
    http_server_errors_total: u64,
    /// Milliseconds.
    http_request_duration_avg: f64,
    /// Milliseconds (upper bound of the histogram bucket).
    http_request_duration_p95: f64,
    db_statements_total: u64,
    /// Database failures met since the start (statements or connections that failed, health
    /// checks refused); also `unet_database_errors_total`.
    db_errors_total: u64,
    db_pool_size: u32,
    db_pool_idle: u64,
}

#[derive(Debug, Serialize, ToSchema)]
struct Business {
    nodes_total: i64,
    locations_total: i64,
    links_total: i64,
    changes_total: i64,
    /// Absent until user accounts exist in this database.
    #[serde(skip_serializing_if = "Option::is_none")]
    users_total: Option<i64>,
}

async fn business(state: &AppState) -> Result<Business> {
    let counts = state.store().inventory_counts().await?;
    Ok(Business {
        nodes_total: counts.nodes,
        locations_total: counts.locations,
        links_total: counts.links,
        changes_total: counts.changes,
        users_total: counts.users,
    })
}

fn performance(state: &AppState) -> Performance {
    let totals = state.operations().metrics().totals();
    let pool = state.store().pool_status();
    Performance {
        http_requests_total: totals.requests,
        http_server_errors_total: totals.server_errors,
        http_request_duration_avg: totals.duration_avg_ms,
        http_request_duration_p95: totals.duration_p95_ms,
        db_statements_total: state.store().statements_executed(),
        db_errors_total: state.operations().metrics().database_errors(),
        db_pool_size: pool.size,
        db_pool_idle: pool.idle,
    }
}

/// Process, request and inventory figures at this moment.
#[utoipa::path(get, path = "/api/v1/metrics/snapshot", tag = "system",
    responses((status = 200, body = MetricsSnapshot)))]
async fn metrics_snapshot(State(state): State<AppState>) -> Result<Json<MetricsSnapshot>> {
    let settings = state.operations().settings();
    let uptime = state.uptime_seconds();
    let host = figures(&settings.data_dir, uptime as f64);
    Ok(Json(MetricsSnapshot {
        timestamp: Timestamp::now(),
        system: SystemFigures {
            uptime_seconds: uptime,
            host,
        },
        performance: performance(&state),
        business: business(&state).await?,
    }))
}

async fn prometheus(State(state): State<AppState>, parts: Parts) -> Result<Response> {
    if !state.operations().settings().metrics.public {
        let principal = state.authenticator().authenticate(&parts).await?;
        if !principal.may(Role::Viewer) {
            return Err(Error::request(
                StatusCode::FORBIDDEN,
                ErrorCode::Forbidden,
                "this request needs the Viewer role",
            ));
        }
    }
    let p = performance(&state);
    let host = figures(&state.operations().settings().data_dir, 0.0);
    let mut extra = vec![
        (
            "unet_uptime_seconds",
            "Seconds since the server started.",
            "gauge",
            state.uptime_seconds() as f64,
        ),
        (
            "unet_db_statements_total",
            "SQL statements run by the store.",
            "counter",
            p.db_statements_total as f64,
        ),
        (
            "unet_database_errors_total",
            "Database failures: statements or connections that failed, health checks refused.",
            "counter",
            p.db_errors_total as f64,
        ),
        (
            "unet_db_pool_connections",
            "Open database connections.",
            "gauge",
            f64::from(p.db_pool_size),
        ),
        (
            "unet_db_pool_idle_connections",
            "Idle database connections.",
            "gauge",
            p.db_pool_idle as f64,
        ),
    ];
    // The collection gauges; the counters and durations are the registry's own.
    let summary = state
        .store()
        .collection_summary(Timestamp::now())
        .await
        .unwrap_or_default();
    extra.extend([
        (
            "unet_collection_nodes_managed",
            "Nodes whose running configuration is collected.",
            "gauge",
            summary.managed as f64,
        ),
        (
            "unet_collection_nodes_failing",
            "Managed nodes whose last collection failed.",
            "gauge",
            summary.failing as f64,
        ),
        (
            "unet_collection_nodes_due",
            "Managed nodes due for collection now.",
            "gauge",
            summary.due as f64,
        ),
        (
            "unet_collections_in_progress",
            "Collections running now.",
            "gauge",
            state.collector().in_progress().len() as f64,
        ),
    ]);
    let polls = state
        .store()
        .poll_summary(Timestamp::now())
        .await
        .unwrap_or_default();
    extra.extend([
        (
            "unet_poll_nodes_managed",
            "Nodes whose SNMP agent is polled.",
            "gauge",
            polls.managed as f64,
        ),
        (
            "unet_poll_nodes_failing",
            "Managed nodes whose last poll failed.",
            "gauge",
            polls.failing as f64,
        ),
        (
            "unet_poll_nodes_unreachable",
            "Managed nodes whose SNMP agent does not answer.",
            "gauge",
            polls.unreachable as f64,
        ),
        (
            "unet_poll_nodes_drifting",
            "Managed nodes that disagree with the inventory at their last poll.",
            "gauge",
            polls.drifting as f64,
        ),
        (
            "unet_polls_in_progress",
            "Polls running now.",
            "gauge",
            state.poller().in_progress().len() as f64,
        ),
    ]);
    if let Some(rss) = host.memory_rss_bytes {
        extra.push((
            "unet_process_resident_memory_bytes",
            "Resident memory.",
            "gauge",
            rss as f64,
        ));
    }
    if let Some(fds) = host.open_fds {
        extra.push((
            "unet_process_open_fds",
            "Open file descriptors.",
            "gauge",
            fds as f64,
        ));
    }
    let mut text = state.operations().metrics().prometheus(&extra);
    if state.poller().interface_metrics() {
        interface_series(&mut text, &state.store().interface_samples().await?);
    }
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// `unet_interface_*{node, interface}`: every polled interface's status, speed, traffic and
/// errors (`snmp.interface_metrics`).
fn interface_series(out: &mut String, samples: &[unet_store::InterfaceSample]) {
    use std::fmt::Write;
    type Figure = fn(&unet_store::InterfaceSample) -> Option<u64>;
    let figures: [(&str, &str, &str, Figure); 8] = [
        (
            "up",
            "Whether the interface's oper status is up (1) or not (0).",
            "gauge",
            |s| Some(u64::from(s.up)),
        ),
        (
            "speed_bps",
            "The interface's speed, bits per second.",
            "gauge",
            |s| s.speed_bps,
        ),
        (
            "in_bps",
            "Traffic in between the last two polls, bits per second.",
            "gauge",
            |s| s.in_bps,
        ),
        (
            "out_bps",
            "Traffic out between the last two polls, bits per second.",
            "gauge",
            |s| s.out_bps,
        ),
        (
            "in_errors_total",
            "Inbound errors (ifInErrors).",
            "counter",
            |s| s.in_errors,
        ),
        (
            "out_errors_total",
            "Outbound errors (ifOutErrors).",
            "counter",
            |s| s.out_errors,
        ),
        (
            "in_discards_total",
            "Inbound discards (ifInDiscards).",
            "counter",
            |s| s.in_discards,
        ),
        (
            "out_discards_total",
            "Outbound discards (ifOutDiscards).",
            "counter",
            |s| s.out_discards,
        ),
    ];
    let label = |text: &str| {
        text.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
    };
    for (name, help, kind, value) in figures {
        let _ = writeln!(out, "# HELP unet_interface_{name} {help}");
        let _ = writeln!(out, "# TYPE unet_interface_{name} {kind}");
        for sample in samples {
            if let Some(v) = value(sample) {
                let _ = writeln!(
                    out,
                    "unet_interface_{name}{{node=\"{}\",interface=\"{}\"}} {v}",
                    label(&sample.node),
                    label(&sample.interface)
                );
            }
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SystemStatus {
    version: String,
    #[schema(value_type = String, format = DateTime)]
    started_at: Timestamp,
    uptime_seconds: u64,
    database_backend: String,
    pending_migrations: Vec<String>,
    components: Vec<Component>,
}

#[derive(Debug, Serialize, ToSchema)]
struct Component {
    name: &'static str,
    /// `ok`, `error`, `idle`, `running`, `expiring` (tls), `disabled` or `not_available` (not
    /// part of this build).
    state: &'static str,
    #[schema(value_type = Option<String>, format = DateTime)]
    last_run: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

/// Each component with its state and last run.
#[utoipa::path(get, path = "/api/v1/system/status", tag = "system",
    responses((status = 200, body = SystemStatus)))]
async fn system_status(State(state): State<AppState>) -> Result<Json<SystemStatus>> {
    let store = state.store();
    let ops = state.operations();
    let now = Timestamp::now();
    let (database, pending_migrations) = match store.migration_status().await {
        Ok(status) => (
            component("database", "ok", Some(now), None),
            status
                .into_iter()
                .filter(|m| m.applied_at.is_none())
                .map(|m| m.version.to_string())
                .collect(),
        ),
        Err(e) => {
            ops.metrics().database_error();
            tracing::error!(target: "unet::system", error = %e, "ERROR system_status database check failed");
            let detail = "the database did not answer the status query".to_string();
            (
                component("database", "error", Some(now), Some(detail)),
                Vec::new(),
            )
        }
    };
    let tls = match ops.tls() {
        Some(tls) if tls.status().expiring_soon => "expiring",
        Some(_) => "ok",
        None => "disabled",
    };
    Ok(Json(SystemStatus {
        version: env!("CARGO_PKG_VERSION").to_string(),
        started_at: ops.started_at(),
        uptime_seconds: state.uptime_seconds(),
        database_backend: store.backend().as_str().to_string(),
        pending_migrations,
        components: vec![
            database,
            component("snapshots", "idle", ops.snapshots().last(), None),
            component("tls", tls, None, None),
            collector_component(&state).await,
            poller_component(&state).await,
            policy_component(&state),
            templates_component(&state),
            git_component(&state),
        ],
    }))
}

/// The collection schedule: `disabled`, `running` (collections in progress), `failing` (some
/// managed nodes' last attempt failed) or `idle`, with the fleet's figures.
async fn collector_component(state: &AppState) -> Component {
    let collector = state.collector();
    let in_progress = collector.in_progress().len();
    let summary = match state.store().collection_summary(Timestamp::now()).await {
        Ok(summary) => summary,
        Err(e) => {
            let detail = format!("the collection figures are not readable: {e}");
            return component("scheduler", "error", collector.last_run(), Some(detail));
        }
    };
    let figure_state = if in_progress > 0 {
        "running"
    } else if !collector.enabled() {
        "disabled"
    } else if summary.failing > 0 {
        "failing"
    } else {
        "idle"
    };
    let detail = format!(
        "config collection: {} managed nodes, {} due, {in_progress} in progress, {} failing, {} never collected",
        summary.managed, summary.due, summary.failing, summary.never_collected
    );
    component(
        "scheduler",
        figure_state,
        collector.last_run(),
        Some(detail),
    )
}

/// The SNMP poller: `disabled`, `polling` (polls in progress), `failing` (some managed nodes'
/// last poll failed) or `idle`, with the fleet's figures.
async fn poller_component(state: &AppState) -> Component {
    let poller = state.poller();
    let polling = poller.in_progress().len();
    let summary = match state.store().poll_summary(Timestamp::now()).await {
        Ok(summary) => summary,
        Err(e) => {
            let detail = format!("the polling figures are not readable: {e}");
            return component("snmp_poller", "error", poller.last_run(), Some(detail));
        }
    };
    let figure_state = if polling > 0 {
        "polling"
    } else if !poller.enabled() {
        "disabled"
    } else if summary.failing > 0 {
        "failing"
    } else {
        "idle"
    };
    let detail = format!(
        "snmp polling: {} managed nodes, {} due, {polling} polling, {} failing, {} unreachable, {} with drift, {} never polled",
        summary.managed,
        summary.due,
        summary.failing,
        summary.unreachable,
        summary.drifting,
        summary.never_polled
    );
    component("snmp_poller", figure_state, poller.last_run(), Some(detail))
}

fn policy_component(state: &AppState) -> Component {
    let (policy_state, last_run, detail) = state.policies().component();
    component("policy_engine", policy_state, last_run, detail)
}

fn templates_component(state: &AppState) -> Component {
    let (templates_state, loaded_at, detail) = state.templates().component();
    component("templates", templates_state, loaded_at, detail)
}

fn git_component(state: &AppState) -> Component {
    let (git_state, last_run, detail) = state.git().component();
    component("git_sync", git_state, last_run, detail)
}

fn component(
    name: &'static str,
    state: &'static str,
    last_run: Option<Timestamp>,
    detail: Option<String>,
) -> Component {
    Component {
        name,
        state,
        last_run,
        detail,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SnapshotRequest {
    /// Reduced to `[A-Za-z0-9._-]`; a name already taken gets the time appended.
    name: String,
    #[serde(rename = "type", default = "database_kind")]
    kind: SnapshotKind,
}

fn database_kind() -> SnapshotKind {
    SnapshotKind::Database
}

/// Take a snapshot. The body is read as JSON whatever its `Content-Type` (the runbook's curl
/// sends none).
#[utoipa::path(post, path = "/api/v1/system/snapshot", tag = "system",
    request_body = SnapshotRequest,
    responses((status = 201, body = Snapshot)))]
async fn create_snapshot(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<(StatusCode, Json<Snapshot>)> {
    let request: SnapshotRequest =
        parse_untyped_body(&body, r#"{"name": …, "type": "full"|"database"}"#)?;
    let ops = state.operations();
    let snapshot = ops
        .snapshots()
        .create(
            state.store(),
            ops.settings().snapshot_source(),
            &request.name,
            request.kind,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(snapshot)))
}

/// Every snapshot, newest first.
#[utoipa::path(get, path = "/api/v1/system/snapshots", tag = "system",
    responses((status = 200, body = [Snapshot])))]
async fn list_snapshots(State(state): State<AppState>) -> Result<Json<Vec<Snapshot>>> {
    let dir = state.operations().settings().snapshots_dir();
    Ok(Json(snapshot::list(dir).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DatabaseConfig {
    backend: String,
    /// Password replaced by `***`.
    url: String,
    connection_pool: ConnectionPool,
    busy_timeout_ms: u64,
    slow_query_threshold_ms: u64,
}

#[derive(Debug, Serialize, ToSchema)]
struct ConnectionPool {
    size: u32,
    idle: u64,
    in_use: u64,
    max_connections: u32,
    min_connections: u32,
    acquire_timeout_ms: u64,
}

/// The database settings and the live connection pool figures.
#[utoipa::path(get, path = "/api/v1/config/database", tag = "system",
    responses((status = 200, body = DatabaseConfig)))]
async fn database_config(State(state): State<AppState>) -> Json<DatabaseConfig> {
    let settings = state.operations().settings();
    let pool = state.store().pool_status();
    Json(DatabaseConfig {
        backend: state.store().backend().as_str().to_string(),
        url: crate::config::redact_url(&settings.database_url),
        connection_pool: ConnectionPool {
            size: pool.size,
            idle: pool.idle,
            in_use: u64::from(pool.size).saturating_sub(pool.idle),
            max_connections: pool.max_connections,
            min_connections: pool.min_connections,
            acquire_timeout_ms: pool.acquire_timeout.as_millis() as u64,
        },
        busy_timeout_ms: settings.busy_timeout.as_millis() as u64,
        slow_query_threshold_ms: settings.slow_query_threshold.as_millis() as u64,
    })
}
