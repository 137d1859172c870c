//! The OpenAPI 3.1 document: operations come from the handlers' `#[utoipa::path]`
//! annotations; the inventory schemas are derived from the entities' declarations in
//! `unet-core` (a test compares them with serialised records), and the problem responses
//! every operation can give are added in one pass so that none is forgotten.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use unet_core::{Link, LinkDraft, Location, LocationDraft, Node, NodeDraft};
use utoipa::openapi::path::Operation;
use utoipa::openapi::{OpenApi, RefOr, Schema};
use utoipa::{OpenApi as _, PartialSchema, ToSchema};

use crate::error::{FieldError, Problem};
use crate::extract::IF_MATCH_PATTERN;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "μNet API",
        description = "Desired state of the network: locations, nodes, links, and the change history of each. \
                       Errors are RFC 9457 problem documents with a stable `code`.",
    ),
    tags(
        (name = "locations", description = "The site hierarchy"),
        (name = "nodes", description = "Managed devices"),
        (name = "links", description = "Cables and circuits between interfaces"),
        (name = "changes", description = "The configuration_changes audit trail"),
        (name = "exchange", description = "Bulk import and export, lookup by name"),
        (name = "system", description = "Health"),
        (name = "auth", description = "Login sessions and API keys"),
        (name = "users", description = "User accounts and roles"),
        (name = "security", description = "Security events, audit summary, security policy"),
        (name = "templates", description = "Templates and the intended configuration of each node"),
        (name = "polling", description = "SNMP polling: polled status, interfaces, LLDP neighbours, status events, drift against the inventory"),
    )
)]
struct ApiDoc;

pub(super) fn base() -> OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    doc
}

/// A string schema limited to `values`.
pub(crate) fn enum_schema<'a>(values: impl Iterator<Item = &'a str>) -> Schema {
    let values: Vec<&str> = values.collect();
    schema(json!({"type": "string", "enum": values}))
}

pub(crate) fn uuid_or_name_schema() -> Schema {
    schema(json!({"type": "string", "minLength": 1, "description": "A UUID or a name"}))
}

fn schema(value: Value) -> Schema {
    // The literals in this module are valid JSON Schema; a mistake shows up in the tests.
    serde_json::from_value(value).unwrap_or_default()
}

fn nullable(t: &str) -> Value {
    json!({"type": [t, "null"]})
}

fn uuid() -> Value {
    json!({"type": "string", "format": "uuid"})
}

fn timestamp() -> Value {
    json!({"type": "string", "format": "date-time"})
}

/// A schema derived from its type's declaration in `unet-core`, as JSON.
fn derived<T: PartialSchema>() -> Value {
    serde_json::to_value(T::schema()).unwrap_or_default()
}

/// An entity's record, its input (the draft), the same as a merge patch (nothing required),
/// and its list.
fn entity_schemas(name: &str, record: Value, input: Value) -> Vec<(String, Value)> {
    let mut patch = input.clone();
    if let Value::Object(fields) = &mut patch {
        fields.remove("required");
        fields.insert(
            "description".to_string(),
            json!("A JSON merge patch (RFC 7396): the fields to change; null removes an optional field"),
        );
    }
    vec![
        (name.to_string(), record),
        (format!("{name}Input"), input),
        (format!("{name}Patch"), patch),
        (
            format!("{name}List"),
            json!({"type": "array", "items": {"$ref": format!("#/components/schemas/{name}")}}),
        ),
    ]
}

fn change_schemas() -> Vec<(String, Value)> {
    let entity_types: Vec<&str> = unet_core::EntityType::ALL
        .iter()
        .map(|e| e.as_str())
        .collect();
    let actions: Vec<&str> = unet_core::ChangeAction::ALL
        .iter()
        .map(|a| a.as_str())
        .collect();
    let sources: Vec<&str> = unet_core::ChangeSource::ALL
        .iter()
        .map(|s| s.as_str())
        .collect();
    let props = json!({
        "id": uuid(),
        "entity_type": {"type": "string", "enum": entity_types},
        "entity_id": uuid(),
        "action": {"type": "string", "enum": actions},
        "actor": {"type": "string"},
        "source": {"type": "string", "enum": sources},
        "before": {"type": ["object", "null"], "description": "The record before the change (null for a create)"},
        "after": {"type": ["object", "null"], "description": "The record after the change (null for a delete)"},
        "request_id": nullable("string"),
        "created_at": timestamp(),
    });
    let required: Vec<&String> = props
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    vec![
        (
            "Change".to_string(),
            json!({"type": "object", "properties": props, "required": required}),
        ),
        (
            "ChangeList".to_string(),
            json!({"type": "array", "items": {"$ref": "#/components/schemas/Change"}}),
        ),
    ]
}

/// Every component schema by name.
pub(crate) fn component_schemas() -> BTreeMap<String, Value> {
    let mut all = Vec::new();
    all.extend(entity_schemas(
        "Node",
        derived::<Node>(),
        derived::<NodeDraft>(),
    ));
    all.extend(entity_schemas(
        "Location",
        derived::<Location>(),
        derived::<LocationDraft>(),
    ));
    all.extend(entity_schemas(
        "Link",
        derived::<Link>(),
        derived::<LinkDraft>(),
    ));
    all.extend(change_schemas());
    all.extend(super::exchange::schemas());
    all.into_iter().collect()
}

