//! A node is one managed device: its identity, where it stands, how to reach it, and the
//! config dialect (`platform`) its running configuration is parsed with.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::entity::{New, draft, entity};
use crate::names::{slug_input, validate_domain, validate_hostname};
use crate::platform::Platform;
use crate::text_enum::text_enum;
use crate::{CoreError, Result, Timestamp};

/// Lifecycle state. `active` is what the runbook counts (`WHERE status = 'active'`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum NodeStatus {
    Planned,
    Staged,
    #[default]
    Active,
    Maintenance,
    Offline,
    Decommissioned,
}

text_enum!(NodeStatus, "status", [
    Planned => "planned", Staged => "staged", Active => "active",
    Maintenance => "maintenance", Offline => "offline", Decommissioned => "decommissioned",
]);

entity! {
    entity: Node, table: "nodes",
    /// A stored node, as the API, the exports and the policy engine see it.
    pub struct Node {
        #[schema(schema_with = crate::schema::hostname)]
        pub name: String,
        pub domain: Option<String>,
        /// `name.domain`, or `name` when there is no domain.
        pub fqdn: String,
        pub vendor: Option<String>,
        #[schema(inline)]
        pub platform: Platform,
        pub model: Option<String>,
        pub role: Option<String>,
        #[schema(inline)]
        pub status: NodeStatus,
        pub location_id: Option<Uuid>,
        pub management_ip: Option<String>,
        pub serial_number: Option<String>,
        pub asset_tag: Option<String>,
        #[schema(value_type = Object)]
        pub custom_data: Value,
    }
}

/// A node that passed [`NodeDraft::validated`]: platform and status decided, fqdn derived,
/// `custom_data` an object. The store accepts nodes only in this form.
pub type NewNode = New<Node>;

draft! {
    /// What a client, a CLI flag or an import file supplies for a node. Derived and bookkeeping
    /// fields (`fqdn`, `created_at`, `updated_at`, `revision`) are accepted so that an exported or
    /// fetched record can be sent back as is; the store decides what to keep of them.
    pub struct NodeDraft {
        #[schema(schema_with = crate::schema::hostname_input)]
        pub name: String,
        #[serde(default)]
        #[schema(schema_with = crate::schema::domain_input)]
        pub domain: Option<String>,
        #[serde(default)]
        pub fqdn: Option<String>,
        #[serde(default)]
        #[schema(schema_with = crate::schema::optional_slug_input)]
        pub vendor: Option<String>,
        #[serde(default)]
        #[schema(inline)]
        pub platform: Option<Platform>,
        #[serde(default)]
        pub model: Option<String>,
        #[serde(default)]
        #[schema(schema_with = crate::schema::optional_slug_input)]
        pub role: Option<String>,
        #[serde(default)]
        #[schema(inline)]
        pub status: Option<NodeStatus>,
        #[serde(default)]
        pub location_id: Option<Uuid>,
        #[serde(default)]
        #[schema(schema_with = crate::schema::management_ip_input)]
        pub management_ip: Option<String>,
        #[serde(default)]
        pub serial_number: Option<String>,
        #[serde(default)]
        pub asset_tag: Option<String>,
        #[serde(default)]
        #[schema(value_type = Option<Object>)]
        pub custom_data: Option<Value>,
    }
}

impl NodeDraft {
    /// Checks every rule of the data model and returns the canonical form: trimmed text,
    /// empty optional strings as absent, name and domain in lower case (host names compare
    /// case-insensitively, RFC 4343, so `CORE-1` and `core-1` are one name), the IP in its
    /// canonical spelling, the platform inferred from the vendor when absent, the status
    /// `active` when absent, `custom_data` an object.
    pub fn validated(self) -> Result<NewNode> {
        let given = self.given();
        let name = self.name.trim().to_ascii_lowercase();
        validate_hostname("name", &name)?;
        let domain = clean(self.domain).map(|d| d.to_ascii_lowercase());
        if let Some(domain) = &domain {
            validate_domain("domain", domain)?;
        }
        let vendor = slug_input("vendor", self.vendor.as_deref().unwrap_or_default())?;
        let role = slug_input("role", self.role.as_deref().unwrap_or_default())?;
        let management_ip = match clean(self.management_ip) {
            Some(ip) => Some(canonical_ip(&ip)?),
            None => None,
        };
        let fqdn = fqdn(&name, domain.as_deref());
        if let Some(given) = &self.fqdn
            && !given.eq_ignore_ascii_case(&fqdn)
        {
            return Err(CoreError::invalid(
                "fqdn",
                format!("{fqdn:?} (derived from name and domain)"),
                given,
            ));
        }
        let node = Node {
            id: Uuid::nil(),
            platform: self
                .platform
                .unwrap_or_else(|| Platform::infer_from_vendor(vendor.as_deref())),
            status: self.status.unwrap_or_default(),
            name,
            domain,
            fqdn,
            vendor,
            model: clean(self.model),
            role,
            location_id: self.location_id,
            management_ip,
            serial_number: clean(self.serial_number),
            asset_tag: clean(self.asset_tag),
            custom_data: custom_data(self.custom_data)?,
            created_at: Timestamp::EPOCH,
            updated_at: Timestamp::EPOCH,
            revision: 0,
        };
        Ok(New::checked(node, given))
    }
}

