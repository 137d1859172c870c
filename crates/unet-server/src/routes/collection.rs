//! Collection of running configurations from the devices: collect one node now, its status,
//! forgetting its pinned host key (operators), and the fleet's statuses and a fleet-wide run.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use unet_core::{CollectionResult, CoreError, Timestamp, Uuid};
use unet_store::{CollectionFilter, CollectionStatus, CollectionSummary};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::listing::{bad_query, fleet_limit};
use crate::auth::{Access, Caller, authorize, client_of};
use crate::collector::{CollectionReport, Trigger};
use crate::error::{Problem, Result};
use crate::extract::{IdPath, QueryParams};
use crate::state::AppState;

pub(super) fn router(state: &AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(collect_node))
        .routes(routes!(node_collection))
        .routes(routes!(forget_host_key))
        .routes(routes!(fleet_collection))
        .routes(routes!(run_collection))
        .route_layer(from_fn_with_state(
            (state.clone(), Access::INVENTORY),
            authorize,
        ))
}

/// A managed node's collection status.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct NodeCollection {
    node_id: Uuid,
    node: String,
    /// A collection of this node is running now.
    in_progress: bool,
    /// `null` until the first attempt.
    #[schema(value_type = Option<String>, format = DateTime)]
    last_attempt_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    last_success_at: Option<Timestamp>,
    duration_ms: Option<u64>,
    result: Option<CollectionResult>,
    /// What went wrong; `null` on success.
    message: Option<String>,
    /// Failed attempts in a row.
    failures: u32,
    /// When the schedule collects the node next; `null`: at once.
    #[schema(value_type = Option<String>, format = DateTime)]
    next_due_at: Option<Timestamp>,
    /// The running-config version the last success stored or confirmed.
    version: Option<u64>,
    /// SHA256 fingerprint of the pinned SSH host key.
    host_key: Option<String>,
}

impl NodeCollection {
    fn new(status: CollectionStatus, in_progress: bool) -> NodeCollection {
        NodeCollection {
            node_id: status.node_id,
            node: status.node,
            in_progress,
            last_attempt_at: status.last_attempt_at,
            last_success_at: status.last_success_at,
            duration_ms: status.duration_ms,
            result: status.result,
            message: status.message,
            failures: status.failures,
            next_due_at: status.next_due_at,
            version: status.version,
            host_key: status.host_key,
        }
    }
}

/// The fleet's collection figures.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct FleetFigures {
    /// Whether the schedule runs (`collect.enabled`).
    enabled: bool,
    /// Nodes collected: active or staged, with a management address.
    managed: u64,
    /// Managed nodes due now.
    due: u64,
    /// Nodes being collected now.
    in_progress: u64,
    /// Managed nodes whose last attempt failed.
    failing: u64,
    /// Managed nodes never collected successfully.
    never_collected: u64,
    /// The start of the latest collection.
    #[schema(value_type = Option<String>, format = DateTime)]
    last_run: Option<Timestamp>,
}

