//! `/api/v1/nodes`: the managed devices, and each node's change history.

use axum::extract::State;
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use unet_core::{Node, NodeDraft, NodeFilter, Uuid};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::entity::PageQuery;
use super::listing::{Paged, list, list_query, list_response, parse_opt};
use super::openapi::{enum_schema, uuid_or_name_schema};
use super::record::record_endpoints;
use crate::auth::{Access, authorize};
use crate::error::{Problem, Result};
use crate::extract::{IdPath, QueryParams};
use crate::state::AppState;

const PATH: &str = "/api/v1/nodes";

pub(super) fn router(state: &AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_nodes, create_node))
        .routes(routes!(get_node, replace_node, patch_node, delete_node))
        .routes(routes!(node_history))
        .route_layer(from_fn_with_state(
            (state.clone(), Access::INVENTORY),
            authorize,
        ))
}

fn status_schema() -> utoipa::openapi::Schema {
    enum_schema(unet_core::NodeStatus::ALL.iter().map(|s| s.as_str()))
}

fn platform_schema() -> utoipa::openapi::Schema {
    enum_schema(unet_core::Platform::ALL.iter().map(|p| p.as_str()))
}

list_query! {
    pub(super) struct NodeQuery {
        /// Lifecycle status.
        #[param(schema_with = status_schema)]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<String>,
        /// Role slug (`core`, `access`, …).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        role: Option<String>,
        /// Vendor slug (`cisco`, `juniper`, …).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        vendor: Option<String>,
        /// Config dialect.
        #[param(schema_with = platform_schema)]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        platform: Option<String>,
        /// Nodes at this location (UUID or name) or anywhere below it.
        #[param(schema_with = uuid_or_name_schema)]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        location: Option<String>,
        /// Case-insensitive substring of name, FQDN, serial number or management IP.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        q: Option<String>,
    }
    lists Node by list_nodes, filter(query, store) {
        let location_id = match query.location.as_deref() {
            None => None,
            Some(ident) => Some(match Uuid::parse_str(ident.trim()) {
                Ok(id) => id,
                Err(_) => store.resolve_location(ident).await?.id,
            }),
        };
        NodeFilter {
            status: parse_opt(query.status.as_deref())?,
            role: query.role.clone(),
            vendor: query.vendor.clone(),
            platform: parse_opt(query.platform.as_deref())?,
            location_id,
            q: query.q.clone(),
        }
    }
}

/// List nodes.
#[utoipa::path(get, path = "/api/v1/nodes", tag = "nodes", params(NodeQuery),
    responses((status = 200, description = "One page of nodes",
        body = ref("#/components/schemas/NodeList"), headers(
            ("X-Total-Count" = u64, description = "Nodes matching the filter across all pages"),
            ("Link" = String, description = "`<…?cursor=…>; rel=\"next\"` while more pages follow"))),
        (status = 404, description = "No location with the name given as `location`",
            body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "More than one location has the name given as `location`",
            body = Problem, content_type = "application/problem+json")))]
async fn list_nodes(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<NodeQuery>,
) -> Result<Response> {
    list(state.store(), PATH, query).await
}

record_endpoints! {
    tag = "nodes",
    collection = "/api/v1/nodes",
    item = "/api/v1/nodes/{id}",
    schema = "#/components/schemas/Node",
    input = "#/components/schemas/NodeInput",
    patch_schema = "#/components/schemas/NodePatch",
    draft = NodeDraft,
    derived = ["fqdn"],
    summaries = ["Create a node", "Get one node", "Replace a node",
        "Change some fields of a node (JSON merge patch)", "Delete a node."],
    create = create_node => create_node,
    get = get_node => get_node,
    replace = replace_node => update_node,
    patch = patch_node,
    delete = delete_node => delete_node(cascade),
}

/// A node's change history, newest first (the changes of a deleted node are in
/// `/api/v1/changes?entity_type=node&entity_id=…`).
#[utoipa::path(get, path = "/api/v1/nodes/{id}/history", tag = "nodes",
    params(("id" = Uuid, Path), PageQuery),
    responses((status = 200, description = "One page of changes",
        body = ref("#/components/schemas/ChangeList"), headers(
            ("X-Total-Count" = u64, description = "Changes of this node across all pages"),
            ("Link" = String, description = "`<…?cursor=…>; rel=\"next\"` while more pages follow")))))]
async fn node_history(
    State(state): State<AppState>,
    IdPath(id): IdPath,
    QueryParams(query): QueryParams<PageQuery>,
) -> Result<Response> {
    let store = state.store();
    let page = query.page()?;
    // A deleted node is gone with its sub-resources; its changes stay in /api/v1/changes.
    store.get_node(id).await?;
    let found = store.node_history(id, &page).await?;
    list_response(&format!("{PATH}/{id}/history"), found, |cursor| {
        query.with_cursor(cursor)
    })
}
