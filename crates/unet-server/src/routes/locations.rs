//! `/api/v1/locations`: the site hierarchy (region → site → building → floor → room → rack).

use axum::extract::State;
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use unet_core::{LocationDraft, LocationFilter};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::entity::{ChangeCtx, DeleteQuery, no_content};
use super::listing::{list_response, page_request, parse_uuid};
use super::record::record_endpoints;
use crate::auth::{Access, authorize};
use crate::error::Result;
use crate::extract::{IdPath, QueryParams};
use crate::state::AppState;

const PATH: &str = "/api/v1/locations";

pub(super) fn router(state: &AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_locations, create_location))
        .routes(routes!(
            get_location,
            replace_location,
            patch_location,
            delete_location
        ))
        .route_layer(from_fn_with_state(
            (state.clone(), Access::INVENTORY),
            authorize,
        ))
}

#[derive(Debug, Default, Clone, Deserialize, Serialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct LocationQuery {
    /// Kind slug (`site`, `building`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    /// Direct children of this location.
    #[param(value_type = Option<Uuid>)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    parent: Option<String>,
    /// Case-insensitive substring of the name.
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

/// List locations.
#[utoipa::path(get, path = "/api/v1/locations", tag = "locations", params(LocationQuery),
    responses((status = 200, description = "One page of locations",
        body = ref("#/components/schemas/LocationList"), headers(
            ("X-Total-Count" = u64, description = "Locations matching the filter across all pages"),
            ("Link" = String, description = "`<…?cursor=…>; rel=\"next\"` while more pages follow")))))]
async fn list_locations(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<LocationQuery>,
) -> Result<Response> {
    let filter = LocationFilter {
        kind: query.kind.clone(),
        parent_id: parse_uuid("parent", query.parent.as_deref())?,
        q: query.q.clone(),
    };
    let page = page_request(query.limit.as_deref(), query.cursor.as_deref())?;
    let found = state.store().list_locations(&filter, &page).await?;
    list_response(PATH, found, |cursor| LocationQuery {
        cursor: Some(cursor),
        ..query
    })
}

record_endpoints! {
    tag = "locations",
    collection = "/api/v1/locations",
    item = "/api/v1/locations/{id}",
    schema = "#/components/schemas/Location",
    input = "#/components/schemas/LocationInput",
    patch_schema = "#/components/schemas/LocationPatch",
    draft = LocationDraft,
    derived = ["path"],
    summaries = ["Create a location", "Get one location", "Replace a location",
        "Change some fields of a location (JSON merge patch)"],
    create = create_location => create_location,
    get = get_location => get_location,
    replace = replace_location => update_location,
    patch = patch_location,
}

/// Delete a location.
#[utoipa::path(delete, path = "/api/v1/locations/{id}", tag = "locations",
    params(("id" = Uuid, Path), DeleteQuery),
    responses((status = 204, description = "Deleted")))]
async fn delete_location(
    State(state): State<AppState>,
    ChangeCtx(ctx): ChangeCtx,
    IdPath(id): IdPath,
    QueryParams(query): QueryParams<DeleteQuery>,
) -> Result<Response> {
    let cascade = query.cascade.unwrap_or(false);
    state.store().delete_location(&ctx, id, cascade).await?;
    Ok(no_content())
}
