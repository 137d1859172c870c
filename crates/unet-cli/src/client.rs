//! What the commands talk to. Local mode opens the database directly through the store;
//! server mode speaks the HTTP API (`client_http`); the commands do not know which.

use tokio::sync::OnceCell;
use unet_core::{
    ChangeContext, ChangeFilter, ChangeSource, ConfigurationChange, Link, LinkDraft, LinkFilter,
    Location, LocationDraft, LocationFilter, Node, NodeDraft, NodeFilter, Page, PageRequest, Uuid,
};
use unet_store::{ImportBatch, ImportOptions, ImportReport, Inventory, Store, StoreOptions};

use crate::client_http::Remote;
use crate::error::Result;
use crate::http::Api;

pub enum Client {
    Local(Local),
    /// A μNet server; the change context is the server's (authenticated caller, source api).
    Http(Remote),
}

/// The database, opened (created and migrated if new) on first use, so that a command that
/// fails before it needs the inventory — an import file with a syntax error — leaves no trace,
/// not even a new empty database.
pub struct Local {
    url: String,
    store: OnceCell<Store>,
}

impl Local {
    async fn store(&self) -> Result<&Store> {
        Ok(self
            .store
            .get_or_try_init(|| Store::open_and_migrate(&self.url, StoreOptions::default()))
            .await?)
    }
}

/// The actor recorded in the change history: the login name, or `cli` when there is none.
pub fn actor() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "cli".to_string())
}

pub fn context(source: ChangeSource) -> ChangeContext {
    ChangeContext::new(actor(), source)
}

impl Client {
    /// The database at `url`, opened when a command first needs it.
    pub fn local(url: &str) -> Client {
        Client::Local(Local {
            url: url.to_string(),
            store: OnceCell::new(),
        })
    }

    /// The server at `server`, with the token of `UNET_TOKEN` or the token file.
    pub fn remote(server: &str) -> Result<Client> {
        let token = crate::client_config::token()?;
        Ok(Client::Http(Remote::new(Api::new(server, token)?)))
    }

    pub async fn close(self) {
        match self {
            Client::Local(local) => {
                if let Some(store) = local.store.get() {
                    store.close().await;
                }
            }
            Client::Http(_) => {}
        }
    }

    pub async fn resolve_node(&self, ident: &str) -> Result<Node> {
        match self {
            Client::Local(l) => Ok(l.store().await?.resolve_node(ident).await?),
            Client::Http(r) => r.resolve_node(ident).await,
        }
    }

    pub async fn list_nodes(&self, f: &NodeFilter, p: &PageRequest) -> Result<Page<Node>> {
        match self {
            Client::Local(l) => Ok(l.store().await?.list_nodes(f, p).await?),
            Client::Http(r) => r.list_nodes(f, p).await,
        }
    }

    pub async fn create_node(&self, ctx: &ChangeContext, d: NodeDraft) -> Result<Node> {
        match self {
            Client::Local(l) => Ok(l.store().await?.create_node(ctx, d).await?),
            Client::Http(r) => r.create_node(d).await,
        }
    }

    pub async fn update_node(
        &self,
        ctx: &ChangeContext,
        id: Uuid,
        d: NodeDraft,
        if_revision: Option<i64>,
    ) -> Result<Node> {
        match self {
            Client::Local(l) => Ok(l
                .store()
                .await?
                .update_node(ctx, id, d, if_revision)
                .await?),
            Client::Http(r) => r.update_node(id, d, if_revision).await,
        }
    }

    pub async fn delete_node(&self, ctx: &ChangeContext, id: Uuid, cascade: bool) -> Result<()> {
        match self {
            Client::Local(l) => Ok(l.store().await?.delete_node(ctx, id, cascade).await?),
            Client::Http(r) => r.delete("nodes", id, cascade).await,
        }
    }

    pub async fn node_history(
        &self,
        id: Uuid,
        p: &PageRequest,
    ) -> Result<Page<ConfigurationChange>> {
        match self {
            Client::Local(l) => Ok(l.store().await?.node_history(id, p).await?),
            Client::Http(r) => r.node_history(id, p).await,
        }
    }

