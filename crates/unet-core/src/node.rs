//! A node is one managed device: its identity, where it stands, how to reach it, and the
//! config dialect (`platform`) its running configuration is parsed with.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::names::{validate_domain, validate_hostname, validate_slug};
use crate::platform::Platform;
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

macro_rules! text_enum {
    ($ty:ty, $what:literal, [$($variant:ident => $text:literal),+ $(,)?]) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$(<$ty>::$variant),+];

            pub fn as_str(&self) -> &'static str {
                match self { $(<$ty>::$variant => $text),+ }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = CoreError;

            fn from_str(s: &str) -> Result<Self> {
                match s {
                    $($text => Ok(<$ty>::$variant),)+
                    _ => Err(CoreError::invalid($what, concat!("one of: ", $($text, " "),+).trim_end(), s)),
                }
            }
        }
    };
}
pub(crate) use text_enum;

text_enum!(NodeStatus, "status", [
    Planned => "planned", Staged => "staged", Active => "active",
    Maintenance => "maintenance", Offline => "offline", Decommissioned => "decommissioned",
]);

/// A stored node, as the API, the exports and the policy engine see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub id: Uuid,
    pub name: String,
    pub domain: Option<String>,
    /// `name.domain`, or `name` when there is no domain.
    pub fqdn: String,
    pub vendor: Option<String>,
    pub platform: Platform,
    pub model: Option<String>,
    pub role: Option<String>,
    pub status: NodeStatus,
    pub location_id: Option<Uuid>,
    pub management_ip: Option<String>,
    pub serial_number: Option<String>,
    pub asset_tag: Option<String>,
    pub custom_data: Value,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Increments on every update; the HTTP ETag.
    pub revision: i64,
}

/// What a client, a CLI flag or an import file supplies for a node. Derived and bookkeeping
/// fields (`fqdn`, `created_at`, `updated_at`, `revision`) are accepted so that an exported or
/// fetched record can be sent back as is; the store decides what to keep of them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeDraft {
    #[serde(default)]
    pub id: Option<Uuid>,
    pub name: String,
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub fqdn: Option<String>,
    #[serde(default)]
    pub vendor: Option<String>,
    #[serde(default)]
    pub platform: Option<Platform>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub status: Option<NodeStatus>,
    #[serde(default)]
    pub location_id: Option<Uuid>,
    #[serde(default)]
    pub management_ip: Option<String>,
    #[serde(default)]
    pub serial_number: Option<String>,
    #[serde(default)]
    pub asset_tag: Option<String>,
    #[serde(default)]
    pub custom_data: Option<Value>,
    #[serde(default)]
    pub created_at: Option<Timestamp>,
    #[serde(default)]
    pub updated_at: Option<Timestamp>,
    #[serde(default)]
    pub revision: Option<i64>,
}

impl NodeDraft {
    /// Checks every rule of the data model and returns the canonical form: trimmed text,
    /// empty optional strings as absent, name and domain in lower case (host names compare
    /// case-insensitively, RFC 4343, so `CORE-1` and `core-1` are one name), the IP in its
    /// canonical spelling, the platform inferred from the vendor when absent, `custom_data` an
    /// object.
    pub fn validated(mut self) -> Result<NodeDraft> {
        self.name = self.name.trim().to_ascii_lowercase();
        validate_hostname("name", &self.name)?;
        self.domain = clean(self.domain).map(|d| d.to_ascii_lowercase());
        if let Some(domain) = &self.domain {
            validate_domain("domain", domain)?;
        }
        self.vendor = clean(self.vendor);
        if let Some(vendor) = &self.vendor {
            validate_slug("vendor", vendor)?;
        }
        self.role = clean(self.role);
        if let Some(role) = &self.role {
            validate_slug("role", role)?;
        }
        self.model = clean(self.model);
        self.serial_number = clean(self.serial_number);
        self.asset_tag = clean(self.asset_tag);
        self.management_ip = match clean(self.management_ip) {
            Some(ip) => Some(canonical_ip(&ip)?),
            None => None,
        };
        self.platform = Some(
            self.platform
                .unwrap_or_else(|| Platform::infer_from_vendor(self.vendor.as_deref())),
        );
        self.custom_data = Some(custom_data(self.custom_data)?);
        let fqdn = fqdn(&self.name, self.domain.as_deref());
        if let Some(given) = &self.fqdn
            && !given.eq_ignore_ascii_case(&fqdn)
        {
            return Err(CoreError::invalid(
                "fqdn",
                format!("{fqdn:?} (derived from name and domain)"),
                given,
            ));
        }
        self.fqdn = Some(fqdn);
        Ok(self)
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

    fn draft(json: &str) -> Result<NodeDraft, String> {
        let d: NodeDraft = serde_json::from_str(json).map_err(|e| e.to_string())?;
        d.validated().map_err(|e| e.to_string())
    }

    #[test]
    fn canonicalises_and_infers_platform() {
        let n = draft(r#"{"name":" core-1 ","domain":"dc1.example.net","vendor":"arista","management_ip":"2001:DB8::1","serial_number":""}"#).unwrap();
        assert_eq!(n.name, "core-1");
        assert_eq!(n.fqdn.as_deref(), Some("core-1.dc1.example.net"));
        assert_eq!(n.platform, Some(Platform::AristaEos));
        assert_eq!(n.management_ip.as_deref(), Some("2001:db8::1"));
        assert_eq!(n.serial_number, None);
        assert_eq!(n.custom_data, Some(serde_json::json!({})));
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
        assert_eq!(n.fqdn.as_deref(), Some("core-1.dc1.example.net"));
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
