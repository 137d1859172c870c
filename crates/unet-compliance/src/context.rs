//! What a template sees of a node: `node` (every field, `custom_data` included), `location`
//! (with `ancestors`, root first; null without one) and `links` (this node's links, each from
//! this node's side: `interface`, `peer_node`, `peer_interface`). A page of nodes costs one
//! statement for the locations and one for the links.

use std::collections::HashMap;

use serde_json::{Value, json};
use unet_core::{Node, Uuid};
use unet_store::{NamedLink, Store};

use crate::error::Result;
use crate::facts::{PageLocations, to_json};

/// Template contexts for a page of nodes.
pub struct PageContexts {
    locations: PageLocations,
    links: HashMap<Uuid, Vec<Value>>,
}

impl PageContexts {
    pub async fn fetch(store: &Store, nodes: &[Node]) -> Result<PageContexts> {
        let locations = PageLocations::fetch(store, nodes).await?;
        let ids: Vec<Uuid> = nodes.iter().map(|n| n.id).collect();
        let mut by_node: HashMap<Uuid, Vec<(Vec<Chunk>, Value)>> = HashMap::new();
        for named in store.links_of_nodes(&ids).await? {
            for (node_id, interface, side) in sides(&named) {
                by_node
                    .entry(node_id)
                    .or_default()
                    .push((natural(interface), side));
            }
        }
        let links = by_node
            .into_iter()
            .map(|(node_id, mut sides)| {
                sides.sort_by(|a, b| a.0.cmp(&b.0));
                (node_id, sides.into_iter().map(|(_, side)| side).collect())
            })
            .collect();
        Ok(PageContexts { locations, links })
    }

    /// The context of `node` (one of the page's nodes).
    pub fn context(&self, node: &Node) -> unet_template::Value {
        let context = json!({
            "node": to_json(node),
            "location": self.locations.get(node.location_id),
            "links": self.links.get(&node.id).map_or(&[][..], Vec::as_slice),
        });
        unet_template::context(&context)
    }
}

/// A piece of an interface name: its numbers compare as numbers, so `Ethernet2/1` comes before
/// `Ethernet10/1` the way the device lists them.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Chunk {
    Number(u64),
    Text(String),
}

fn natural(name: &str) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    let mut rest = name;
    while let Some(first) = rest.chars().next() {
        let digits = first.is_ascii_digit();
        let end = rest
            .find(|c: char| c.is_ascii_digit() != digits)
            .unwrap_or(rest.len());
        let (piece, tail) = rest.split_at(end);
        chunks.push(match piece.parse() {
            Ok(n) if digits => Chunk::Number(n),
            _ => Chunk::Text(piece.to_string()),
        });
        rest = tail;
    }
    chunks
}

/// The link as each of its nodes sees it (twice for a link between two interfaces of one node),
/// with the interface on that node's side.
fn sides(named: &NamedLink) -> Vec<(Uuid, &str, Value)> {
    let link = &named.link;
    let side = |interface: &str, peer_node: Option<&str>, peer_interface: Option<&str>| {
        json!({
            "id": link.id,
            "name": link.name,
            "interface": interface,
            "peer_node": peer_node,
            "peer_interface": peer_interface,
            "bandwidth_bps": link.bandwidth_bps,
            "circuit_id": link.circuit_id,
            "provider": link.provider,
            "description": link.description,
            "custom_data": link.custom_data,
        })
    };
    let mut out = vec![(
        link.node_a_id,
        link.interface_a.as_str(),
        side(
            &link.interface_a,
            named.node_z.as_deref(),
            link.interface_z.as_deref(),
        ),
    )];
    if let (Some(z), Some(interface_z)) = (link.node_z_id, &link.interface_z) {
        out.push((
            z,
            interface_z.as_str(),
            side(
                interface_z,
                Some(named.node_a.as_str()),
                Some(&link.interface_a),
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interfaces_sort_by_their_numbers() {
        let mut names = [
            "Ethernet10/1",
            "Ethernet2/1",
            "Ethernet2/10",
            "Ethernet2/2",
            "ge-0/0/1",
            "Ethernet2",
        ];
        names.sort_by_key(|n| natural(n));
        assert_eq!(
            names,
            [
                "Ethernet2",
                "Ethernet2/1",
                "Ethernet2/2",
                "Ethernet2/10",
                "Ethernet10/1",
                "ge-0/0/1"
            ]
        );
    }
}