impl FleetFigures {
    pub(super) fn new(state: &AppState, summary: CollectionSummary) -> FleetFigures {
        let collector = state.collector();
        FleetFigures {
            enabled: collector.enabled(),
            managed: summary.managed,
            due: summary.due,
            in_progress: collector.in_progress().len() as u64,
            failing: summary.failing,
            never_collected: summary.never_collected,
            last_run: collector.last_run(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
struct FleetCollection {
    summary: FleetFigures,
    /// The managed nodes matching the filters, by name.
    nodes: Vec<NodeCollection>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct FleetQuery {
    /// Only nodes whose last attempt ended so: stored, unchanged, unreachable, timeout,
    /// auth_failed, host_key_mismatch, output_not_recognised, command_failed, not_configured.
    #[param(value_type = Option<CollectionResult>)]
    result: Option<String>,
    /// `true`: only nodes whose last attempt failed.
    #[param(value_type = Option<bool>)]
    failing: Option<String>,
    /// At most this many nodes, 1 to 10000 (default 1000).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 10000)]
    limit: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
struct RunStarted {
    /// Managed nodes now due; the schedule collects them `collect.concurrency` at a time.
    managed: u64,
}

#[derive(Debug, Serialize, ToSchema)]
struct HostKeyForgotten {
    /// The fingerprint of the key forgotten; `null` when none was pinned.
    forgotten: Option<String>,
}

/// Collect the node's running configuration now and answer how it went: a failed collection
/// (unreachable, refused login, …) is an answer with its `result`, not an error.
#[utoipa::path(post, path = "/api/v1/nodes/{id}/collect", tag = "collection",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The collection's outcome", body = CollectionReport),
        (status = 404, description = "No such node", body = Problem,
            content_type = "application/problem+json"),
        (status = 409, description = "The node is being collected now (`collection_in_progress`)",
            body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The node is not collected: not active or staged, or no management_ip (`node_not_collectable`)",
            body = Problem, content_type = "application/problem+json")))]
async fn collect_node(
    State(state): State<AppState>,
    IdPath(id): IdPath,
) -> Result<Json<CollectionReport>> {
    Ok(Json(
        state.collector().collect_now(id, Trigger::Request).await?,
    ))
}

/// The node's collection status: last attempt, last success, result, failures in a row, next
/// time, pinned host key, and whether a collection runs now.
#[utoipa::path(get, path = "/api/v1/nodes/{id}/collection", tag = "collection",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The node's status", body = NodeCollection),
        (status = 404, description = "No such node", body = Problem,
            content_type = "application/problem+json"),
        (status = 422, description = "The node is not collected (`node_not_collectable`)",
            body = Problem, content_type = "application/problem+json")))]
async fn node_collection(
    State(state): State<AppState>,
    IdPath(id): IdPath,
) -> Result<Json<NodeCollection>> {
    match state.store().collection_status(id).await? {
        Some(status) => Ok(Json(NodeCollection::new(
            status,
            state.collector().is_in_progress(id),
        ))),
        None => Err(crate::collector::status_missing(state.store(), id).await),
    }
}

/// Forget the node's pinned SSH host key: the next collection pins the key the device presents
/// then. For a device that was replaced or re-keyed; recorded as a security event.
#[utoipa::path(delete, path = "/api/v1/nodes/{id}/host-key", tag = "collection",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The key forgotten", body = HostKeyForgotten),
        (status = 404, description = "No such node", body = Problem,
            content_type = "application/problem+json")))]
async fn forget_host_key(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    parts: Parts,
) -> Result<Json<HostKeyForgotten>> {
    let client = client_of(&parts);
    let forgotten = state
        .collector()
        .forget_host_key(id, Some(&caller.name), &client)
        .await?;
    Ok(Json(HostKeyForgotten { forgotten }))
}

/// The fleet's collection figures and the managed nodes' statuses, by name.
#[utoipa::path(get, path = "/api/v1/collection", tag = "collection",
    params(FleetQuery),
    responses(
        (status = 200, description = "Figures and statuses", body = FleetCollection),
        (status = 400, description = "A filter value that is not one of those listed", body = Problem,
            content_type = "application/problem+json")))]
async fn fleet_collection(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<FleetQuery>,
) -> Result<Json<FleetCollection>> {
    let result = query
        .result
        .as_deref()
        .map(|text| text.parse::<CollectionResult>().map_err(bad_query))
        .transpose()?;
    let failing = match query.failing.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(bad_query(CoreError::invalid(
                "failing",
                "true or false",
                other,
            )));
        }
    };
    let limit = fleet_limit(query.limit.as_deref())?;
    let store = state.store();
    let statuses = store
        .collection_statuses(&CollectionFilter { result, failing }, limit)
        .await?;
    let summary = store.collection_summary(Timestamp::now()).await?;
    let in_progress = state.collector().in_progress();
    Ok(Json(FleetCollection {
        summary: FleetFigures::new(&state, summary),
        nodes: statuses
            .into_iter()
            .map(|s| {
                let running = in_progress.contains(&s.node_id);
                NodeCollection::new(s, running)
            })
            .collect(),
    }))
}

/// Collect every managed node now (even with the schedule off), `collect.concurrency` at a
/// time; follow it with `GET /api/v1/collection`.
#[utoipa::path(post, path = "/api/v1/collection/run", tag = "collection",
    responses((status = 202, description = "The run started", body = RunStarted)))]
async fn run_collection(State(state): State<AppState>) -> Result<Response> {
    let managed = state.collector().run_all().await?;
    Ok((StatusCode::ACCEPTED, Json(RunStarted { managed })).into_response())
}