    pub async fn resolve_location(&self, ident: &str) -> Result<Location> {
        match self {
            Client::Local(l) => Ok(l.store().await?.resolve_location(ident).await?),
            Client::Http(r) => r.resolve_location(ident).await,
        }
    }

    pub async fn list_locations(
        &self,
        f: &LocationFilter,
        p: &PageRequest,
    ) -> Result<Page<Location>> {
        match self {
            Client::Local(l) => Ok(l.store().await?.list_locations(f, p).await?),
            Client::Http(r) => r.list_locations(f, p).await,
        }
    }

    pub async fn create_location(&self, ctx: &ChangeContext, d: LocationDraft) -> Result<Location> {
        match self {
            Client::Local(l) => Ok(l.store().await?.create_location(ctx, d).await?),
            Client::Http(r) => r.create_location(d).await,
        }
    }

    pub async fn update_location(
        &self,
        ctx: &ChangeContext,
        id: Uuid,
        d: LocationDraft,
        if_revision: Option<i64>,
    ) -> Result<Location> {
        match self {
            Client::Local(l) => Ok(l
                .store()
                .await?
                .update_location(ctx, id, d, if_revision)
                .await?),
            Client::Http(r) => r.update_location(id, d, if_revision).await,
        }
    }

    pub async fn delete_location(
        &self,
        ctx: &ChangeContext,
        id: Uuid,
        cascade: bool,
    ) -> Result<()> {
        match self {
            Client::Local(l) => Ok(l.store().await?.delete_location(ctx, id, cascade).await?),
            Client::Http(r) => r.delete("locations", id, cascade).await,
        }
    }

    pub async fn resolve_link(&self, ident: &str) -> Result<Link> {
        match self {
            Client::Local(l) => Ok(l.store().await?.resolve_link(ident).await?),
            Client::Http(r) => r.resolve_link(ident).await,
        }
    }

    pub async fn list_links(&self, f: &LinkFilter, p: &PageRequest) -> Result<Page<Link>> {
        match self {
            Client::Local(l) => Ok(l.store().await?.list_links(f, p).await?),
            Client::Http(r) => r.list_links(f, p).await,
        }
    }

    pub async fn create_link(&self, ctx: &ChangeContext, d: LinkDraft) -> Result<Link> {
        match self {
            Client::Local(l) => Ok(l.store().await?.create_link(ctx, d).await?),
            Client::Http(r) => r.create_link(d).await,
        }
    }

    pub async fn update_link(
        &self,
        ctx: &ChangeContext,
        id: Uuid,
        d: LinkDraft,
        if_revision: Option<i64>,
    ) -> Result<Link> {
        match self {
            Client::Local(l) => Ok(l
                .store()
                .await?
                .update_link(ctx, id, d, if_revision)
                .await?),
            Client::Http(r) => r.update_link(id, d, if_revision).await,
        }
    }

    pub async fn delete_link(&self, ctx: &ChangeContext, id: Uuid) -> Result<()> {
        match self {
            Client::Local(l) => Ok(l.store().await?.delete_link(ctx, id).await?),
            Client::Http(r) => r.delete("links", id, false).await,
        }
    }

    pub async fn list_changes(
        &self,
        f: &ChangeFilter,
        p: &PageRequest,
    ) -> Result<Page<ConfigurationChange>> {
        match self {
            Client::Local(l) => Ok(l.store().await?.list_changes(f, p).await?),
            Client::Http(r) => r.list_changes(f, p).await,
        }
    }

    pub async fn import(
        &self,
        ctx: &ChangeContext,
        batch: ImportBatch,
        options: &ImportOptions,
    ) -> Result<ImportReport> {
        match self {
            Client::Local(l) => Ok(l.store().await?.import(ctx, batch, options).await?),
            Client::Http(r) => r.import(batch, options).await,
        }
    }

    pub async fn export(&self) -> Result<Inventory> {
        match self {
            Client::Local(l) => Ok(l.store().await?.export().await?),
            Client::Http(r) => r.export().await,
        }
    }
}
