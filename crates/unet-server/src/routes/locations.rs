//! `/api/v1/locations`: the site hierarchy (region → site → building → floor → room → rack).

use axum::extract::State;
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use unet_core::{Location, LocationDraft, LocationFilter};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::listing::{list, list_query, parse_uuid};
use super::record::record_endpoints;
use crate::auth::{Access, authorize};
use crate::error::Result;
use crate::extract::QueryParams;
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

list_query! {
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
    }
    lists Location by list_locations, filter(query) {
        LocationFilter {
            kind: query.kind.clone(),
            parent_id: parse_uuid("parent", query.parent.as_deref())?,
            q: query.q.clone(),
        }
    }
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
    list(state.store(), PATH, query).await
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
        "Change some fields of a location (JSON merge patch)", "Delete a location."],
    create = create_location => create_location,
    get = get_location => get_location,
    replace = replace_location => update_location,
    patch = patch_location,
    delete = delete_location => delete_location(cascade),
}
