//! Deterministic ids for records that arrive without one, from each entity's natural key, so
//! that importing the same hand-written file twice updates instead of duplicating.

use unet_core::{EntityType, LinkDraft, LocationDraft, NodeDraft, Uuid, id_from_external};

/// A location is known by its parent and its name (names are unique among siblings).
pub(crate) fn location_id(draft: &LocationDraft) -> Uuid {
    let parent = draft.parent_id.map(|p| p.to_string()).unwrap_or_default();
    id_from_external(
        EntityType::Location,
        &format!("{parent}/{}", draft.name.trim()),
    )
}

/// A node is known by its fully qualified name, which is unique and case-insensitive.
pub(crate) fn node_id(draft: &NodeDraft) -> Uuid {
    let name = draft.name.trim();
    let fqdn = match draft.domain.as_deref().map(str::trim) {
        Some(domain) if !domain.is_empty() => format!("{name}.{domain}"),
        _ => name.to_string(),
    };
    id_from_external(EntityType::Node, &format!("fqdn:{}", fqdn.to_lowercase()))
}

/// A link is known by its A side: an interface belongs to at most one link.
pub(crate) fn link_id(draft: &LinkDraft) -> Uuid {
    id_from_external(
        EntityType::Link,
        &format!("{}:{}", draft.node_a_id, draft.interface_a.trim()),
    )
}

pub(crate) fn fill_location(mut draft: LocationDraft) -> LocationDraft {
    draft.id = Some(draft.id.unwrap_or_else(|| location_id(&draft)));
    draft
}

pub(crate) fn fill_node(mut draft: NodeDraft) -> NodeDraft {
    draft.id = Some(draft.id.unwrap_or_else(|| node_id(&draft)));
    draft
}

pub(crate) fn fill_link(mut draft: LinkDraft) -> LinkDraft {
    draft.id = Some(draft.id.unwrap_or_else(|| link_id(&draft)));
    draft
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_keys_give_stable_distinct_ids() {
        let a = NodeDraft {
            name: "core-1".into(),
            domain: Some("dc1.example.net".into()),
            ..Default::default()
        };
        let same = NodeDraft {
            name: " CORE-1 ".into(),
            domain: Some("DC1.example.net".into()),
            ..Default::default()
        };
        let other = NodeDraft {
            name: "core-2".into(),
            domain: Some("dc1.example.net".into()),
            ..Default::default()
        };
        assert_eq!(node_id(&a), node_id(&same));
        assert_ne!(node_id(&a), node_id(&other));
        let kept = Uuid::new_v4();
        let with_id = NodeDraft {
            id: Some(kept),
            ..a
        };
        assert_eq!(fill_node(with_id).id, Some(kept));
    }

    #[test]
    fn sibling_locations_differ_by_parent() {
        let root = LocationDraft {
            name: "Floor 1".into(),
            kind: "floor".into(),
            ..Default::default()
        };
        let nested = LocationDraft {
            parent_id: Some(Uuid::new_v4()),
            ..root.clone()
        };
        assert_ne!(location_id(&root), location_id(&nested));
        assert_eq!(fill_location(root.clone()).id, Some(location_id(&root)));
    }
}
