//! The upstream μNet example format (PRODUCT.md §1): `location_type` instead of `kind`,
//! `lifecycle` instead of `status`, capitalised vendors and roles, free-form string ids, and a
//! link's external side written as a null `node_a_id` (files are recognised by
//! [`crate::detect`]). Each record is mapped onto our drafts; string ids become UUIDv5 values
//! (`id_from_external`) so that re-imports are idempotent.

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use unet_core::{
    EntityType, LinkDraft, LocationDraft, NodeDraft, NodeStatus, Uuid, id_from_external, slugify,
};

use crate::ids;

fn external(entity: EntityType, id: Option<&str>) -> Option<Uuid> {
    id.map(str::trim)
        .filter(|id| !id.is_empty())
        .map(|id| id_from_external(entity, id))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpstreamLocation {
    #[serde(default)]
    id: Option<String>,
    name: String,
    location_type: String,
    #[serde(default)]
    parent_id: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    custom_data: Option<Value>,
}

impl UpstreamLocation {
    pub(crate) fn into_draft(self) -> LocationDraft {
        let draft = LocationDraft {
            id: external(EntityType::Location, self.id.as_deref()),
            name: self.name,
            kind: slugify(&self.location_type),
            parent_id: external(EntityType::Location, self.parent_id.as_deref()),
            description: self.description,
            custom_data: self.custom_data,
            ..Default::default()
        };
        ids::fill_location(draft)
    }
}

/// Upstream's lifecycle words, case-insensitive, onto our statuses; our own status names are
/// accepted as well.
#[derive(Debug)]
struct Lifecycle(NodeStatus);

impl<'de> Deserialize<'de> for Lifecycle {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let status = match text.trim().to_ascii_lowercase().as_str() {
            "production" | "live" | "active" => NodeStatus::Active,
            "planning" | "planned" => NodeStatus::Planned,
            "staging" | "implementing" | "staged" => NodeStatus::Staged,
            "decommissioned" => NodeStatus::Decommissioned,
            "maintenance" => NodeStatus::Maintenance,
            "offline" => NodeStatus::Offline,
            _ => {
                return Err(serde::de::Error::custom(format!(
                    "unknown lifecycle {text:?}, expected one of Production, Live, Planning, \
                     Staging, Implementing, Decommissioned"
                )));
            }
        };
        Ok(Lifecycle(status))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpstreamNode {
    #[serde(default)]
    id: Option<String>,
    name: String,
    #[serde(default)]
    domain: Option<String>,
    #[serde(default)]
    vendor: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    lifecycle: Option<Lifecycle>,
    #[serde(default)]
    location_id: Option<String>,
    #[serde(default)]
    management_ip: Option<String>,
    #[serde(default)]
    serial_number: Option<String>,
    #[serde(default)]
    asset_tag: Option<String>,
    #[serde(default)]
    custom_data: Option<Value>,
}

impl UpstreamNode {
    pub(crate) fn into_draft(self) -> NodeDraft {
        let mut custom = self.custom_data;
        // Upstream keeps serial numbers and asset tags in custom_data; they are first-class here.
        let serial_number = self
            .serial_number
            .or_else(|| take_string(&mut custom, "serial_number"));
        let asset_tag = self
            .asset_tag
            .or_else(|| take_string(&mut custom, "asset_tag"));
        let draft = NodeDraft {
            id: external(EntityType::Node, self.id.as_deref()),
            name: self.name,
            domain: self.domain,
            vendor: self.vendor.as_deref().map(slugify),
            model: self.model,
            role: self.role.as_deref().map(slugify),
            status: self.lifecycle.map(|l| l.0),
            location_id: external(EntityType::Location, self.location_id.as_deref()),
            management_ip: self.management_ip,
            serial_number,
            asset_tag,
            custom_data: custom,
            ..Default::default()
        };
        ids::fill_node(draft)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpstreamLink {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    node_a_id: Option<String>,
    #[serde(default)]
    interface_a: Option<String>,
    #[serde(default)]
    node_z_id: Option<String>,
    #[serde(default)]
    interface_z: Option<String>,
    #[serde(default)]
    bandwidth_bps: Option<i64>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    custom_data: Option<Value>,
}

/// Why an upstream link cannot be mapped: the field at fault and what was expected.
pub(crate) struct LinkMappingError {
    pub(crate) field: &'static str,
    pub(crate) message: &'static str,
}

impl UpstreamLink {
    /// Upstream writes an external circuit with the outside world on the A side; here the A side
    /// is always our node, so the sides swap and the outside label is kept as `far_end`.
    pub(crate) fn into_draft(self) -> Result<LinkDraft, LinkMappingError> {
        let mut custom = self.custom_data;
        let node_a = external(EntityType::Node, self.node_a_id.as_deref());
        let node_z = external(EntityType::Node, self.node_z_id.as_deref());
        let (node_a_id, interface_a, node_z_id, interface_z) = match (node_a, node_z) {
            (Some(a), z) => (a, self.interface_a, z, self.interface_z),
            (None, Some(z)) => {
                if let Some(outside) = self.interface_a {
                    insert(&mut custom, "far_end", Value::String(outside));
                }
                (z, self.interface_z, None, None)
            }
            (None, None) => {
                return Err(LinkMappingError {
                    field: "node_a_id",
                    message: "a node on at least one side of the link",
                });
            }
        };
        let Some(interface_a) = interface_a else {
            return Err(LinkMappingError {
                field: "interface_a",
                message: "the interface of the link's node",
            });
        };
        let circuit_id = take_string(&mut custom, "circuit_id");
        let provider = take_string(&mut custom, "provider");
        let description = self
            .description
            .or_else(|| take_string(&mut custom, "description"));
        let draft = LinkDraft {
            id: external(EntityType::Link, self.id.as_deref()),
            name: self.name,
            node_a_id,
            interface_a,
            node_z_id,
            interface_z,
            bandwidth_bps: self.bandwidth_bps,
            circuit_id,
            provider,
            description,
            custom_data: custom,
            ..Default::default()
        };
        Ok(ids::fill_link(draft))
    }
}

/// Removes `key` from a custom_data object when it holds a string.
fn take_string(custom: &mut Option<Value>, key: &str) -> Option<String> {
    let object = custom.as_mut()?.as_object_mut()?;
    match object.get(key) {
        Some(Value::String(_)) => match object.remove(key) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        },
        _ => None,
    }
}

fn insert(custom: &mut Option<Value>, key: &str, value: Value) {
    match custom {
        Some(Value::Object(object)) => {
            object.insert(key.to_string(), value);
        }
        // Leave a non-object custom_data as is: validation reports it with its field name.
        Some(_) => {}
        None => {
            let mut object = Map::new();
            object.insert(key.to_string(), value);
            *custom = Some(Value::Object(object));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn maps_node_vocabulary() {
        let node: UpstreamNode = serde_json::from_value(json!({
            "id": "sw-1", "name": "sw-1", "vendor": "Cisco", "role": "WirelessController",
            "lifecycle": "Production", "location_id": "room-1",
            "custom_data": {"serial_number": "FCW1", "rack": "R1"}
        }))
        .unwrap();
        let draft = node.into_draft();
        assert_eq!(draft.id, Some(id_from_external(EntityType::Node, "sw-1")));
        assert_eq!(draft.vendor.as_deref(), Some("cisco"));
        assert_eq!(draft.role.as_deref(), Some("wireless-controller"));
        assert_eq!(draft.status, Some(NodeStatus::Active));
        assert_eq!(
            draft.location_id,
            Some(id_from_external(EntityType::Location, "room-1"))
        );
        assert_eq!(draft.serial_number.as_deref(), Some("FCW1"));
        assert_eq!(draft.custom_data, Some(json!({"rack": "R1"})));
    }

    #[test]
    fn lifecycle_words_map_and_unknown_ones_are_named() {
        for (word, status) in [
            ("live", NodeStatus::Active),
            ("Planning", NodeStatus::Planned),
            ("implementing", NodeStatus::Staged),
            ("Staging", NodeStatus::Staged),
            ("Decommissioned", NodeStatus::Decommissioned),
        ] {
            let l: Lifecycle = serde_json::from_value(json!(word)).unwrap();
            assert_eq!(l.0, status, "{word}");
        }
        let err = serde_json::from_value::<Lifecycle>(json!("Retired")).unwrap_err();
        assert!(err.to_string().contains("Retired"), "{err}");
    }

    #[test]
    fn external_circuit_swaps_to_our_side() {
        let fw = Uuid::new_v4();
        let link: UpstreamLink = serde_json::from_value(json!({
            "id": "isp", "node_a_id": null, "interface_a": "ISP Handoff",
            "node_z_id": fw, "interface_z": "wan1",
            "custom_data": {"circuit_id": "C-1", "provider": "ISP", "sla": "99.9%"}
        }))
        .unwrap();
        let draft = link.into_draft().ok().unwrap();
        assert_eq!(draft.node_a_id, fw);
        assert_eq!(draft.interface_a, "wan1");
        assert_eq!(draft.node_z_id, None);
        assert_eq!(draft.circuit_id.as_deref(), Some("C-1"));
        assert_eq!(draft.provider.as_deref(), Some("ISP"));
        assert_eq!(
            draft.custom_data,
            Some(json!({"sla": "99.9%", "far_end": "ISP Handoff"}))
        );
        let nowhere: UpstreamLink =
            serde_json::from_value(json!({"node_a_id": null, "interface_a": "x"})).unwrap();
        assert_eq!(nowhere.into_draft().err().unwrap().field, "node_a_id");
    }
}
