//! SNMP polling: poll one node now (operators), a node's polled status, interfaces and LLDP
//! neighbours, the fleet's statuses (with drift) and a fleet-wide run, and the status events.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use unet_core::{
    CoreError, Drift, InterfaceState, Neighbour, Page, PollResult, StatusEvent, StatusEventKind,
    SystemInfo, Timestamp, Uuid,
};
use unet_store::{EventFilter, PollFilter, PollStatus, PollSummary};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::listing::{bad_query, fleet_limit, list_response, page_request, parse_opt, parse_uuid};
use crate::auth::{Access, authorize};
use crate::error::{Problem, Result};
use crate::extract::{IdPath, QueryParams};
use crate::poller::PollReport;
use crate::state::AppState;

pub(super) fn router(state: &AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(poll_node))
        .routes(routes!(node_status))
        .routes(routes!(node_interfaces))
        .routes(routes!(node_neighbours))
        .routes(routes!(fleet_status))
        .routes(routes!(run_polls))
        .routes(routes!(status_events))
        .route_layer(from_fn_with_state(
            (state.clone(), Access::INVENTORY),
            authorize,
        ))
}

/// A managed node's polled state: how its last poll went, the system group, interface and
/// neighbour counts, and where it disagrees with the inventory.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct NodeStatus {
    node_id: Uuid,
    node: String,
    /// A poll of this node is running now.
    polling: bool,
    /// Whether the agent answers; `null` until it was asked.
    reachable: Option<bool>,
    /// `null` until the first poll.
    #[schema(value_type = Option<String>, format = DateTime)]
    last_poll_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    last_success_at: Option<Timestamp>,
    duration_ms: Option<u64>,
    result: Option<PollResult>,
    /// What went wrong; `null` on success.
    message: Option<String>,
    /// Failed polls in a row.
    failures: u32,
    /// When the schedule polls the node next; `null`: at once.
    #[schema(value_type = Option<String>, format = DateTime)]
    next_due_at: Option<Timestamp>,
    /// The system group of the last successful poll, with the vendor and software version
    /// read from it.
    system: Option<SystemInfo>,
    /// When the device last started, from its uptime.
    #[schema(value_type = Option<String>, format = DateTime)]
    booted_at: Option<Timestamp>,
    interfaces: u64,
    /// Interfaces whose oper status is up.
    interfaces_up: u64,
    neighbours: u64,
    /// Where the device disagreed with the inventory at its last successful poll.
    drift: Vec<Drift>,
}

impl NodeStatus {
    fn new(status: PollStatus, polling: bool) -> NodeStatus {
        NodeStatus {
            node_id: status.node_id,
            node: status.node,
            polling,
            reachable: status.reachable,
            last_poll_at: status.last_poll_at,
            last_success_at: status.last_success_at,
            duration_ms: status.duration_ms,
            result: status.result,
            message: status.message,
            failures: status.failures,
            next_due_at: status.next_due_at,
            system: status.system,
            booted_at: status.booted_at,
            interfaces: status.interfaces,
            interfaces_up: status.interfaces_up,
            neighbours: status.neighbours,
            drift: status.drift,
        }
    }
}

/// The fleet's polling figures.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct PollFigures {
    /// Whether the schedule runs (`snmp.enabled`).
    enabled: bool,
    /// Nodes polled: active or staged, with a management address.
    managed: u64,
    /// Managed nodes due now.
    due: u64,
    /// Nodes being polled now.
    polling: u64,
    /// Managed nodes whose last poll failed.
    failing: u64,
    /// Managed nodes whose agent does not answer.
    unreachable: u64,
    /// Managed nodes whose last successful poll found drift.
    drifting: u64,
    /// Managed nodes never polled successfully.
    never_polled: u64,
    /// The start of the latest poll.
    #[schema(value_type = Option<String>, format = DateTime)]
    last_run: Option<Timestamp>,
}

