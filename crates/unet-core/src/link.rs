//! A link joins an interface of one node to an interface of another; without a Z side it is
//! an external circuit (ISP hand-off, cross-connect to a third party).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::node::{clean, custom_data};
use crate::{CoreError, Result, Timestamp};

const MAX_INTERFACE: usize = 64;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    pub id: Uuid,
    pub name: Option<String>,
    pub node_a_id: Uuid,
    pub interface_a: String,
    pub node_z_id: Option<Uuid>,
    pub interface_z: Option<String>,
    pub bandwidth_bps: Option<i64>,
    pub circuit_id: Option<String>,
    pub provider: Option<String>,
    pub description: Option<String>,
    pub custom_data: Value,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub revision: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkDraft {
    #[serde(default)]
    pub id: Option<Uuid>,
    #[serde(default)]
    pub name: Option<String>,
    pub node_a_id: Uuid,
    pub interface_a: String,
    #[serde(default)]
    pub node_z_id: Option<Uuid>,
    #[serde(default)]
    pub interface_z: Option<String>,
    #[serde(default)]
    pub bandwidth_bps: Option<i64>,
    #[serde(default)]
    pub circuit_id: Option<String>,
    #[serde(default)]
    pub provider: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub custom_data: Option<Value>,
    #[serde(default)]
    pub created_at: Option<Timestamp>,
    #[serde(default)]
    pub updated_at: Option<Timestamp>,
    #[serde(default)]
    pub revision: Option<i64>,
}

impl LinkDraft {
    pub fn validated(mut self) -> Result<LinkDraft> {
        self.name = clean(self.name);
        self.interface_a = interface("interface_a", &self.interface_a)?;
        self.interface_z = match (self.node_z_id, clean(self.interface_z)) {
            (Some(_), Some(i)) => Some(interface("interface_z", &i)?),
            (Some(_), None) => {
                return Err(CoreError::Missing {
                    field: "interface_z",
                });
            }
            (None, Some(i)) => {
                return Err(CoreError::invalid(
                    "interface_z",
                    "no Z interface on a link without node_z_id (an external circuit)",
                    i,
                ));
            }
            (None, None) => None,
        };
        if self.node_z_id == Some(self.node_a_id) {
            return Err(CoreError::invalid(
                "node_z_id",
                "a node other than node_a_id (no self-links)",
                self.node_a_id.to_string(),
            ));
        }
        if let Some(bps) = self.bandwidth_bps
            && bps <= 0
        {
            return Err(CoreError::invalid(
                "bandwidth_bps",
                "a positive number of bits per second",
                bps.to_string(),
            ));
        }
        self.circuit_id = clean(self.circuit_id);
        self.provider = clean(self.provider);
        self.description = clean(self.description);
        self.custom_data = Some(custom_data(self.custom_data)?);
        Ok(self)
    }
}

fn interface(field: &'static str, name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty()
        || name.len() > MAX_INTERFACE
        || name.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(CoreError::invalid(
            field,
            "an interface name: 1-64 characters, no spaces",
            name,
        ));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(a: Uuid, ia: &str, z: Option<Uuid>, iz: Option<&str>) -> LinkDraft {
        LinkDraft {
            node_a_id: a,
            interface_a: ia.into(),
            node_z_id: z,
            interface_z: iz.map(Into::into),
            ..Default::default()
        }
    }

    #[test]
    fn sides_must_be_consistent() {
        let (a, z) = (Uuid::new_v4(), Uuid::new_v4());
        link(a, "Gi1/0/1", Some(z), Some("Gi1/0/2"))
            .validated()
            .unwrap();
        link(a, "ge-0/0/0", None, None).validated().unwrap();
        assert_eq!(
            link(a, "x", Some(a), Some("y"))
                .validated()
                .unwrap_err()
                .field(),
            "node_z_id"
        );
        assert_eq!(
            link(a, "x", Some(z), None).validated().unwrap_err().field(),
            "interface_z"
        );
        assert_eq!(
            link(a, "x", None, Some("y"))
                .validated()
                .unwrap_err()
                .field(),
            "interface_z"
        );
        assert_eq!(
            link(a, "Gi 1", None, None).validated().unwrap_err().field(),
            "interface_a"
        );
        let mut slow = link(a, "x", None, None);
        slow.bandwidth_bps = Some(0);
        assert_eq!(slow.validated().unwrap_err().field(), "bandwidth_bps");
    }
}
