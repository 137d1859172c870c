//! Flat text forms of the entities: CSV files of nodes (read and written) and the column
//! order every tabular rendering uses — the structs' field order.

use std::io::Write;

use serde::Serialize;
use serde_json::{Map, Value};
use unet_core::entity::Kind;
use unet_core::{ConfigurationChange, Link, Location, Node, NodeDraft};

use crate::parse::from_value;
use crate::{ExchangeError, Origin, Result, Sourced, ids};

/// An entity with a fixed column order for tables and CSV.
pub trait Columns: Serialize {
    const COLUMNS: &'static [&'static str];
}

/// The stored entities' columns are their declared fields.
macro_rules! record_columns {
    ($($ty:ty),+) => {$(
        impl Columns for $ty {
            const COLUMNS: &'static [&'static str] = <$ty as unet_core::Record>::NAMES;
        }
    )+};
}
record_columns!(Node, Location, Link);

impl Columns for ConfigurationChange {
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "entity_type",
        "entity_id",
        "action",
        "actor",
        "source",
        "before",
        "after",
        "request_id",
        "created_at",
    ];
}

/// The cells of one item in `T::COLUMNS` order: text as is, absent as empty, anything else
/// (numbers, objects) as compact JSON.
pub fn cells<T: Columns>(item: &T) -> Vec<String> {
    let object = match serde_json::to_value(item) {
        Ok(Value::Object(object)) => object,
        _ => Map::new(),
    };
    T::COLUMNS
        .iter()
        .map(|column| cell_text(object.get(*column)))
        .collect()
}

pub fn cell_text(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Writes a header row of `T::COLUMNS` and one row per item.
pub fn write_records_csv<T: Columns, W: Write>(items: &[T], out: W, shown: &str) -> Result<()> {
    let io = |e: csv::Error| {
        let source = match e.into_kind() {
            csv::ErrorKind::Io(source) => source,
            other => std::io::Error::other(format!("{other:?}")),
        };
        ExchangeError::io(shown, source)
    };
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(T::COLUMNS).map_err(io)?;
    for item in items {
        writer.write_record(cells(item)).map_err(io)?;
    }
    writer.flush().map_err(|e| ExchangeError::io(shown, e))
}

/// Reads a nodes CSV file whose header names node fields (any subset, any order). Empty cells
/// are absent values; `custom_data` holds a JSON object; `revision` an integer.
pub(crate) fn read_nodes(shown: &str, text: &str) -> Result<Vec<Sourced<NodeDraft>>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::Headers)
        .from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| csv_syntax(shown, &e))?.clone();
    let unknown: Vec<&str> = headers
        .iter()
        .filter(|h| !Node::COLUMNS.contains(h))
        .collect();
    if !unknown.is_empty() {
        return Err(ExchangeError::layout(
            shown,
            format!(
                "unknown column(s) {}, expected some of: {}",
                unknown
                    .iter()
                    .map(|u| format!("`{u}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                Node::COLUMNS.join(", ")
            ),
        ));
    }
    let mut out = Vec::new();
    for (index, row) in reader.records().enumerate() {
        let row = row.map_err(|e| csv_syntax(shown, &e))?;
        let line = row.position().map(|p| p.line() as usize);
        let mut object = Map::new();
        for (column, cell) in headers.iter().zip(row.iter()) {
            if cell.trim().is_empty() {
                continue;
            }
            let value = typed_cell(column, cell).map_err(|message| ExchangeError::Record {
                path: shown.to_string(),
                index,
                field: Some(column.to_string()),
                line,
                column: None,
                message,
            })?;
            object.insert(column.to_string(), value);
        }
        let draft: NodeDraft = from_value(shown, index, line, Value::Object(object))?;
        out.push(Sourced {
            origin: Origin {
                file: shown.to_string(),
                index,
            },
            draft: ids::fill_node(draft),
        });
    }
    Ok(out)
}

/// A cell as the JSON value its field's kind reads: JSON documents and integers parsed, the
/// rest as text.
fn typed_cell(column: &str, cell: &str) -> Result<Value, String> {
    let fields = <Node as unet_core::Record>::FIELDS;
    let kind = fields.iter().find(|f| f.name == column).map(|f| f.kind);
    match kind {
        Some(Kind::Json) => {
            serde_json::from_str(cell).map_err(|e| format!("expected a JSON object: {e}"))
        }
        Some(Kind::Integer) => cell
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("expected an integer, got {cell:?}")),
        _ => Ok(Value::String(cell.to_string())),
    }
}

