//! OpenAPI schemas of the fields whose rules go beyond their Rust type, named in the
//! entities' `#[schema(schema_with = …)]` attributes. The patterns come from `names.rs`, next
//! to the rules they describe. Stored records are canonical; input may carry the surrounding
//! whitespace `validated()` trims, and an optional field may be left blank.

use serde_json::{Value, json};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

use crate::names::{
    DOMAIN_INPUT_PATTERN, HOSTNAME_INPUT_PATTERN, HOSTNAME_PATTERN, INTERFACE_PATTERN,
    LOCATION_NAME_PATTERN, MAX_DOMAIN, MAX_SLUG, OPTIONAL_SLUG_INPUT_PATTERN, SLUG_INPUT_PATTERN,
    SLUG_PATTERN,
};
use crate::{ConfigSource, NodeStatus, Platform};

fn schema(value: Value) -> Schema {
    // The literals below are valid JSON Schema; the server's OpenAPI tests read them back.
    serde_json::from_value(value).unwrap_or_default()
}

pub(crate) fn hostname() -> Schema {
    schema(json!({"type": "string", "pattern": HOSTNAME_PATTERN}))
}

pub(crate) fn hostname_input() -> Schema {
    schema(json!({"type": "string", "pattern": HOSTNAME_INPUT_PATTERN}))
}

pub(crate) fn domain_input() -> Schema {
    schema(
        json!({"type": ["string", "null"], "pattern": DOMAIN_INPUT_PATTERN, "maxLength": MAX_DOMAIN}),
    )
}

pub(crate) fn slug() -> Schema {
    schema(json!({"type": "string", "pattern": SLUG_PATTERN, "maxLength": MAX_SLUG}))
}

pub(crate) fn slug_input() -> Schema {
    schema(json!({"type": "string", "pattern": SLUG_INPUT_PATTERN, "maxLength": MAX_SLUG}))
}

pub(crate) fn optional_slug_input() -> Schema {
    schema(
        json!({"type": ["string", "null"], "pattern": OPTIONAL_SLUG_INPUT_PATTERN, "maxLength": MAX_SLUG}),
    )
}

pub(crate) fn location_name() -> Schema {
    schema(json!({"type": "string", "pattern": LOCATION_NAME_PATTERN}))
}

pub(crate) fn interface() -> Schema {
    schema(json!({"type": "string", "pattern": INTERFACE_PATTERN}))
}

pub(crate) fn optional_interface() -> Schema {
    schema(json!({"type": ["string", "null"], "pattern": INTERFACE_PATTERN}))
}

pub(crate) fn bandwidth() -> Schema {
    schema(json!({"type": ["integer", "null"], "format": "int64", "minimum": 1}))
}

/// An IP address in any spelling the parser takes, or blank for none.
pub(crate) fn management_ip_input() -> Schema {
    schema(json!({"anyOf": [
        {"type": "string", "format": "ipv4"},
        {"type": "string", "format": "ipv6"},
        {"type": "string", "pattern": "^\\s*$"},
        {"type": "null"},
    ]}))
}

/// Enums are strings limited to their `text_enum!` names.
macro_rules! enum_schema {
    ($($ty:ty),+) => {$(
        impl utoipa::PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                let names: Vec<&str> = <$ty>::ALL.iter().map(|v| v.as_str()).collect();
                RefOr::T(schema(json!({"type": "string", "enum": names})))
            }
        }
        impl utoipa::ToSchema for $ty {}
    )+};
}
enum_schema!(NodeStatus, Platform, ConfigSource);