/// Problem responses an operation can give, by what it takes.
fn problem_statuses(method: &str, op: &Operation) -> Vec<(u16, &'static str)> {
    let params = op.parameters.as_deref().unwrap_or_default();
    let inline = || {
        params.iter().filter_map(|p| match p {
            RefOr::T(p) => Some(p),
            RefOr::Ref(_) => None,
        })
    };
    // Every path parameter names a record (`{id}`, `{username}`) that may not exist.
    let has_path_id =
        inline().any(|p| matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Path));
    let has_query =
        inline().any(|p| matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Query));
    let mut out = vec![
        (405, "Method not allowed (see `Allow`)"),
        (408, "Request timeout"),
        (500, "Server error"),
        (503, "Database unavailable"),
    ];
    if has_path_id || has_query || op.request_body.is_some() {
        out.push((
            400,
            "Bad request: malformed JSON, bad UUID or invalid query parameter",
        ));
    }
    if op.request_body.is_some() {
        out.extend([
            (413, "Request body too large"),
            (415, "Body is not JSON"),
            (422, "Validation failed: `errors` names each field"),
            (409, "Conflict: duplicate name or interface already linked"),
        ]);
    } else if has_query && method == "get" {
        out.push((422, "Invalid cursor"));
    }
    if has_path_id {
        out.push((404, "No such record"));
    }
    if method == "put" || method == "patch" {
        out.push((
            412,
            "Precondition failed: If-Match (or the body's `revision`) does not name the stored revision",
        ));
    }
    if method == "delete" {
        out.push((409, "Still referenced; retry with cascade=true"));
    }
    out
}

/// Completes the generated document: component schemas, the problem responses of every
/// operation, and the `X-Request-Id` every response carries.
pub(crate) fn finish(mut doc: OpenApi) -> OpenApi {
    let components = doc.components.get_or_insert_with(Default::default);
    for (name, value) in component_schemas()
        .into_iter()
        .chain(super::security_schemas::schemas())
    {
        components.schemas.insert(name, RefOr::T(schema(value)));
    }
    for (name, problem_schema) in [
        (Problem::name(), Problem::schema()),
        (FieldError::name(), FieldError::schema()),
    ] {
        components.schemas.insert(name.into_owned(), problem_schema);
    }
    let problem_ref = format!("#/components/schemas/{}", Problem::name());
    let mut paths = std::mem::take(&mut doc.paths.paths);
    for item in paths.values_mut() {
        let operations = [
            ("get", &mut item.get),
            ("put", &mut item.put),
            ("post", &mut item.post),
            ("patch", &mut item.patch),
            ("delete", &mut item.delete),
        ];
        for (method, op) in operations {
            let Some(op) = op else { continue };
            tighten_inputs(op);
            add_problem_responses(method, op, &problem_ref);
        }
    }
    doc.paths.paths = paths;
    doc
}

/// Request bodies are required, and `If-Match` takes only what the server can parse.
fn tighten_inputs(op: &mut Operation) {
    if let Some(RefOr::T(body)) = &mut op.request_body {
        body.required = Some(utoipa::openapi::Required::True);
    }
    for param in op.parameters.iter_mut().flatten() {
        let RefOr::T(param) = param else { continue };
        if param.name == "If-Match" {
            param.schema = Some(RefOr::T(schema(
                json!({"type": "string", "pattern": IF_MATCH_PATTERN}),
            )));
        } else if let Some(RefOr::T(current)) = &param.schema {
            // Free-text query values may hold anything but NUL (400 invalid_query).
            let mut value = serde_json::to_value(current).unwrap_or_default();
            let free_text = value["type"] == "string"
                && value.get("enum").is_none()
                && value.get("format").is_none()
                && value.get("pattern").is_none();
            if free_text && let Value::Object(fields) = &mut value {
                fields.insert("pattern".to_string(), json!("^[^\\u0000]*$"));
                param.schema = Some(RefOr::T(schema(value)));
            }
        }
    }
}

fn add_problem_responses(method: &str, op: &mut Operation, problem_ref: &str) {
    let statuses = problem_statuses(method, op);
    for (status, description) in statuses {
        let key = status.to_string();
        if op.responses.responses.contains_key(&key) {
            continue;
        }
        let response: utoipa::openapi::Response = serde_json::from_value(json!({
            "description": description,
            "content": {"application/problem+json": {"schema": {"$ref": problem_ref}}},
        }))
        .unwrap_or_default();
        op.responses.responses.insert(key, RefOr::T(response));
    }
    let request_id: utoipa::openapi::Header = serde_json::from_value(json!({
        "schema": {"type": "string", "minLength": 1, "maxLength": 128},
        "description": "The request id: the client's own when it is 1 to 128 visible ASCII \
            characters, otherwise a generated UUID"
    }))
    .unwrap_or_default();
    for response in op.responses.responses.values_mut() {
        if let RefOr::T(r) = response {
            r.headers
                .insert("X-Request-Id".to_string(), RefOr::T(request_id.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each hand-written schema survives the trip through utoipa's types unchanged.
    #[test]
    fn literal_schemas_round_trip() {
        for value in component_schemas().values() {
            let parsed: Schema = serde_json::from_value(value.clone()).unwrap();
            assert_eq!(&serde_json::to_value(parsed).unwrap(), value);
        }
    }
}