pub fn fqdn(name: &str, domain: Option<&str>) -> String {
    match domain {
        Some(d) => format!("{name}.{d}"),
        None => name.to_string(),
    }
}

fn canonical_ip(text: &str) -> Result<String> {
    text.parse::<IpAddr>()
        .map(|ip| ip.to_string())
        .map_err(|_| CoreError::invalid("management_ip", "an IPv4 or IPv6 address", text))
}

/// Optional free text: trimmed, and empty means absent.
pub(crate) fn clean(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// `custom_data` is always a JSON object; absent or null means `{}`.
pub(crate) fn custom_data(value: Option<Value>) -> Result<Value> {
    match value {
        None | Some(Value::Null) => Ok(Value::Object(Map::new())),
        Some(v @ Value::Object(_)) => Ok(v),
        Some(other) => Err(CoreError::invalid(
            "custom_data",
            "a JSON object",
            other.to_string(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(json: &str) -> Result<Node, String> {
        let d: NodeDraft = serde_json::from_str(json).map_err(|e| e.to_string())?;
        d.validated()
            .map(|n| n.record().clone())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn canonicalises_and_infers_platform() {
        let n = draft(r#"{"name":" core-1 ","domain":"dc1.example.net","vendor":"arista","management_ip":"2001:DB8::1","serial_number":""}"#).unwrap();
        assert_eq!(n.name, "core-1");
        assert_eq!(n.fqdn, "core-1.dc1.example.net");
        assert_eq!(n.platform, Platform::AristaEos);
        assert_eq!(n.status, NodeStatus::Active);
        assert_eq!(n.management_ip.as_deref(), Some("2001:db8::1"));
        assert_eq!(n.serial_number, None);
        assert_eq!(n.custom_data, serde_json::json!({}));
    }

    #[test]
    fn host_names_are_lower_case() {
        let n = draft(
            r#"{"name":"CORE-1","domain":"DC1.Example.NET","fqdn":"Core-1.dc1.example.net"}"#,
        )
        .unwrap();
        assert_eq!(
            (n.name.as_str(), n.domain.as_deref()),
            ("core-1", Some("dc1.example.net"))
        );
        assert_eq!(n.fqdn, "core-1.dc1.example.net");
    }

    #[test]
    fn errors_name_the_field() {
        for (json, field) in [
            (r#"{"name":"bad name"}"#, "name"),
            (
                r#"{"name":"a","management_ip":"10.0.0.300"}"#,
                "management_ip",
            ),
            (r#"{"name":"a","vendor":"Cisco"}"#, "vendor"),
            (r#"{"name":"a","role":"core switch"}"#, "role"),
            (r#"{"name":"a","domain":"x..y"}"#, "domain"),
            (r#"{"name":"a","custom_data":[1]}"#, "custom_data"),
            (r#"{"name":"a","domain":"x.y","fqdn":"b.x.y"}"#, "fqdn"),
        ] {
            let err = draft(json).unwrap_err();
            assert!(err.starts_with(field), "{json}: {err}");
        }
    }

    #[test]
    fn unknown_fields_and_values_are_refused() {
        assert!(
            draft(r#"{"name":"a","colour":"red"}"#)
                .unwrap_err()
                .contains("colour")
        );
        assert!(
            draft(r#"{"name":"a","status":"live"}"#)
                .unwrap_err()
                .contains("live")
        );
        assert!(
            draft(r#"{"name":"a","platform":"ios"}"#)
                .unwrap_err()
                .contains("ios")
        );
    }

    #[test]
    fn enums_round_trip_as_text() {
        for s in NodeStatus::ALL {
            assert_eq!(s.as_str().parse::<NodeStatus>().unwrap(), *s);
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for p in Platform::ALL {
            assert_eq!(p.as_str().parse::<Platform>().unwrap(), *p);
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
        assert!(
            "bogus"
                .parse::<NodeStatus>()
                .unwrap_err()
                .to_string()
                .contains("planned")
        );
    }
}
