//! What rules and templates see of a page of nodes' locations: each location with `path` and
//! `ancestors` (root first). One statement per page fetches every location and ancestor
//! involved.

use std::collections::HashMap;

use serde_json::Value;
use unet_core::{Location, Node, Uuid};
use unet_store::Store;

use crate::error::Result;

/// JSON of every location a page of nodes sits at, by id.
pub(crate) struct PageLocations {
    by_id: HashMap<Uuid, Value>,
}

impl PageLocations {
    pub async fn fetch(store: &Store, nodes: &[Node]) -> Result<PageLocations> {
        let mut ids: Vec<Uuid> = nodes.iter().filter_map(|n| n.location_id).collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(PageLocations {
                by_id: HashMap::new(),
            });
        }
        let all: HashMap<Uuid, Location> = store
            .locations_with_ancestors(&ids)
            .await?
            .into_iter()
            .map(|l| (l.id, l))
            .collect();
        let by_id = ids
            .iter()
            .filter_map(|id| all.get(id).map(|l| (*id, location_facts(l, &all))))
            .collect();
        Ok(PageLocations { by_id })
    }

    pub fn get(&self, id: Option<Uuid>) -> Option<&Value> {
        self.by_id.get(&id?)
    }
}

/// The location as JSON plus `ancestors`: the locations above it, root first.
fn location_facts(location: &Location, all: &HashMap<Uuid, Location>) -> Value {
    let mut ancestors = Vec::new();
    let mut parent = location.parent_id;
    // The tree has no cycles (the store refuses them); the bound guards a corrupt database.
    while let Some(id) = parent
        && ancestors.len() < all.len()
    {
        let Some(above) = all.get(&id) else { break };
        ancestors.push(to_json(above));
        parent = above.parent_id;
    }
    ancestors.reverse();
    let mut facts = to_json(location);
    if let Value::Object(map) = &mut facts {
        map.insert("ancestors".into(), Value::Array(ancestors));
    }
    facts
}

/// Entities are plain data (strings, numbers, JSON objects): serialising cannot fail.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}
