//! `/api/v1/import`, `/api/v1/export` and `/api/v1/resolve/…`: bulk exchange of the whole
//! inventory, and identifier lookup by name, so that a remote `unet` behaves exactly like one
//! that opens the database itself (same import report, same exported files, same name rules).

use axum::extract::State;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use unet_core::{ChangeSource, ImportDocument};
use unet_store::ImportOptions;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::entity::ChangeCtx;
use crate::auth::{Access, authorize};
use crate::error::{Error, ErrorCode, Problem, Result};
use crate::extract::{JsonBody, QueryParams};
use crate::state::AppState;

pub(super) fn router(state: &AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_inventory))
        .routes(routes!(export_inventory))
        .routes(routes!(resolve_location))
        .routes(routes!(resolve_node))
        .routes(routes!(resolve_link))
        .route_layer(from_fn_with_state(
            (state.clone(), Access::INVENTORY),
            authorize,
        ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct ImportQuery {
    /// Write the valid records and report the others, instead of writing nothing.
    #[serde(default)]
    continue_on_error: Option<bool>,
    /// Check and report everything, then write nothing.
    #[serde(default)]
    dry_run: Option<bool>,
}

/// Import locations, nodes and links in one transaction (all or nothing unless
/// `continue_on_error`). The report lists every failed record; it is 200 even when records
/// failed, with `committed` saying whether anything was written.
#[utoipa::path(post, path = "/api/v1/import", tag = "exchange", params(ImportQuery),
    request_body = ref("#/components/schemas/ImportDocument"),
    responses((status = 200, description = "The import report",
        body = ref("#/components/schemas/ImportReport"))))]
async fn import_inventory(
    State(state): State<AppState>,
    ChangeCtx(mut ctx): ChangeCtx,
    QueryParams(query): QueryParams<ImportQuery>,
    JsonBody(document): JsonBody<ImportDocument>,
) -> Result<Response> {
    ctx.source = ChangeSource::Import;
    let batch = document
        .into_batch()
        .map_err(|e| Error::invalid_field(ErrorCode::InvalidField, e.field(), e.to_string()))?;
    let options = ImportOptions {
        continue_on_error: query.continue_on_error.unwrap_or(false),
        dry_run: query.dry_run.unwrap_or(false),
        progress: None,
    };
    let report = state.store().import(&ctx, batch, &options).await?;
    Ok(axum::Json(report).into_response())
}

/// The whole inventory in a stable order (locations by path, nodes by name, links by id),
/// read in one transaction.
#[utoipa::path(get, path = "/api/v1/export", tag = "exchange",
    responses((status = 200, description = "Every location, node and link",
        body = ref("#/components/schemas/Inventory"))))]
async fn export_inventory(State(state): State<AppState>) -> Result<Response> {
    let inventory = state.store().export().await?;
    Ok(axum::Json(inventory).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct IdentQuery {
    /// A UUID, else a name (and for nodes an FQDN, for locations a `/`-separated path).
    ident: String,
}

/// `GET /api/v1/resolve/<records>`: one record by UUID or name (409 when a name is shared).
macro_rules! resolve_endpoint {
    ($handler:ident => $store_resolve:ident, path = $path:tt, summary = $summary:tt,
        found = $found:tt, schema = $schema:tt) => {
        #[utoipa::path(get, path = $path, tag = "exchange", summary = $summary, params(IdentQuery),
            responses((status = 200, description = $found, body = ref($schema)),
                (status = 404, description = "Nothing has this identifier", body = Problem,
                    content_type = "application/problem+json"),
                (status = 409, description = "The name is shared; use the UUID", body = Problem,
                    content_type = "application/problem+json")))]
        async fn $handler(
            State(state): State<AppState>,
            QueryParams(query): QueryParams<IdentQuery>,
        ) -> Result<Response> {
            let found = state.store().$store_resolve(&query.ident).await?;
            Ok(axum::Json(found).into_response())
        }
    };
}

resolve_endpoint!(resolve_location => resolve_location, path = "/api/v1/resolve/locations",
    summary = "Find one location by UUID, name or path (409 when a name is shared).",
    found = "The location", schema = "#/components/schemas/Location");
resolve_endpoint!(resolve_node => resolve_node, path = "/api/v1/resolve/nodes",
    summary = "Find one node by UUID, name or FQDN (409 when a name is shared).",
    found = "The node", schema = "#/components/schemas/Node");
resolve_endpoint!(resolve_link => resolve_link, path = "/api/v1/resolve/links",
    summary = "Find one link by UUID or name (409 when a name is shared).",
    found = "The link", schema = "#/components/schemas/Link");

/// Component schemas of the exchange documents, for the OpenAPI document.
pub(super) fn schemas() -> Vec<(String, Value)> {
    let origin = json!({"type": "object", "additionalProperties": false,
        "required": ["file", "index"],
        "properties": {"file": {"type": "string"}, "index": {"type": "integer", "minimum": 0}}});
    let origins = json!({"type": "array", "items": origin});
    let counts = json!({"type": "object", "required": ["created", "updated", "unchanged", "failed"],
        "properties": {"created": {"type": "integer"}, "updated": {"type": "integer"},
            "unchanged": {"type": "integer"}, "failed": {"type": "integer"}}});
    let list = |schema: &str| json!({"type": "array", "items": {"$ref": format!("#/components/schemas/{schema}")}});
    // Records are checked one by one: one that breaks a rule of its schema is a failure in the
    // report (with its origin), not a refusal of the whole document.
    let records = |schema: &str| {
        json!({"type": "array", "items": {"type": "object",
        "description": format!("A {schema}; a record that does not satisfy it is reported in `failures`")}})
    };
    vec![
        (
            "ImportDocument".to_string(),
            json!({"type": "object", "additionalProperties": false,
            "properties": {
                "locations": records("LocationInput"),
                "nodes": records("NodeInput"),
                "links": records("LinkInput"),
                "origins": {"type": ["object", "null"], "additionalProperties": false,
                    "description": "One {file, index} per record of each list, in the same order; \
                                    without it records are named by list and position",
                    "properties": {"locations": origins, "nodes": origins, "links": origins}}}}),
        ),
        (
            "ImportReport".to_string(),
            json!({"type": "object",
            "required": ["locations", "nodes", "links", "failures", "committed"],
            "properties": {
                "locations": counts, "nodes": counts, "links": counts,
                "failures": {"type": "array", "items": {"type": "object",
                    "required": ["entity", "origin", "message"],
                    "properties": {"entity": {"type": "string", "enum": ["location", "node", "link"]},
                        "origin": origin, "message": {"type": "string"}}}},
                "committed": {"type": "boolean",
                    "description": "false after a failure without continue_on_error, and for a dry run"}}}),
        ),
        (
            "Inventory".to_string(),
            json!({"type": "object",
            "required": ["locations", "nodes", "links"],
            "properties": {"locations": list("Location"), "nodes": list("Node"), "links": list("Link")}}),
        ),
    ]
}