impl PollFigures {
    fn new(state: &AppState, summary: PollSummary) -> PollFigures {
        let poller = state.poller();
        PollFigures {
            enabled: poller.enabled(),
            managed: summary.managed,
            due: summary.due,
            polling: poller.in_progress().len() as u64,
            failing: summary.failing,
            unreachable: summary.unreachable,
            drifting: summary.drifting,
            never_polled: summary.never_polled,
            last_run: poller.last_run(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
struct FleetStatus {
    summary: PollFigures,
    /// The managed nodes matching the filters, by name.
    nodes: Vec<NodeStatus>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct FleetQuery {
    /// Only nodes whose last poll ended so: ok, timeout, auth_failed, malformed,
    /// not_configured, network_error.
    #[param(value_type = Option<PollResult>)]
    result: Option<String>,
    /// `true`: only nodes whose agent does not answer.
    #[param(value_type = Option<bool>)]
    unreachable: Option<String>,
    /// `true`: only nodes whose last successful poll found drift.
    #[param(value_type = Option<bool>)]
    drift: Option<String>,
    /// At most this many nodes, 1 to 10000 (default 1000).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 10000)]
    limit: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
struct RunStarted {
    /// Managed nodes now due; the schedule polls them `snmp.concurrency` at a time.
    managed: u64,
}

#[derive(Debug, Deserialize, Serialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct EventsQuery {
    /// Only this node's events.
    #[param(value_type = Option<Uuid>)]
    #[serde(skip_serializing_if = "Option::is_none")]
    node_id: Option<String>,
    /// Only events of this type: reachable, unreachable, reboot, interface_up,
    /// interface_down, neighbour_added, neighbour_lost.
    #[param(value_type = Option<StatusEventKind>, rename = "type")]
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    /// Only events at or after this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    #[serde(skip_serializing_if = "Option::is_none")]
    since: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<String>,
    /// The cursor of the previous page's `Link` header (the last event's id).
    #[param(value_type = Option<Uuid>)]
    #[serde(skip_serializing_if = "Option::is_none")]
    cursor: Option<String>,
}

fn flag(name: &'static str, text: Option<&str>) -> Result<bool> {
    match text {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(bad_query(CoreError::invalid(name, "true or false", other))),
    }
}

/// Poll the node's agent now and answer how it went: a failed poll (no answer, refused
/// credentials, …) is an answer with its `result`, not an error.
#[utoipa::path(post, path = "/api/v1/nodes/{id}/poll", tag = "polling",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The poll's outcome", body = PollReport),
        (status = 404, description = "No such node", body = Problem,
            content_type = "application/problem+json"),
        (status = 409, description = "The node is being polled now (`poll_in_progress`)",
            body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The node is not polled: not active or staged, or no management_ip (`node_not_pollable`)",
            body = Problem, content_type = "application/problem+json")))]
async fn poll_node(State(state): State<AppState>, IdPath(id): IdPath) -> Result<Json<PollReport>> {
    Ok(Json(state.poller().poll_now(id).await?))
}

/// The node's polled status: last poll, reachability, system group (name, software version,
/// uptime), interface and neighbour counts, and drift against the inventory.
#[utoipa::path(get, path = "/api/v1/nodes/{id}/status", tag = "polling",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The node's polled status", body = NodeStatus),
        (status = 404, description = "No such node", body = Problem,
            content_type = "application/problem+json"),
        (status = 422, description = "The node is not polled (`node_not_pollable`)",
            body = Problem, content_type = "application/problem+json")))]
async fn node_status(
    State(state): State<AppState>,
    IdPath(id): IdPath,
) -> Result<Json<NodeStatus>> {
    match state.store().poll_status(id).await? {
        Some(status) => Ok(Json(NodeStatus::new(
            status,
            state.poller().is_in_progress(id),
        ))),
        None => Err(crate::poller::status_missing(state.store(), id).await),
    }
}

/// The node's interfaces as last polled, by ifIndex: names, admin and oper status, speed,
/// counters (64-bit where the device has them) and the traffic rates since the poll before.
#[utoipa::path(get, path = "/api/v1/nodes/{id}/interfaces", tag = "polling",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The interfaces (empty until a poll succeeded)", body = Vec<InterfaceState>),
        (status = 404, description = "No such node", body = Problem,
            content_type = "application/problem+json")))]
async fn node_interfaces(
    State(state): State<AppState>,
    IdPath(id): IdPath,
) -> Result<Json<Vec<InterfaceState>>> {
    Ok(Json(state.store().polled_interfaces(id).await?))
}

