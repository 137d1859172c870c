//! Which format a file is in, decided in one streaming pass over its records without building
//! a document tree: a 100,000-node file would otherwise cost hundreds of megabytes just to
//! look at a few keys. The pass also settles the top-level shape (an array, or nothing).

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use unet_core::{EntityType, Uuid};

/// What the scan found: how many records, and whether any looks like the upstream format
/// (see [`crate::upstream`] for the markers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scan {
    pub(crate) records: usize,
    pub(crate) upstream: bool,
}

pub(crate) struct Scanner(pub(crate) EntityType);

impl<'de> DeserializeSeed<'de> for Scanner {
    type Value = Scan;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Scan, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Scanner {
    type Value = Scan;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an array of {} records", self.0.as_str())
    }

    /// An empty YAML document: nothing to import.
    fn visit_none<E: serde::de::Error>(self) -> Result<Scan, E> {
        Ok(Scan {
            records: 0,
            upstream: false,
        })
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Scan, E> {
        self.visit_none()
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scan, A::Error> {
        let mut scan = Scan {
            records: 0,
            upstream: false,
        };
        while let Some(upstream) = seq.next_element_seed(RecordScanner(self.0))? {
            scan.records += 1;
            scan.upstream |= upstream;
        }
        Ok(scan)
    }
}

/// One record: true when it carries an upstream marker. Anything that is not an object is
/// left for the typed pass to report with its position.
struct RecordScanner(EntityType);

impl RecordScanner {
    fn marker(&self) -> Option<&'static str> {
        match self.0 {
            EntityType::Location => Some("location_type"),
            EntityType::Node => Some("lifecycle"),
            EntityType::Link => None,
        }
    }

    fn is_reference(&self, key: &str) -> bool {
        let keys: &[&str] = match self.0 {
            EntityType::Location => &["id", "parent_id"],
            EntityType::Node => &["id", "location_id"],
            EntityType::Link => &["id", "node_a_id", "node_z_id"],
        };
        keys.contains(&key)
    }
}

impl<'de> DeserializeSeed<'de> for RecordScanner {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

macro_rules! not_a_record {
    ($($method:ident: $ty:ty),*) => {
        $(fn $method<E: serde::de::Error>(self, _: $ty) -> Result<bool, E> {
            Ok(false)
        })*
    };
}

impl<'de> Visitor<'de> for RecordScanner {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a {} record", self.0.as_str())
    }

    not_a_record!(visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_f64: f64, visit_str: &str);

    fn visit_unit<E: serde::de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(false)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut upstream = false;
        while let Some(key) = map.next_key::<String>()? {
            if self.marker() == Some(key.as_str()) {
                upstream = true;
                map.next_value::<IgnoredAny>()?;
            } else if self.is_reference(&key) {
                let probe = map.next_value::<IdProbe>()?;
                upstream |= match probe {
                    IdProbe::Text(is_uuid) => !is_uuid,
                    // Upstream writes an external circuit as a link with a null A side.
                    IdProbe::Null => self.0 == EntityType::Link && key == "node_a_id",
                    IdProbe::Other => false,
                };
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(upstream)
    }
}

/// An id field's value: text (and whether it is a UUID), null, or something else.
enum IdProbe {
    Text(bool),
    Null,
    Other,
}

impl<'de> serde::Deserialize<'de> for IdProbe {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(IdProbeVisitor)
    }
}

struct IdProbeVisitor;

macro_rules! other_id {
    ($($method:ident: $ty:ty),*) => {
        $(fn $method<E: serde::de::Error>(self, _: $ty) -> Result<IdProbe, E> {
            Ok(IdProbe::Other)
        })*
    };
}

impl<'de> Visitor<'de> for IdProbeVisitor {
    type Value = IdProbe;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an id")
    }

    other_id!(visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_f64: f64);

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<IdProbe, E> {
        Ok(IdProbe::Text(Uuid::parse_str(text).is_ok()))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<IdProbe, E> {
        Ok(IdProbe::Null)
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<IdProbe, E> {
        Ok(IdProbe::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<IdProbe, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(IdProbe::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<IdProbe, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(IdProbe::Other)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn scan(entity: EntityType, value: serde_json::Value) -> Scan {
        let text = value.to_string();
        Scanner(entity)
            .deserialize(&mut serde_json::Deserializer::from_str(&text))
            .unwrap()
    }

    #[test]
    fn detects_upstream_markers_only() {
        let ours =
            json!([{"id": Uuid::nil(), "name": "a", "kind": "site", "custom_data": {"id": "x"}}]);
        assert_eq!(
            scan(EntityType::Location, ours),
            Scan {
                records: 1,
                upstream: false
            }
        );
        for (entity, value) in [
            (
                EntityType::Location,
                json!([{"name": "a", "location_type": "site"}]),
            ),
            (
                EntityType::Node,
                json!([{"name": "a"}, {"name": "b", "lifecycle": "Production"}]),
            ),
            (
                EntityType::Link,
                json!([{"id": "link-1", "node_a_id": Uuid::nil(), "interface_a": "x"}]),
            ),
            (
                EntityType::Link,
                json!([{"node_a_id": null, "interface_a": "x"}]),
            ),
            (
                EntityType::Node,
                json!([{"name": "a", "location_id": "room-1"}]),
            ),
        ] {
            assert!(scan(entity, value.clone()).upstream, "{value}");
        }
        // Not records at all: left for the typed pass to report.
        assert_eq!(
            scan(EntityType::Node, json!([1, [2], "x", null])).records,
            4
        );
    }

    #[test]
    fn refuses_a_non_array_document() {
        let err = Scanner(EntityType::Node)
            .deserialize(&mut serde_json::Deserializer::from_str(r#"{"name": "x"}"#))
            .unwrap_err();
        assert!(
            err.to_string().contains("an array of node records"),
            "{err}"
        );
        let empty = Scanner(EntityType::Node)
            .deserialize(serde_yaml::Deserializer::from_str(""))
            .unwrap();
        assert_eq!(empty.records, 0);
    }
}
