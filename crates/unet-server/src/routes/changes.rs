//! `/api/v1/changes`: the `configuration_changes` audit trail, newest first.

use axum::extract::State;
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use unet_core::{ChangeFilter, CoreError, Timestamp};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::listing::{bad_query, list_response, page_request, parse_opt, parse_uuid};
use super::openapi::enum_schema;
use crate::auth::{Access, authorize};
use crate::error::Result;
use crate::extract::QueryParams;
use crate::state::AppState;

const PATH: &str = "/api/v1/changes";

pub(super) fn router(state: &AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_changes))
        .route_layer(from_fn_with_state(
            (state.clone(), Access::INVENTORY),
            authorize,
        ))
}

fn entity_type_schema() -> utoipa::openapi::Schema {
    enum_schema(unet_core::EntityType::ALL.iter().map(|e| e.as_str()))
}

fn action_schema() -> utoipa::openapi::Schema {
    enum_schema(unet_core::ChangeAction::ALL.iter().map(|a| a.as_str()))
}

fn source_schema() -> utoipa::openapi::Schema {
    enum_schema(unet_core::ChangeSource::ALL.iter().map(|s| s.as_str()))
}

#[derive(Debug, Default, Clone, Deserialize, Serialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct ChangeQuery {
    #[param(schema_with = entity_type_schema)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    entity_type: Option<String>,
    #[param(value_type = Option<Uuid>)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    entity_id: Option<String>,
    #[param(schema_with = action_schema)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    action: Option<String>,
    #[param(schema_with = source_schema)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    /// User or API key name, or `system`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    actor: Option<String>,
    /// Changes at or after this RFC 3339 time.
    #[param(value_type = Option<String>, format = DateTime)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    since: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    limit: Option<String>,
    /// The cursor of the previous page's `Link` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cursor: Option<String>,
}

/// List configuration changes, newest first.
#[utoipa::path(get, path = "/api/v1/changes", tag = "changes", params(ChangeQuery),
    responses((status = 200, description = "One page of changes",
        body = ref("#/components/schemas/ChangeList"), headers(
            ("X-Total-Count" = u64, description = "Changes matching the filter across all pages"),
            ("Link" = String, description = "`<…?cursor=…>; rel=\"next\"` while more pages follow")))))]
async fn list_changes(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<ChangeQuery>,
) -> Result<Response> {
    let filter = ChangeFilter {
        entity_type: parse_opt(query.entity_type.as_deref())?,
        entity_id: parse_uuid("entity_id", query.entity_id.as_deref())?,
        action: parse_opt(query.action.as_deref())?,
        source: parse_opt(query.source.as_deref())?,
        actor: query.actor.clone(),
        since: query
            .since
            .as_deref()
            .map(|t| {
                t.parse::<Timestamp>()
                    .map_err(|_| bad_query(CoreError::invalid("since", "an RFC 3339 time", t)))
            })
            .transpose()?,
    };
    let page = page_request(query.limit.as_deref(), query.cursor.as_deref())?;
    let found = state.store().list_changes(&filter, &page).await?;
    list_response(PATH, found, |cursor| ChangeQuery {
        cursor: Some(cursor),
        ..query
    })
}
