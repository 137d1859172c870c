//! Builders shared by the store's integration tests.
#![allow(dead_code)]

use unet_core::{
    ChangeContext, ChangeFilter, ChangeSource, LinkDraft, LocationDraft, NodeDraft, PageRequest,
    Uuid,
};
use unet_store::{Origin, Sourced, Store};

/// A batch record from `file` at `index`.
pub fn at<T>(file: &str, index: usize, draft: T) -> Sourced<T> {
    Sourced {
        origin: Origin {
            file: file.into(),
            index,
        },
        draft,
    }
}

pub fn ctx() -> ChangeContext {
    ChangeContext::new("alice", ChangeSource::Cli).with_request_id("req-1")
}

pub fn location(name: &str, kind: &str, parent: Option<Uuid>) -> LocationDraft {
    LocationDraft {
        name: name.into(),
        kind: kind.into(),
        parent_id: parent,
        ..Default::default()
    }
}

pub fn node(name: &str, domain: Option<&str>) -> NodeDraft {
    NodeDraft {
        name: name.into(),
        domain: domain.map(Into::into),
        vendor: Some("cisco".into()),
        role: Some("access".into()),
        ..Default::default()
    }
}

pub fn link(a: Uuid, ia: &str, z: Option<(Uuid, &str)>) -> LinkDraft {
    LinkDraft {
        node_a_id: a,
        interface_a: ia.into(),
        node_z_id: z.map(|(n, _)| n),
        interface_z: z.map(|(_, i)| i.into()),
        ..Default::default()
    }
}

/// Rows in `configuration_changes`.
pub async fn change_count(store: &Store) -> u64 {
    store
        .list_changes(&ChangeFilter::default(), &PageRequest::default())
        .await
        .unwrap()
        .total
}