fn csv_syntax(shown: &str, e: &csv::Error) -> ExchangeError {
    let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
    ExchangeError::Syntax {
        path: shown.to_string(),
        line,
        column: 0,
        message: format!("syntax error: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys<T: Serialize>(item: &T) -> Vec<String> {
        let mut keys: Vec<String> = serde_json::to_value(item)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    }

    fn sorted(columns: &[&str]) -> Vec<String> {
        let mut c: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
        c.sort();
        c
    }

    #[test]
    fn columns_name_every_field() {
        let node: Node = serde_json::from_value(serde_json::json!({
            "id": uuid::Uuid::nil(), "name": "a", "domain": null, "fqdn": "a", "vendor": null,
            "platform": "generic", "model": null, "role": null, "status": "active",
            "location_id": null, "management_ip": null, "serial_number": null, "asset_tag": null,
            "custom_data": {}, "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z", "revision": 1
        }))
        .unwrap();
        assert_eq!(keys(&node), sorted(Node::COLUMNS));
        let location: Location = serde_json::from_value(serde_json::json!({
            "id": uuid::Uuid::nil(), "name": "a", "kind": "site", "parent_id": null,
            "description": null, "custom_data": {}, "path": "a",
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
            "revision": 1
        }))
        .unwrap();
        assert_eq!(keys(&location), sorted(Location::COLUMNS));
        let link: Link = serde_json::from_value(serde_json::json!({
            "id": uuid::Uuid::nil(), "name": null, "node_a_id": uuid::Uuid::nil(),
            "interface_a": "x", "node_z_id": null, "interface_z": null, "bandwidth_bps": null,
            "circuit_id": null, "provider": null, "description": null, "custom_data": {},
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
            "revision": 1
        }))
        .unwrap();
        assert_eq!(keys(&link), sorted(Link::COLUMNS));
        let change: ConfigurationChange = serde_json::from_value(serde_json::json!({
            "id": uuid::Uuid::nil(), "entity_type": "node", "entity_id": uuid::Uuid::nil(),
            "action": "create", "actor": "cli", "source": "cli", "before": null,
            "after": {"name": "a"}, "request_id": null, "created_at": "2026-01-01T00:00:00Z"
        }))
        .unwrap();
        assert_eq!(keys(&change), sorted(ConfigurationChange::COLUMNS));
        assert_eq!(cells(&node)[1], "a");
        assert_eq!(cells(&node)[2], "");
        assert_eq!(cells(&node)[13], "{}");
    }

    #[test]
    fn reads_nodes_with_typed_cells_and_names_bad_ones() {
        let text = "name,domain,custom_data,revision\nsw-1,example.net,\"{\"\"rack\"\":\"\"R1\"\"}\",2\nsw-2,,,\n";
        let nodes = read_nodes("nodes.csv", text).unwrap();
        assert_eq!(nodes.len(), 2);
        assert_eq!(
            nodes[0].draft.custom_data,
            Some(serde_json::json!({"rack": "R1"}))
        );
        assert_eq!(nodes[0].draft.revision, Some(2));
        assert_eq!(nodes[1].draft.domain, None);
        assert_eq!(nodes[1].origin.index, 1);
        assert!(nodes[1].draft.id.is_some());

        let err = read_nodes("nodes.csv", "name,colour\nsw-1,red\n").unwrap_err();
        assert!(err.to_string().contains("`colour`"), "{err}");
        let err = read_nodes("nodes.csv", "name,revision\nsw-1,2\nsw-2,two\n").unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("nodes.csv:3: record 1, field `revision`"),
            "{text}"
        );
        let err = read_nodes("nodes.csv", "name,status\nsw-1,live\n").unwrap_err();
        assert!(err.to_string().contains("field `status`"), "{err}");
    }
}
