//! `/api/v1/links`: cables and circuits between node interfaces.

use axum::extract::State;
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use unet_core::{Link, LinkDraft, LinkFilter};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::listing::{list, list_query, parse_uuid};
use super::record::record_endpoints;
use crate::auth::{Access, authorize};
use crate::error::Result;
use crate::extract::QueryParams;
use crate::state::AppState;

const PATH: &str = "/api/v1/links";

pub(super) fn router(state: &AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_links, create_link))
        .routes(routes!(get_link, replace_link, patch_link, delete_link))
        .route_layer(from_fn_with_state(
            (state.clone(), Access::INVENTORY),
            authorize,
        ))
}

list_query! {
    pub(super) struct LinkQuery {
        /// Links with this node on either side.
        #[param(value_type = Option<Uuid>)]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        node: Option<String>,
        /// Exact circuit id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        circuit_id: Option<String>,
        /// Exact provider name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        provider: Option<String>,
        /// Case-insensitive substring of name, interfaces or circuit id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        q: Option<String>,
    }
    lists Link by list_links, filter(query) {
        LinkFilter {
            node_id: parse_uuid("node", query.node.as_deref())?,
            circuit_id: query.circuit_id.clone(),
            provider: query.provider.clone(),
            q: query.q.clone(),
        }
    }
}

/// List links.
#[utoipa::path(get, path = "/api/v1/links", tag = "links", params(LinkQuery),
    responses((status = 200, description = "One page of links",
        body = ref("#/components/schemas/LinkList"), headers(
            ("X-Total-Count" = u64, description = "Links matching the filter across all pages"),
            ("Link" = String, description = "`<…?cursor=…>; rel=\"next\"` while more pages follow")))))]
async fn list_links(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<LinkQuery>,
) -> Result<Response> {
    list(state.store(), PATH, query).await
}

record_endpoints! {
    tag = "links",
    collection = "/api/v1/links",
    item = "/api/v1/links/{id}",
    schema = "#/components/schemas/Link",
    input = "#/components/schemas/LinkInput",
    patch_schema = "#/components/schemas/LinkPatch",
    draft = LinkDraft,
    derived = [],
    summaries = ["Create a link", "Get one link", "Replace a link",
        "Change some fields of a link (JSON merge patch)", "Delete a link."],
    create = create_link => create_link,
    get = get_link => get_link,
    replace = replace_link => update_link,
    patch = patch_link,
    delete = delete_link => delete_link,
}
