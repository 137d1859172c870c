//! A link joins an interface of one node to an interface of another; without a Z side it is
//! an external circuit (ISP hand-off, cross-connect to a third party).

use serde_json::Value;
use uuid::Uuid;

use crate::entity::{New, draft, entity};
use crate::node::{clean, custom_data};
use crate::{CoreError, Result, Timestamp};

const MAX_INTERFACE: usize = 64;

entity! {
    entity: Link, table: "links",
    /// A cable or circuit from an interface of node A to an interface of node Z, or to the
    /// outside world when there is no Z side.
    pub struct Link {
        pub name: Option<String>,
        pub node_a_id: Uuid,
        #[schema(schema_with = crate::schema::interface)]
        pub interface_a: String,
        pub node_z_id: Option<Uuid>,
        #[schema(schema_with = crate::schema::optional_interface)]
        pub interface_z: Option<String>,
        #[schema(schema_with = crate::schema::bandwidth)]
        pub bandwidth_bps: Option<i64>,
        pub circuit_id: Option<String>,
        pub provider: Option<String>,
        pub description: Option<String>,
        #[schema(value_type = Object)]
        pub custom_data: Value,
    }
}

/// A link that passed [`LinkDraft::validated`]: both sides consistent, `custom_data` an object.
pub type NewLink = New<Link>;

draft! {
    pub struct LinkDraft {
        #[serde(default)]
        pub name: Option<String>,
        pub node_a_id: Uuid,
        #[schema(schema_with = crate::schema::interface)]
        pub interface_a: String,
        #[serde(default)]
        pub node_z_id: Option<Uuid>,
        #[serde(default)]
        #[schema(schema_with = crate::schema::optional_interface)]
        pub interface_z: Option<String>,
        #[serde(default)]
        #[schema(schema_with = crate::schema::bandwidth)]
        pub bandwidth_bps: Option<i64>,
        #[serde(default)]
        pub circuit_id: Option<String>,
        #[serde(default)]
        pub provider: Option<String>,
        #[serde(default)]
        pub description: Option<String>,
        #[serde(default)]
        #[schema(value_type = Option<Object>)]
        pub custom_data: Option<Value>,
    }
}

impl LinkDraft {
    pub fn validated(self) -> Result<NewLink> {
        let given = self.given();
        let interface_a = interface("interface_a", &self.interface_a)?;
        let interface_z = match (self.node_z_id, clean(self.interface_z)) {
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
        let link = Link {
            id: Uuid::nil(),
            name: clean(self.name),
            node_a_id: self.node_a_id,
            interface_a,
            node_z_id: self.node_z_id,
            interface_z,
            bandwidth_bps: self.bandwidth_bps,
            circuit_id: clean(self.circuit_id),
            provider: clean(self.provider),
            description: clean(self.description),
            custom_data: custom_data(self.custom_data)?,
            created_at: Timestamp::EPOCH,
            updated_at: Timestamp::EPOCH,
            revision: 0,
        };
        Ok(New::checked(link, given))
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