/// The node's LLDP neighbours as last polled: local interface, the neighbour's chassis id,
/// system name and port.
#[utoipa::path(get, path = "/api/v1/nodes/{id}/neighbours", tag = "polling",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The neighbours (empty until a poll succeeded)", body = Vec<Neighbour>),
        (status = 404, description = "No such node", body = Problem,
            content_type = "application/problem+json")))]
async fn node_neighbours(
    State(state): State<AppState>,
    IdPath(id): IdPath,
) -> Result<Json<Vec<Neighbour>>> {
    Ok(Json(state.store().polled_neighbours(id).await?))
}

/// The fleet's polling figures and the managed nodes' statuses, by name; `?drift=true` lists
/// the nodes that disagree with the inventory, `?unreachable=true` those that do not answer.
#[utoipa::path(get, path = "/api/v1/status", tag = "polling",
    params(FleetQuery),
    responses(
        (status = 200, description = "Figures and statuses", body = FleetStatus),
        (status = 400, description = "A filter value that is not one of those listed", body = Problem,
            content_type = "application/problem+json")))]
async fn fleet_status(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<FleetQuery>,
) -> Result<Json<FleetStatus>> {
    let filter = PollFilter {
        result: parse_opt::<PollResult>(query.result.as_deref())?,
        unreachable: flag("unreachable", query.unreachable.as_deref())?,
        drift: flag("drift", query.drift.as_deref())?,
    };
    let limit = fleet_limit(query.limit.as_deref())?;
    let store = state.store();
    let statuses = store.poll_statuses(&filter, limit).await?;
    let summary = store.poll_summary(Timestamp::now()).await?;
    let polling = state.poller().in_progress();
    Ok(Json(FleetStatus {
        summary: PollFigures::new(&state, summary),
        nodes: statuses
            .into_iter()
            .map(|s| {
                let running = polling.contains(&s.node_id);
                NodeStatus::new(s, running)
            })
            .collect(),
    }))
}

/// Poll every managed node now (even with the schedule off), `snmp.concurrency` at a time;
/// follow it with `GET /api/v1/status`.
#[utoipa::path(post, path = "/api/v1/status/poll", tag = "polling",
    responses((status = 202, description = "The run started", body = RunStarted)))]
async fn run_polls(State(state): State<AppState>) -> Result<Response> {
    let managed = state.poller().run_all().await?;
    Ok((StatusCode::ACCEPTED, Json(RunStarted { managed })).into_response())
}

/// Status events newest first: nodes becoming unreachable or reachable, reboots, interfaces
/// going down or up, LLDP neighbours added or lost.
#[utoipa::path(get, path = "/api/v1/status/events", tag = "polling",
    params(EventsQuery),
    responses(
        (status = 200, description = "A page of events; `Link` names the next", body = Vec<StatusEvent>,
            headers(("X-Total-Count" = u64, description = "Events matching the filters"),
                ("Link" = String, description = "The next page, while more follow"))),
        (status = 400, description = "A filter value that is not valid", body = Problem,
            content_type = "application/problem+json")))]
async fn status_events(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<EventsQuery>,
) -> Result<Response> {
    let page = page_request(query.limit.as_deref(), query.cursor.as_deref())?;
    let since = query
        .since
        .as_deref()
        .map(|t| {
            t.trim()
                .parse::<Timestamp>()
                .map_err(|_| bad_query(CoreError::invalid("since", "an RFC 3339 time", t)))
        })
        .transpose()?;
    let filter = EventFilter {
        node: parse_uuid("node_id", query.node_id.as_deref())?,
        kind: parse_opt::<StatusEventKind>(query.kind.as_deref())?,
        since,
        // The cursor is an event id: an empty one is not a page, as its schema says.
        before: parse_uuid("cursor", query.cursor.as_deref())?,
    };
    let store = state.store();
    let mut items = store.status_events(&filter, page.limit + 1).await?;
    let total = store
        .count_status_events(&EventFilter {
            before: None,
            ..filter.clone()
        })
        .await?;
    let more = items.len() > page.limit as usize;
    items.truncate(page.limit as usize);
    let next_cursor = more
        .then(|| items.last().map(|e| e.id.to_string()))
        .flatten();
    list_response(
        "/api/v1/status/events",
        Page {
            items,
            next_cursor,
            total,
        },
        |cursor| EventsQuery {
            cursor: Some(cursor),
            ..query
        },
    )
}
