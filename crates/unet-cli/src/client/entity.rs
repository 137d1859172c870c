//! The inventory records the commands create, show, change and delete (locations, nodes,
//! links): for each, its collection in the API, its list filter as query parameters, and the
//! store's methods for it. [`super::Inventory`] is written once over [`Entity`].

use serde::Serialize;
use serde::de::DeserializeOwned;
use unet_core::{
    ChangeContext, Link, LinkDraft, LinkFilter, Location, LocationDraft, LocationFilter, Node,
    NodeDraft, NodeFilter, Page, PageRequest, Uuid,
};
use unet_store::{Result as StoreResult, Store};

/// Query pairs of a request, absent values left out.
#[derive(Default)]
pub struct Query(pub Vec<(&'static str, String)>);

impl Query {
    pub fn opt(mut self, key: &'static str, value: Option<impl ToString>) -> Query {
        if let Some(value) = value {
            self.0.push((key, value.to_string()));
        }
        self
    }

    pub fn page(self, p: &PageRequest) -> Query {
        self.opt("limit", Some(p.limit))
            .opt("cursor", p.cursor.as_deref())
    }
}

pub trait Entity: DeserializeOwned + Sized {
    type Draft: Serialize;
    type Filter;
    /// Where the API keeps it: `api/v1/{COLLECTION}`, `api/v1/resolve/{COLLECTION}`.
    const COLLECTION: &'static str;

    fn id(&self) -> Uuid;
    fn revision(&self) -> i64;
    /// How a message names it, such as `node edge1.example.net (UUID)`.
    fn label(&self) -> String;
    /// The list filter as the API's query parameters.
    fn query(filter: &Self::Filter) -> Query;

    async fn resolve_in(store: &Store, ident: &str) -> StoreResult<Self>;
    async fn list_in(store: &Store, f: &Self::Filter, p: &PageRequest) -> StoreResult<Page<Self>>;
    async fn create_in(store: &Store, ctx: &ChangeContext, d: Self::Draft) -> StoreResult<Self>;
    async fn update_in(store: &Store, ctx: &ChangeContext, write: Write<Self>)
    -> StoreResult<Self>;
    /// `cascade` deletes what refers to the record (links have nothing that does).
    async fn delete_in(
        store: &Store,
        ctx: &ChangeContext,
        id: Uuid,
        cascade: bool,
    ) -> StoreResult<()>;
}

/// An update: the record, its new content, and the revision it must still be at.
pub struct Write<E: Entity> {
    pub id: Uuid,
    pub draft: E::Draft,
    pub if_revision: Option<i64>,
}

/// What every record type has alike: its draft and filter types, its collection, the
/// accessors, and the store's methods for it (`delete` when it takes `cascade`).
macro_rules! record {
    ($draft:ty, $filter:ty, $collection:literal;
     $resolve:ident, $list:ident, $create:ident, $update:ident) => {
        type Draft = $draft;
        type Filter = $filter;
        const COLLECTION: &'static str = $collection;

        fn id(&self) -> Uuid {
            self.id
        }

        fn revision(&self) -> i64 {
            self.revision
        }

        async fn resolve_in(store: &Store, ident: &str) -> StoreResult<Self> {
            store.$resolve(ident).await
        }

        async fn list_in(
            store: &Store,
            f: &Self::Filter,
            p: &PageRequest,
        ) -> StoreResult<Page<Self>> {
            store.$list(f, p).await
        }

        async fn create_in(
            store: &Store,
            ctx: &ChangeContext,
            d: Self::Draft,
        ) -> StoreResult<Self> {
            store.$create(ctx, d).await
        }

        async fn update_in(
            store: &Store,
            ctx: &ChangeContext,
            w: Write<Self>,
        ) -> StoreResult<Self> {
            store.$update(ctx, w.id, w.draft, w.if_revision).await
        }
    };
    ($draft:ty, $filter:ty, $collection:literal;
     $resolve:ident, $list:ident, $create:ident, $update:ident, $delete:ident) => {
        record!($draft, $filter, $collection; $resolve, $list, $create, $update);

        async fn delete_in(
            store: &Store,
            ctx: &ChangeContext,
            id: Uuid,
            cascade: bool,
        ) -> StoreResult<()> {
            store.$delete(ctx, id, cascade).await
        }
    };
}

impl Entity for Node {
    fn label(&self) -> String {
        format!("node {} ({})", self.fqdn, self.id)
    }

    fn query(f: &NodeFilter) -> Query {
        Query::default()
            .opt("status", f.status.map(|s| s.as_str()))
            .opt("role", f.role.as_deref())
            .opt("vendor", f.vendor.as_deref())
            .opt("platform", f.platform.map(|s| s.as_str()))
            .opt("location", f.location_id)
            .opt("q", f.q.as_deref())
    }

    record!(NodeDraft, NodeFilter, "nodes";
        resolve_node, list_nodes, create_node, update_node, delete_node);
}

impl Entity for Location {
    fn label(&self) -> String {
        format!("location {} ({})", self.path, self.id)
    }

    fn query(f: &LocationFilter) -> Query {
        Query::default()
            .opt("kind", f.kind.as_deref())
            .opt("parent", f.parent_id)
            .opt("q", f.q.as_deref())
    }

    record!(LocationDraft, LocationFilter, "locations";
        resolve_location, list_locations, create_location, update_location, delete_location);
}

impl Entity for Link {
    fn label(&self) -> String {
        format!("link {}", self.id)
    }

    fn query(f: &LinkFilter) -> Query {
        Query::default()
            .opt("node", f.node_id)
            .opt("circuit_id", f.circuit_id.as_deref())
            .opt("provider", f.provider.as_deref())
            .opt("q", f.q.as_deref())
    }

    record!(LinkDraft, LinkFilter, "links";
        resolve_link, list_links, create_link, update_link);

    async fn delete_in(store: &Store, ctx: &ChangeContext, id: Uuid, _: bool) -> StoreResult<()> {
        store.delete_link(ctx, id).await
    }
}
