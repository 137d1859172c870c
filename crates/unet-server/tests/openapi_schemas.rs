//! The OpenAPI document the server serves agrees with what it sends and with each entity's
//! one declaration: the record, input and patch schemas, the CSV columns, the policy
//! language's field names and the serialised records all name the same fields.

mod common;

use std::sync::OnceLock;

use common::*;
use serde_json::{Value, json};
use unet_core::{
    ChangeAction, ChangeSource, ConfigurationChange, EntityType, Link, Location, Node, NodeStatus,
    Platform, Timestamp, Uuid,
};

/// `components.schemas` of the document served by a real server (read once).
fn served_schemas() -> &'static serde_json::Map<String, Value> {
    static SCHEMAS: OnceLock<serde_json::Map<String, Value>> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        let db = TestDatabase::sqlite();
        let server = Server::start(&db);
        let (status, _, doc) = json_of(server.get("/api/v1/openapi.json"));
        assert_eq!(status, 200);
        doc["components"]["schemas"]
            .as_object()
            .cloned()
            .expect("schemas")
    })
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    k.sort();
    k
}

/// The schemas name exactly the fields the API serialises.
#[test]
fn schemas_match_the_records_sent() {
    let now = Timestamp::now();
    let node = Node {
        id: Uuid::new_v4(),
        name: "a".into(),
        domain: None,
        fqdn: "a".into(),
        vendor: None,
        platform: Platform::Generic,
        model: None,
        role: None,
        status: NodeStatus::Active,
        location_id: None,
        management_ip: None,
        serial_number: None,
        asset_tag: None,
        custom_data: json!({}),
        created_at: now,
        updated_at: now,
        revision: 1,
    };
    let location = Location {
        id: Uuid::new_v4(),
        name: "A".into(),
        kind: "site".into(),
        parent_id: None,
        description: None,
        custom_data: json!({}),
        path: "A".into(),
        created_at: now,
        updated_at: now,
        revision: 1,
    };
    let link = Link {
        id: Uuid::new_v4(),
        name: None,
        node_a_id: node.id,
        interface_a: "x".into(),
        node_z_id: None,
        interface_z: None,
        bandwidth_bps: None,
        circuit_id: None,
        provider: None,
        description: None,
        custom_data: json!({}),
        created_at: now,
        updated_at: now,
        revision: 1,
    };
    let change = ConfigurationChange {
        id: Uuid::new_v4(),
        entity_type: EntityType::Node,
        entity_id: node.id,
        action: ChangeAction::Create,
        actor: "x".into(),
        source: ChangeSource::Api,
        before: None,
        after: None,
        request_id: None,
        created_at: now,
    };
    let schemas = served_schemas();
    for (name, record) in [
        ("Node", serde_json::to_value(&node).unwrap()),
        ("Location", serde_json::to_value(&location).unwrap()),
        ("Link", serde_json::to_value(&link).unwrap()),
        ("Change", serde_json::to_value(&change).unwrap()),
    ] {
        assert_eq!(keys(&schemas[name]["properties"]), keys(&record), "{name}");
        if name != "Change" {
            let input = &schemas[&format!("{name}Input")]["properties"];
            assert_eq!(keys(input), keys(&record), "{name}Input");
        }
    }
}

/// Every consumer of an entity's declaration names the declared fields, no more, no
/// less: the OpenAPI record, input and patch schemas, the CSV columns (in order), the
/// policy language's field names and the serialised record.
#[test]
fn consumers_agree_with_the_declarations() {
    use unet_core::Record;
    use unet_exchange::Columns;

    fn check<T: Record + Columns + serde::de::DeserializeOwned>(name: &str, sample: Value) {
        let declared: Vec<String> = {
            let mut names: Vec<String> = T::NAMES.iter().map(|n| n.to_string()).collect();
            names.sort();
            names
        };
        let schemas = served_schemas();
        for schema in [
            name.to_string(),
            format!("{name}Input"),
            format!("{name}Patch"),
        ] {
            assert_eq!(keys(&schemas[&schema]["properties"]), declared, "{schema}");
        }
        assert_eq!(<T as Columns>::COLUMNS, T::NAMES, "{name} CSV columns");
        let record: T = serde_json::from_value(sample).unwrap();
        assert_eq!(
            keys(&serde_json::to_value(record).unwrap()),
            declared,
            "{name} JSON"
        );
    }
    let at = "2026-01-01T00:00:00Z";
    check::<Node>(
        "Node",
        json!({"id": Uuid::nil(), "name": "a", "domain": null, "fqdn": "a", "vendor": null,
            "platform": "generic", "model": null, "role": null, "status": "active",
            "location_id": null, "management_ip": null, "serial_number": null,
            "asset_tag": null, "custom_data": {}, "created_at": at, "updated_at": at,
            "revision": 1}),
    );
    check::<Location>(
        "Location",
        json!({"id": Uuid::nil(), "name": "a", "kind": "site", "parent_id": null,
            "description": null, "custom_data": {}, "path": "a", "created_at": at,
            "updated_at": at, "revision": 1}),
    );
    check::<Link>(
        "Link",
        json!({"id": Uuid::nil(), "name": null, "node_a_id": Uuid::nil(),
            "interface_a": "x", "node_z_id": null, "interface_z": null,
            "bandwidth_bps": null, "circuit_id": null, "provider": null,
            "description": null, "custom_data": {}, "created_at": at, "updated_at": at,
            "revision": 1}),
    );
    assert_eq!(unet_policy::NODE_FIELDS, Node::NAMES);
    assert_eq!(unet_policy::LOCATION_FIELDS, Location::NAMES);
}
