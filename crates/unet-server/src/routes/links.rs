//! `/api/v1/links`: cables and circuits between node interfaces.

use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use unet_core::{LinkDraft, LinkFilter};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::entity::{ChangeCtx, no_content, record};
use super::listing::{list_response, page_request, parse_uuid};
use super::nodes::to_value;
use crate::auth::{Access, authorize};
use crate::error::Result;
use crate::extract::{IdPath, IfMatch, JsonBody, QueryParams};
use crate::patch::patched_draft;
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

#[derive(Debug, Default, Clone, Deserialize, Serialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
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
    /// Page size, 1 to 1000 (default 100).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    limit: Option<String>,
    /// The cursor of the previous page's `Link` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cursor: Option<String>,
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
    let filter = LinkFilter {
        node_id: parse_uuid("node", query.node.as_deref())?,
        circuit_id: query.circuit_id.clone(),
        provider: query.provider.clone(),
        q: query.q.clone(),
    };
    let page = page_request(query.limit.as_deref(), query.cursor.as_deref())?;
    let found = state.store().list_links(&filter, &page).await?;
    list_response(PATH, found, |cursor| LinkQuery {
        cursor: Some(cursor),
        ..query
    })
}

/// Create a link.
#[utoipa::path(post, path = "/api/v1/links", tag = "links",
    request_body = ref("#/components/schemas/LinkInput"),
    responses((status = 201, description = "Created", body = ref("#/components/schemas/Link"),
        headers(("Location" = String, description = "URL of the new link"),
                ("ETag" = String, description = "The link's revision")))))]
async fn create_link(
    State(state): State<AppState>,
    ChangeCtx(ctx): ChangeCtx,
    JsonBody(draft): JsonBody<LinkDraft>,
) -> Result<Response> {
    let link = state.store().create_link(&ctx, draft).await?;
    let url = format!("{PATH}/{}", link.id);
    Ok(record(StatusCode::CREATED, link.revision, &link, Some(url)))
}

/// Get one link.
#[utoipa::path(get, path = "/api/v1/links/{id}", tag = "links", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The link", body = ref("#/components/schemas/Link"),
        headers(("ETag" = String, description = "The link's revision")))))]
async fn get_link(State(state): State<AppState>, IdPath(id): IdPath) -> Result<Response> {
    let link = state.store().get_link(id).await?;
    Ok(record(StatusCode::OK, link.revision, &link, None))
}

/// Replace a link.
#[utoipa::path(put, path = "/api/v1/links/{id}", tag = "links",
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "ETag of the revision being replaced")),
    request_body = ref("#/components/schemas/LinkInput"),
    responses((status = 200, description = "Updated", body = ref("#/components/schemas/Link"),
        headers(("ETag" = String, description = "The link's new revision")))))]
async fn replace_link(
    State(state): State<AppState>,
    ChangeCtx(ctx): ChangeCtx,
    IdPath(id): IdPath,
    IfMatch(revision): IfMatch,
    JsonBody(draft): JsonBody<LinkDraft>,
) -> Result<Response> {
    let link = state.store().update_link(&ctx, id, draft, revision).await?;
    Ok(record(StatusCode::OK, link.revision, &link, None))
}

/// Change some fields of a link (JSON merge patch).
#[utoipa::path(patch, path = "/api/v1/links/{id}", tag = "links",
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "ETag of the revision being changed")),
    request_body(content = ref("#/components/schemas/LinkPatch"), content_type = "application/merge-patch+json"),
    responses((status = 200, description = "Updated", body = ref("#/components/schemas/Link"),
        headers(("ETag" = String, description = "The link's new revision")))))]
async fn patch_link(
    State(state): State<AppState>,
    ChangeCtx(ctx): ChangeCtx,
    IdPath(id): IdPath,
    IfMatch(revision): IfMatch,
    JsonBody(patch): JsonBody<Value>,
) -> Result<Response> {
    let store = state.store();
    let current = store.get_link(id).await?;
    let revision = revision.or(Some(current.revision));
    let draft: LinkDraft = patched_draft(to_value(&current)?, &["revision"], patch)?;
    let link = store.update_link(&ctx, id, draft, revision).await?;
    Ok(record(StatusCode::OK, link.revision, &link, None))
}

/// Delete a link.
#[utoipa::path(delete, path = "/api/v1/links/{id}", tag = "links", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
async fn delete_link(
    State(state): State<AppState>,
    ChangeCtx(ctx): ChangeCtx,
    IdPath(id): IdPath,
) -> Result<Response> {
    state.store().delete_link(&ctx, id).await?;
    Ok(no_content())
}
